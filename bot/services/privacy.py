"""Members own their data: what is kept and why, consent toggles, export, erasure."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.core.buttons import PressTokens
from bot.core.clock import Clock
from bot.core.errors import Refusal
from bot.core.i18n import Translator, weekday_names
from bot.core.presses import ForgetMe, KeepMe, ToggleConsent
from bot.ports.replies import Reply
from bot.ports.scheduler import Scheduler
from bot.ports.transport import Button, Transport
from bot.services import spread
from bot.services.checkins import TAGS, zone_name
from bot.services.delivery import Delivery
from bot.services.onboarding import CONSENT_VERSION, OPTIONAL
from bot.services.relay import MAP_HOURS, RelayService
from bot.services.reports import REASONS
from bot.services.rooms import display_theme
from bot.services.workshops import when_text
from storage.database import Database
from storage.members import Member
from storage.relays import MessageId

_FIELDS = {1: "reminders", 2: "checkins", 4: "alerts"}


class PrivacyService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        t: Translator,
        transport: Transport,
        delivery: Delivery,
        tokens: PressTokens | None = None,
        *,
        relay: RelayService,
        scheduler: Scheduler | None = None,
        on_checkins_changed: Callable[[int], Awaitable[None]] | None = None,
        contact: str | None = None,
        unlink_window: int = spread.WINDOW,
    ) -> None:
        self.db = db
        self.tokens = tokens or PressTokens(clock)
        self.clock = clock
        self.t = t
        self.transport = transport
        self.delivery = delivery
        self.on_checkins_changed = on_checkins_changed  # CheckinService.reschedule
        self.contact = contact  # ENTRAIDE_PRIVACY_CONTACT (Law 25)
        self.relay = relay  # takes relayed copies down
        self.scheduler = scheduler  # spreads an erasure's rooms in time
        self.unlink_window = unlink_window
        self._waiting: dict[str, Callable[[], Awaitable[None]]] = {}  # scheduler name -> an erasure's job not run yet

    def overview(self, member: Member) -> Reply:
        """`/confidentialite`: plain words, and a toggle for each optional consent."""
        locale = member.locale
        rows = []
        for purpose, bit in OPTIONAL:
            on = getattr(member.consents, purpose)
            # The same toggles as at onboarding: a box and « oui » / « non ».
            label = self.t(
                locale,
                "onboarding.toggle_on" if on else "onboarding.toggle_off",
                purpose=self.t(locale, f"consent.{purpose}"),
            )
            rows.append([Button(label, ToggleConsent(bit).pack())])
        text = self.t(locale, "privacy.overview", hours=MAP_HOURS)
        if not self.transport.capabilities_for(member.chat).protect:
            # Signal: nothing stops a screenshot or a copy; members should know it.
            text += "\n\n" + self.t(locale, "privacy.unprotected")
        if self.contact:
            text += "\n\n" + self.t(locale, "privacy.contact", contact=self.contact)
        return Reply(text, rows)

    async def toggle(self, member: Member, bit: int) -> Reply:
        if bit not in _FIELDS:
            raise Refusal("common.stale_button")
        field = _FIELDS[bit]
        changed = replace(member.consents, **{field: not getattr(member.consents, field)})
        async with self.db.transaction() as tx:
            await tx.members.set_consents(member.id, changed, CONSENT_VERSION)
            refreshed = await tx.members.get(member.id)
        assert refreshed is not None  # the member whose consents were just written
        if field == "checkins" and self.on_checkins_changed is not None:
            await self.on_checkins_changed(member.id)
        reply = self.overview(refreshed)
        key = "privacy.on" if getattr(changed, field) else "privacy.off"
        return Reply(reply.text, reply.buttons, notice=self.t(member.locale, key))

    async def export(self, member: Member) -> bytes:
        """`/mesdonnees`: everything kept about this member, as JSON."""
        async with self.db.transaction() as tx:
            seats = await tx.rooms.seats_of(member.id)
            room_rows = {s.room_id: await tx.rooms.get(s.room_id) for s in seats}
            waiting = await tx.rooms.waitlists_of(member.id)
            relayed = len(await tx.relays.authored(member.id))
            received = await tx.relays.received_count(member.id)
            about = await tx.reports.about(member.id)
            made = await tx.reports.made_by(member.id)
            banned_from = await tx.rooms.banned_from(member.id)
            rsvps = await tx.workshops.answers_of(member.id)
            settings = await tx.checkins.settings(member.id, self.clock.tz.key)
            answers = await tx.checkins.answers(member.id, "0000-00-00")
        locale = member.locale
        t = self.t

        def k(name: str) -> str:  # a key of the file, in the member's language
            return t(locale, f"export.{name}")

        def yes_no(value: bool) -> str:
            return k("yes" if value else "no")

        def moment(epoch: int) -> str | None:
            return when_text(epoch, self.clock.tz.key, locale) if epoch else None

        def reason(code: str) -> str:
            return t(locale, f"reports.reason_{code}") if code in REASONS else code

        def report(r) -> dict:
            return {k("room"): r.room_id, k("reason"): reason(r.reason), k("day"): r.day}

        weekdays = weekday_names(locale)
        data = {
            k("about"): t(locale, "privacy.export_about"),
            k("exported_day"): self.clock.day(),
            k("member"): {
                k("language"): k(f"language_{member.locale}"),
                k("role"): k("role_facilitator" if member.is_facilitator else "role_member"),
                k("joined_day"): member.created_day,
                k("last_seen_day"): member.last_seen_day,
                k("consent_version"): member.consent_version,
                k("consents"): {
                    k("consent_rooms"): yes_no(member.consents.rooms),
                    **{
                        t(locale, f"consent.{purpose}"): yes_no(getattr(member.consents, purpose))
                        for purpose, _ in OPTIONAL
                    },
                },
            },
            k("rooms"): [
                {
                    k("room"): s.room_id,
                    k("theme"): display_theme(t, locale, room) if room else None,
                    k("kind"): k(f"kind_{room.kind}") if room else None,
                    k("pseudonym"): s.pseudonym,
                    k("facilitator"): yes_no(s.is_facilitator),
                    k("muted_until"): moment(s.muted_until),
                    k("warnings"): s.warnings,
                }
                for s, room in [(s, room_rows[s.room_id]) for s in seats]
            ],
            k("waiting_lists"): [{k("room"): r, k("theme"): theme, k("since_day"): d} for r, theme, d in waiting],
            k("removed_from_rooms"): banned_from,
            k("message_map"): {
                k("messages_sent"): relayed,
                k("messages_received"): received,
                k("note"): t(locale, "privacy.export_map_note"),
            },
            k("reports_about_you"): [report(r) for r in about],
            k("reports_you_made"): [report(r) for r in made],
            k("workshop_rsvps"): [
                {k("workshop"): w, k("title"): title, k("answer"): t(locale, f"workshops.mine_{answer}"), k("day"): day}
                for w, title, answer, day in rsvps
            ],
            k("checkins"): {
                k("settings"): {
                    k("hour"): f"{settings.minute_of_day // 60:02d}:{settings.minute_of_day % 60:02d}",
                    k("days"): [weekdays[d] for d in range(7) if settings.days & (1 << d)],
                    k("time_zone"): zone_name(t, settings.tz, locale),
                    k("paused_until"): moment(settings.paused_until),
                },
                k("answers"): [
                    {
                        k("day"): a.day,
                        k("mood"): t(
                            locale, "export.mood_value", level=a.mood, label=t(locale, f"checkins.mood_{a.mood}")
                        ),
                        k("tags"): [t(locale, f"checkins.tag_{name}") for name, bit in TAGS if a.tags & bit],
                    }
                    for a in answers
                ],
            },
        }
        return json.dumps(data, ensure_ascii=False, indent=2).encode()

    def forget_prompt(self, member: Member) -> Reply:
        locale = member.locale
        return Reply(
            self.t(locale, "privacy.forget_confirm", hours=MAP_HOURS),
            [
                [Button(self.t(locale, "privacy.forget_yes"), ForgetMe(self.tokens.issue(member.id, "forget")).pack())],
                [Button(self.t(locale, "privacy.forget_no"), KeepMe().pack())],
            ],
        )

    async def forget(self, member: Member, token: str) -> Reply:
        """`/oublier`, confirmed by the button of a pending request (single-use, expiring):
        delete their copies still mapped, then the member and their key."""
        if not self.tokens.redeem(member.id, "forget", token):
            raise Refusal("common.confirm_again")
        copies = await self.erase(member)
        return Reply(self.t.plural(member.locale, "privacy.forgotten", copies))

    async def erase(self, member: Member) -> int:
        """Erase a member everywhere; returns how many relayed copies are being deleted.
        A copy that shares a message with other people's lines loses only its own line.
        Each room's copies go down at their own random moment of the next minutes
        (bot/services/spread.py): all at once, they would link the person's pseudonyms."""
        async with self.db.transaction() as tx:
            relays = await tx.relays.authored(member.id)
            targets: list[tuple[int, int, MessageId, int, list[tuple[int, int]]]] = []
            for relay_id, room_id in relays:
                for copy in await tx.relays.copies(relay_id):
                    sharing = await tx.relays.sharing(copy.member_id, copy.message_id)
                    targets.append((room_id, copy.member_id, copy.message_id, relay_id, sharing))
            people = {m.id: m for m in await tx.members.many(sorted({t[1] for t in targets}))}
            for relay_id, _ in relays:
                await tx.relays.delete(relay_id)
            await tx.members.erase(member.id)
        by_room: dict[int, list] = {}
        for target in targets:
            by_room.setdefault(target[0], []).append(target)
        jobs = [(f"erase:{room_id}", self._take_down(batch, people)) for room_id, batch in by_room.items()]
        for name, (_, job) in zip(
            spread.apart(self.scheduler, self.clock.now(), self.unlink_window, jobs), jobs, strict=True
        ):
            self._waiting[name] = job
        await self.db.checkpoint()
        return len(targets)

    async def take_down_waiting(self) -> int:
        """At a stop: the copies an erasure still had to take down go now (their map rows
        went with the erasure, so after a restart nothing could find them)."""
        waiting, self._waiting = self._waiting, {}
        for name, job in waiting.items():
            if self.scheduler is not None:
                self.scheduler.cancel(name)
            await job()
        return len(waiting)

    def _take_down(self, batch: list, people: dict[int, Member]):
        async def job() -> None:
            self._waiting = {n: j for n, j in self._waiting.items() if j is not job}
            for _, member_id, message_id, relay_id, sharing in batch:
                person = people.get(member_id)
                if person is not None:
                    self.relay.take_down(person, message_id, relay_id, sharing)

        return job
