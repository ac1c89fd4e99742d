"""One-time facilitator invitations, stored only as a hash of the code."""

from __future__ import annotations

from storage.crypto import hash_code
from storage.database import Tx


class InviteRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(self, code: str, expires_at: int) -> None:
        await self.tx.execute(
            "INSERT INTO invites (code_hash, expires_at) VALUES (?, ?)",
            (hash_code(code), expires_at),
        )

    async def redeem(self, code: str, now: int) -> bool:
        """Mark the code used if it exists, is unused and not expired."""
        changed = await self.tx.execute(
            "UPDATE invites SET used = 1 WHERE code_hash = ? AND used = 0 AND expires_at > ?",
            (hash_code(code), now),
        )
        return changed == 1

    async def purge(self, now: int) -> int:
        return await self.tx.execute("DELETE FROM invites WHERE used = 1 OR expires_at <= ?", (now,))
