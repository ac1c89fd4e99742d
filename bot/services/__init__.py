"""The core services, assembled once per process by `Services.build`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.core.buttons import ButtonSeal, PressTokens
from bot.core.clock import Clock
from bot.core.config import Config
from bot.core.i18n import Translator
from bot.monitoring import metrics as metrics_module
from bot.ports.choices import ChoiceBook, NumberedChoices
from bot.ports.priorities import PRIORITY
from bot.ports.scheduler import Scheduler
from bot.ports.transport import Transport
from bot.services.answers import Answers
from bot.services.board import BoardService
from bot.services.checkins import CheckinService
from bot.services.delivery import Delivery
from bot.services.flood import ActionGates
from bot.services.invites import InviteService
from bot.services.language import LanguageService
from bot.services.members import MemberService
from bot.services.moderation import ModerationService
from bot.services.notify import Notifier
from bot.services.onboarding import Onboarding
from bot.services.privacy import PrivacyService
from bot.services.relay import RelayService
from bot.services.reports import ReportService
from bot.services.rooms import RoomService
from bot.services.safety import SafetyService
from bot.services.workshops import WorkshopService
from storage.database import Database

log = logging.getLogger(__name__)

UNREACHABLE_AFTER = 3


@dataclass
class Services:
    config: Config
    db: Database
    clock: Clock
    t: Translator
    transport: Transport
    delivery: Delivery
    answers: Answers
    notifier: Notifier
    members: MemberService
    invites: InviteService
    onboarding: Onboarding
    rooms: RoomService
    relay: RelayService
    moderation: ModerationService
    safety: SafetyService
    reports: ReportService
    privacy: PrivacyService
    workshops: WorkshopService
    checkins: CheckinService
    board: BoardService
    scheduler: Scheduler
    seal: ButtonSeal
    tokens: PressTokens
    language: LanguageService
    gates: ActionGates
    choices: ChoiceBook
    metrics: metrics_module.Metrics = field(default_factory=metrics_module.Metrics)
    failing: set[int] = field(default_factory=set)

    @classmethod
    def build(
        cls,
        config: Config,
        db: Database,
        transport: Transport,
        clock: Clock,
        scheduler: Scheduler,
        t: Translator | None = None,
        pacer=None,
        delivery_class: type[Delivery] = Delivery,
        seal: ButtonSeal | None = None,
    ) -> Services:
        t = t or Translator()
        seal = seal or ButtonSeal(db.keys.purpose_key("buttons"))
        choices = ChoiceBook(clock)
        # Choices are buttons where the transport has them, numbered lists where it does not.
        transport = NumberedChoices(transport, choices)
        tokens = PressTokens(clock)
        db.prioritise(PRIORITY.get)

        # Delivery, made first, tells the services (made last) who it cannot reach.
        async def unreachable(member_id: int) -> None:
            await services.member_unreachable(member_id)

        async def delivered(member_id: int) -> None:
            await services.member_reached(member_id)

        delivery = delivery_class(unreachable, delivered, pacer=pacer)
        notifier = Notifier(transport, delivery, t)
        members = MemberService(db, clock)
        invites = InviteService(db, clock)
        workshops = WorkshopService(db, clock, t, transport, delivery, notifier, scheduler, tokens)
        rooms = RoomService(
            db, clock, t, notifier, scheduler, unlink_window=config.unlink_window, on_close=[workshops.room_closed]
        )

        async def release(member, incoming) -> None:  # a held message the member chose to send
            await relay.relay(member, incoming, checked=True)

        safety = SafetyService(db, clock, t, notifier, release)
        relay = RelayService(
            db,
            clock,
            t,
            transport,
            delivery,
            notifier,
            config.member_messages_per_minute,
            safety=safety,
            coalesce=config.coalesce_copies,
        )
        checkins = CheckinService(db, clock, t, transport, delivery, scheduler)
        services = cls(
            config=config,
            db=db,
            clock=clock,
            t=t,
            transport=transport,
            delivery=delivery,
            answers=Answers(transport, delivery),
            notifier=notifier,
            members=members,
            invites=invites,
            onboarding=Onboarding(t, members, invites, rooms),
            rooms=rooms,
            relay=relay,
            moderation=ModerationService(db, clock, t, notifier, rooms),
            safety=safety,
            reports=ReportService(db, clock, t, notifier, transport),
            privacy=PrivacyService(
                db,
                clock,
                t,
                transport,
                delivery,
                tokens,
                relay=relay,
                scheduler=scheduler,
                on_checkins_changed=checkins.reschedule,
                contact=config.privacy_contact,
                unlink_window=config.unlink_window,
            ),
            workshops=workshops,
            checkins=checkins,
            board=BoardService(db, clock, t, notifier, relay, safety, tokens),
            scheduler=scheduler,
            seal=seal,
            tokens=tokens,
            language=LanguageService(t, members),
            gates=ActionGates(
                clock,
                commands=config.member_commands_per_minute,
                presses=config.member_presses_per_minute,
                edits=config.member_edits_per_minute,
            ),
            choices=choices,
        )
        metrics_module.install(services.metrics).bind(delivery=delivery)
        return services

    async def resume(self) -> None:
        """What every start does once the services are built: schedules rebuilt from the
        database, senders told of the messages a stop left half sent."""
        await self.workshops.rebuild()
        await self.checkins.rebuild()
        await self.relay.report_pending()

    async def member_unreachable(self, member_id: int) -> None:
        """A member blocked the bot: after repeated failures they leave their rooms."""
        self.failing.add(member_id)
        async with self.db.transaction() as tx:
            failures = await tx.members.delivery_failed(member_id)
            member = await tx.members.get(member_id)
        if member is not None and failures == UNREACHABLE_AFTER:
            log.info("a member became unreachable and leaves their rooms")
            await self.rooms.leave_everywhere(member)

    async def member_reached(self, member_id: int) -> None:
        if member_id in self.failing:
            self.failing.discard(member_id)
            async with self.db.transaction() as tx:
                await tx.members.delivery_succeeded(member_id)
