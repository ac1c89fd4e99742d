"""One-time facilitator invitations (deep links), stored only as a hash."""

from __future__ import annotations

import base64
import os
import re

from bot.core.clock import Clock
from storage.database import Database

VALID_DAYS = 7
CODE_PATTERN = re.compile(r"^[A-Z2-7]{16}$")


def new_code() -> str:
    return base64.b32encode(os.urandom(10)).decode()


class InviteService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def create(self) -> str:
        code = new_code()
        async with self.db.transaction() as tx:
            await tx.invites.purge(int(self.clock.now()))
            await tx.invites.add(code, int(self.clock.now()) + VALID_DAYS * 86400)
        return code

    async def redeem(self, member_id: int, code: str) -> bool:
        """Make the member a facilitator if the code is genuine, unused and not expired."""
        if not CODE_PATTERN.match(code or ""):
            return False
        async with self.db.transaction() as tx:
            if not await tx.invites.redeem(code, int(self.clock.now())):
                return False
            await tx.members.set_role(member_id, "facilitator")
            return True
