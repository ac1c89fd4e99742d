-- What the /tendances release rule needs across restarts (issue 15, item 5): for each room
-- and week, every release made: its published figures (how many people, how many answered
-- each mood: what facilitators were shown, never a mood per person) and its respondents as
-- keyed hashes made for that room and week alone (HMAC with the blind-index key: no member
-- id, nothing linking one person's weeks or rooms). Kept while /tendances shows the week.
CREATE TABLE trend_releases (
    id          INTEGER PRIMARY KEY,
    room_id     INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    week        TEXT    NOT NULL,
    people      INTEGER NOT NULL,
    moods       TEXT    NOT NULL,
    respondents BLOB    NOT NULL
);
CREATE INDEX trend_releases_room_week ON trend_releases (room_id, week);
