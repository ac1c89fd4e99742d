"""Who is writing: a member found by blind index, their language and consents."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.clock import Clock
from bot.ports.refs import ChatRef
from storage.cache import ReadCache
from storage.database import Database
from storage.members import Consents, Member, UserKey


@dataclass(frozen=True)
class Identity:
    member: Member | None
    banned: bool


class MemberService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._identities: ReadCache[UserKey, Identity] = ReadCache(db)

    async def identify(self, user_id: UserKey) -> Identity:
        """Find the member behind a person's id on their transport (by blind index), and note the day.

        Kept in a read cache until a member, room or ban changes: a room in full flow
        does not read the same rows for every message."""
        return await self._identities.get(user_id, lambda: self._identify(user_id), self._seen_today)

    def _seen_today(self, identity: Identity) -> bool:
        return identity.member is None or identity.member.last_seen_day == self.clock.day()

    async def _identify(self, user_id: UserKey) -> Identity:
        async with self.db.transaction() as tx:
            repo = tx.members
            if await repo.is_banned(user_id):
                return Identity(None, True)
            member = await repo.find_by_user(user_id)
            if member is not None and member.last_seen_day != self.clock.day():
                await repo.touch(member.id, self.clock.day())
            return Identity(member, False)

    async def enroll(self, user_id: UserKey, chat: ChatRef, locale: str, consents: Consents, version: int) -> Member:
        async with self.db.transaction() as tx:
            repo = tx.members
            existing = await repo.find_by_user(user_id)
            if existing is not None:
                await repo.set_consents(existing.id, consents, version)
                await repo.set_locale(existing.id, locale)
                return await repo.get(existing.id)  # type: ignore[return-value]
            return await repo.create(user_id, chat, locale, consents, version, self.clock.day())

    async def set_locale(self, member_id: int, locale: str) -> None:
        async with self.db.transaction() as tx:
            await tx.members.set_locale(member_id, locale)

    async def get(self, member_id: int) -> Member | None:
        async with self.db.transaction() as tx:
            return await tx.members.get(member_id)

    async def facilitators(self) -> list[Member]:
        async with self.db.transaction() as tx:
            return await tx.members.facilitators()
