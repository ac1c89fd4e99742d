"""Per-recipient plans: what one recipient receives for one relayed message, step by step."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.ports.refs import Media, MessageRef, message_ref
from bot.services.relay.incoming import COPIED, Incoming
from bot.services.relay.labels import Labels
from storage.members import Member
from storage.relays import Relay


@dataclass
class _Plan:
    """What one recipient will receive for one relayed message, step by step."""

    relay_id: int
    recipient: Member
    media: Media | None
    photo: bytes | None
    shared: dict
    replied: Relay | None
    steps: list = field(default_factory=list)
    done: int = 0
    mark: int = 0  # the database's deferred-row count once this relay's pending mark was deferred


class Plans(Labels):
    """Builds a recipient's plan and the job that carries it out."""

    def _plan(
        self,
        relay: Relay,
        member: Member,
        name: str,
        incoming: Incoming,
        author: Member,
        photo: bytes | None,
        shared: dict,
        replied: Relay | None,
    ) -> _Plan:
        plan = _Plan(relay.id, member, incoming.media, photo, shared, replied)
        locale = member.locale
        body = incoming.text or ""
        caps = self.transport.capabilities_for(member.chat)
        if incoming.kind == "text":
            for line in self.lines(locale, name, body, caps):
                plan.steps.append(("text", line))
        elif incoming.kind == "photo":
            caption = self.caption(locale, name, body)
            if caps.fits_caption(caption.text):
                plan.steps.append(("photo", caption))
            else:
                plan.steps.append(("photo", self.caption(locale, name, "")))
                plan.steps.extend(("text", line) for line in self.lines(locale, name, body, caps))
        elif incoming.kind in COPIED:
            caption = self.caption(locale, name, body)
            if not caps.fits_caption(caption.text):
                plan.steps.append(("copy", self.caption(locale, name, "")))
                plan.steps.extend(("text", line) for line in self.lines(locale, name, body, caps))
            else:
                plan.steps.append(("copy", caption))
        else:  # stickers, round videos: no caption possible, the name goes first
            plan.steps.append(("text", self.line(locale, name, self.t(locale, f"relay.kind_{incoming.kind}"))))
            plan.steps.append(("copy", None))
        return plan

    async def _reply_target(self, plan: _Plan) -> MessageRef | None:
        replied = plan.replied
        if replied is None:
            return None
        chat = plan.recipient.chat
        if replied.author_id == plan.recipient.id:
            return message_ref(chat, replied.author_msg_id) if replied.author_msg_id is not None else None
        async with self.db.transaction() as tx:
            for copy in await tx.relays.copies(replied.id):
                if copy.member_id == plan.recipient.id and copy.part == 0:
                    return message_ref(chat, copy.message_id)
        return None
