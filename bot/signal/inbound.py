"""Signal's incoming events -> the same service calls Telegram's handlers make.

`SignalInbound.run(client.events())` takes the events of `bot.signal.rpc.SignalRpc`
(already reduced by `bot.signal.envelopes`: an ACI, timestamps, text, attachment ids;
never a number or a profile name) and, for each, does what the identity middleware and
the handlers do on Telegram:

- who: the ACI (`sourceUuid`) through the blind index, as ("signal", ACI), never a number;
  a person on both messengers is two members, unlinked. Banned people get one kind line.
- `/commands` typed as text (bot/signal/inbound_commands.py), French or English;
- « 2 » (or « 2️⃣ », or the choice's words) under a numbered list: the press of that
  choice (bot/signal/inbound_presses.py), through the port's `ChoiceBook`;
- a quote of a message = a reply to it; an edit (an edit of an edit too: each revision
  is mapped back to the original, in memory) = an edit; deleting one's own message for
  everyone = `/supprimer` of it;
- photos, voice notes and other attachments as `Incoming` media of the core's kinds: the
  relay applies Telegram's rules (photos re-encoded without metadata, the rest copied or
  refused with a reason); a view-once message is refused (a copy would outlive it);
- reactions, receipts, typing, sync messages: nothing (reactions reach no one);
- everything else goes to the member's room.

One person's events are handled one after the other, in the order the daemon gave them;
different people's at once. Logs name kinds of failure only.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable

from bot.core.errors import DeliveryError, Refusal
from bot.core.i18n import negotiate
from bot.core.presses import is_onboarding
from bot.ports import kinds
from bot.ports.choices import Picked
from bot.ports.refs import ChatRef, Media, MessageRef
from bot.services.answers import unanswered
from bot.services.flood import SLOW_DOWN
from bot.services.relay import Incoming
from bot.signal.envelopes import Deleted, Edited, Event, Reacted, Received, Unreadable
from bot.signal.inbound_commands import command_word, run_command
from bot.signal.inbound_flows import Flows
from bot.signal.inbound_presses import run_press
from bot.signal.inbound_turn import Turn

log = logging.getLogger("entraide.signal")

SIGNAL = "signal"
REVISIONS = 20_000  # edits remembered (author, revision timestamp) -> the original's


def chat_of(aci: str) -> ChatRef:
    return ChatRef(SIGNAL, aci)


def kind_of(received: Received) -> str:
    """The core's kind for a Signal message (its first attachment decides)."""
    if received.unsupported:
        return kinds.OTHER
    if received.sticker:
        # signal-cli names a sticker by its pack, not as an attachment: nothing to pass on.
        return kinds.STICKER if received.attachments else kinds.OTHER
    if not received.attachments:
        return kinds.TEXT
    mime = received.attachments[0].content_type.lower()
    if mime == "image/gif":
        return kinds.ANIMATION
    if mime.startswith("image/"):
        return kinds.PHOTO
    if mime.startswith("video/"):
        return kinds.VIDEO
    if mime in ("audio/aac", "audio/mp4", "audio/ogg", "audio/opus", "audio/x-m4a"):
        return kinds.VOICE  # what Signal's apps record a voice note as
    if mime.startswith("audio/"):
        return kinds.AUDIO
    return kinds.DOCUMENT


class Revisions:
    """Which original message each revision of an edited message stands for (Signal names
    a revision by its own timestamp and the next edit targets it). Memory only, bounded."""

    def __init__(self, limit: int = REVISIONS) -> None:
        self.limit = limit
        self._original: OrderedDict[tuple[str, int], int] = OrderedDict()

    def original(self, author: str, timestamp: int) -> int:
        return self._original.get((author, timestamp), timestamp)

    def note(self, author: str, revision: int, original: int) -> None:
        self._original[(author, revision)] = original
        while len(self._original) > self.limit:
            self._original.popitem(last=False)


