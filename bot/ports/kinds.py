"""What kind of message a member sent, in the core's words (each adapter maps its own
fields onto these: the core never reads a platform's field names)."""

from __future__ import annotations

TEXT = "text"
PHOTO = "photo"
VOICE = "voice"  # a voice note
VIDEO = "video"
ANIMATION = "animation"  # a short looping clip (a GIF)
STICKER = "sticker"
VIDEO_NOTE = "video_note"  # a round video message
DOCUMENT = "document"
AUDIO = "audio"  # a music or audio file, not a voice note
CONTACT = "contact"
LOCATION = "location"
VENUE = "venue"  # a place, with an address
POLL = "poll"
DICE = "dice"
GAME = "game"
STORY = "story"
OTHER = "other"

ALL = frozenset(
    {TEXT, PHOTO, VOICE, VIDEO, ANIMATION, STICKER, VIDEO_NOTE, DOCUMENT, AUDIO, CONTACT, LOCATION, VENUE}
    | {POLL, DICE, GAME, STORY, OTHER}
)
