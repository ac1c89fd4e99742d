"""The delivery job of one relayed message to one recipient, which may absorb later lines (coalescing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.text import Styled
from bot.monitoring import metrics
from bot.ports.refs import Media
from bot.services.relay.coalescing import Combined
from storage.relays import RelayRepo

if TYPE_CHECKING:
    from bot.services.relay.plans import _Plan
    from bot.services.relay.service import RelayService


class _RelayRun:
    """Delivers one relayed message to one recipient; may absorb later text relays queued
    for the same chat while it waited for its pacing slot (coalescing)."""

    def __init__(self, service: RelayService, plan: _Plan) -> None:
        self.service = service
        self.plan = plan
        self.absorbed: list[_Plan] = []

    def _single_line(self, plan: _Plan) -> Styled | None:
        if plan.done or plan.replied is not None or len(plan.steps) != 1 or plan.steps[0][0] != "text":
            return None
        return plan.steps[0][1]

    def settled(self) -> None:
        """Called by the lane once this job is over, whatever its outcome (never when the
        process stops first): its copy, and those it absorbed, are no longer pending."""
        for plan in [self.plan] + self.absorbed:
            self.service.settled(plan.relay_id)

    def absorb(self, other) -> bool:
        if not self.service.coalesce or not isinstance(other, _RelayRun) or other.absorbed:
            return False
        mine, theirs = self._single_line(self.plan), self._single_line(other.plan)
        if mine is None or theirs is None or other.plan.recipient.id != self.plan.recipient.id:
            return False
        current = [mine] + [p.steps[0][1] for p in self.absorbed]
        caps = self.service.transport.capabilities_for(self.plan.recipient.chat)
        if not caps.fits_text("\n".join(line.text for line in current + [theirs])):
            return False
        self.absorbed.append(other.plan)
        return True

    async def __call__(self) -> None:
        await self.service.db.durable(max(p.mark for p in [self.plan] + self.absorbed))
        if self.absorbed and not self.plan.done:
            await self._send_combined()
            return
        service, plan = self.service, self.plan
        chat = plan.recipient.chat
        while plan.done < len(plan.steps):
            kind, text = plan.steps[plan.done]
            reply_to = await service._reply_target(plan) if plan.done == 0 else None
            if kind == "text":
                sent = await service.transport.send(
                    chat, text.text, reply_to=reply_to, protect=True, entities=text.entities
                )
            elif kind == "photo":
                again = plan.shared["photo"]
                source: bytes | Media | None = (
                    again if again is not None and again.transport == chat.transport else plan.photo
                )
                assert source is not None  # a photo relay always carries the cleaned bytes
                sent = await service.transport.send_photo(
                    chat, source, caption=text.text, reply_to=reply_to, protect=True, entities=text.entities
                )
                if sent.media is not None:
                    plan.shared["photo"] = sent.media
            else:
                assert plan.media is not None  # a media kind always carries its media
                sent = await service.transport.relay_media(
                    chat,
                    plan.media,
                    caption=text.text if text else None,
                    reply_to=reply_to,
                    protect=True,
                    entities=text.entities if text else (),
                )
            RelayRepo.defer_copy(service.db, plan.relay_id, plan.recipient.id, plan.done, sent.message.id)
            plan.done += 1
        metrics.copied()

    async def _send_combined(self) -> None:
        service = self.service
        plans = [self.plan] + self.absorbed
        lines = [(p.relay_id, p.steps[0][1]) for p in plans]
        combined = Combined(lines)
        chat = self.plan.recipient.chat
        text = combined.text()
        sent = await service.transport.send(chat, text.text, protect=True, entities=text.entities)
        service.combined.put(sent.message, combined)
        for line, p in enumerate(plans):
            RelayRepo.defer_copy(service.db, p.relay_id, p.recipient.id, 0, sent.message.id, line)
            p.done = 1
        metrics.copied(len(plans))