class Lanes:
    """One person's events one after the other; different people's concurrently."""

    def __init__(self) -> None:
        self._tails: dict[str, asyncio.Task] = {}

    def submit(self, key: str, job: Callable[[], Awaitable[None]]) -> None:
        previous = self._tails.get(key)
        task = asyncio.create_task(self._after(previous, job))
        self._tails[key] = task
        task.add_done_callback(lambda done: self._tails.pop(key, None) if self._tails.get(key) is done else None)

    @staticmethod
    async def _after(previous: asyncio.Task | None, job: Callable[[], Awaitable[None]]) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        await job()

    async def drain(self) -> None:
        while self._tails:
            await asyncio.gather(*list(self._tails.values()), return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tails)


class SignalInbound:
    """`adapter`: the Signal transport (bot/signal/adapter.py), told of each member's message
    so that a reply to it quotes the right author, and naming their attachments."""

    def __init__(self, services, adapter=None) -> None:
        self.services = services
        self.adapter = adapter
        self.revisions = Revisions()
        self.flows = Flows(services.clock)
        self.lanes = Lanes()
        self._locales: OrderedDict[ChatRef, str] = OrderedDict()  # members seen lately: their language
        self.ignored = 0  # reactions, unreadable messages: counted, never logged with anything
        self.handled = 0

    async def run(self, events: AsyncIterator[Event]) -> None:
        """Take events until the client closes, each in its author's lane."""
        async for event in events:
            self.submit(event)
        await self.lanes.drain()

    def submit(self, event: Event) -> None:
        author = event.author
        if author is None:
            self.ignored += 1
            return
        self.lanes.submit(author, lambda: self.handle(event))

    async def handle(self, event: Event) -> None:
        """Handle one event; a refusal becomes a kind answer, a failure one line without ids."""
        try:
            await self._handle(event)
        finally:
            self.handled += 1

    async def _handle(self, event: Event) -> None:
        if isinstance(event, Reacted | Unreadable) or event.author is None:
            return  # a reaction reaches no one; an unreadable message has nothing to act on
        services = self.services
        chat = chat_of(event.author)
        try:
            identity = await services.members.identify((SIGNAL, event.author))
        except Exception as error:
            log.error("identifying a Signal member failed: %s", type(error).__name__)
            return
        member = identity.member
        turn = Turn(services, chat, member, negotiate(member.locale if member else None, None))
        self._note_locale(chat, turn.locale)
        if identity.banned:
            if isinstance(event, Received):
                turn.say("common.banned")
            return
        try:
            await self._dispatch(turn, event)
        except Refusal as refusal:
            turn.say(refusal.key, **refusal.params)
        except DeliveryError as failure:
            log.warning("delivery failed while handling a Signal message: %s", type(failure).__name__)
            self._oops(turn)
        except Exception as error:
            # The traceback's code lines only: an exception's message may quote what was typed.
            log.error(
                "Signal handler failed: %s\n%s", type(error).__name__, "".join(traceback.format_tb(error.__traceback__))
            )
            self._oops(turn)

    def _note_locale(self, chat: ChatRef, locale: str) -> None:
        self._locales[chat] = locale
        self._locales.move_to_end(chat)
        while len(self._locales) > REVISIONS:
            self._locales.popitem(last=False)

    def locale_of(self, chat: ChatRef) -> str | None:
        """The language of a member who wrote lately (for the few words the adapter writes
        itself); None when unknown."""
        return self._locales.get(chat)

    def _oops(self, turn: Turn) -> None:
        try:
            turn.say("common.oops")
        except DeliveryError as failure:
            log.warning("could not tell the person about a failure: %s", type(failure).__name__)

    # --------------------------------------------------------------- dispatch
    async def _dispatch(self, turn: Turn, event: Event) -> None:
        if isinstance(event, Edited):
            await self._edited(turn, event)
        elif isinstance(event, Deleted):
            await self._deleted(turn, event)
        elif isinstance(event, Received):
            await self._received(turn, event)

    def _gate(self, turn: Turn, kind: str) -> bool:
        """The per-member limits of commands, choices and edits (as on Telegram)."""
        key = turn.member.id if turn.member is not None else _anonymous_key(turn.chat)
        verdict = self.services.gates.check(kind, key)
        if verdict == "refuse":
            turn.say(SLOW_DOWN[kind])
        return verdict == "ok"

    def _needs_consent(self, turn: Turn, onboarding: bool) -> bool:
        """A member asked to consent again (a new version) sees the screen before anything else."""
        services = self.services
        if turn.member is None or onboarding or not services.onboarding.needs_consent(turn.member):
            return False
        reply = services.onboarding.reconsent_screen(turn.member, turn.locale)
        turn.say("onboarding.consent_again")
        services.answers.reply(turn.chat, reply, member_id=turn.member.id)
        return True

    async def _received(self, turn: Turn, event: Received) -> None:
        turn.text = event.text or ""
        turn.message = MessageRef(turn.chat, str(event.timestamp))
        if self.adapter is not None:
            self.adapter.saw(turn.message)
        if event.quote is not None:
            original = self.revisions.original(event.quote.author or "", event.quote.timestamp)
            turn.replied = MessageRef(turn.chat, str(original))
        word = command_word(turn.text) if not event.attachments else None
        if word is not None:
            if not self._gate(turn, "command") or self._needs_consent(turn, word == "start"):
                return
            await run_command(turn, self.flows)
            return
        if not event.attachments and await self._answered_a_list(turn):
            return
        if self._needs_consent(turn, False):
            return
        if not event.attachments and event.text is not None and await self.flows.text(turn):
            return
        member = turn.require_member()
        if event.view_once:
            raise Refusal("relay.refused_other")
        reply = await self.services.relay.relay(member, self._incoming(turn, event))
        await turn.send(reply)
        if len(event.attachments) > 1:
            turn.say("relay.first_attachment_only")  # Telegram sends an album as one message each

    def _incoming(self, turn: Turn, event: Received) -> Incoming:
        kind = kind_of(event)
        media = None
        if event.attachments and kind != kinds.TEXT:
            first = event.attachments[0]
            if self.adapter is not None:
                media = self.adapter.media_of(event.author, event.timestamp, first)
            else:
                media = Media(SIGNAL, first.id, turn.message, first.size)
        return Incoming(message=turn.message, kind=kind, text=event.text, media=media, reply_to=turn.replied)  # type: ignore[arg-type]

    async def _answered_a_list(self, turn: Turn) -> bool:
        """« 2 » under a numbered list is the press of its second choice; a number that
        answers nothing open gets a kind answer and goes nowhere else."""
        services = self.services
        answer = services.choices.answer(turn.chat, turn.text, turn.replied)
        if answer is None:
            return False
        if not isinstance(answer, Picked):
            language = None
            if turn.member is None and getattr(answer, "list", None) is not None:
                language = services.onboarding.language_of(answer.list.choices[0].data)
            text = unanswered(services.t, answer, turn.locale, language)
            services.answers.text(turn.chat, text, member_id=turn.member_id)
            return True
        turn.press, turn.press_id, turn.pressed = answer.data, answer.press, answer.list.message
        if not self._gate(turn, "press") or self._needs_consent(turn, is_onboarding(answer.data)):
            await services.transport.acknowledge(answer.press)
            return True
        if turn.member is None and not is_onboarding(answer.data):
            raise Refusal("common.start_first")
        await run_press(turn, self.flows)
        return True

    async def _edited(self, turn: Turn, event: Edited) -> None:
        original = self.revisions.original(event.author, event.target)
        self.revisions.note(event.author, event.timestamp, original)
        text = event.message.text or ""
        if turn.member is None or command_word(text) is not None:
            return  # an edited "/fermer" must not run twice; edits before onboarding go nowhere
        if not self._gate(turn, "edit"):
            return
        await self.services.relay.edit(turn.member, MessageRef(turn.chat, str(original)), text)

    async def _deleted(self, turn: Turn, event: Deleted) -> None:
        """Deleted for everyone on the member's phone: the copies go too (`/supprimer`)."""
        if turn.member is None:
            return
        original = self.revisions.original(event.author, event.target)
        try:
            reply = await self.services.relay.delete(turn.member, MessageRef(turn.chat, str(original)))
        except Refusal:
            return  # a command, an answer by number, something older than the map: nothing was relayed
        await turn.send(reply)


def _anonymous_key(chat: ChatRef) -> int:
    """The gates' key for someone not yet a member (in memory only): a negative number
    that no member id is, derived from the chat without keeping it."""
    return -1 - (hash(chat) & 0x7FFF_FFFF)
