"""Members: found by blind index, chat reference sealed under their own data key.

A chat reference is (transport, the transport's id for the chat), both strings
(`bot.ports.refs.ChatRef`); it is sealed as "transport:id". Rows written before
references existed hold a bare Telegram chat id, read as ("telegram", id)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.crypto import associated_data, new_data_key, open_sealed, seal
from storage.database import Tx
from storage.refs import ChatRef, chat_from_text, chat_text

UID_NAMESPACE = "telegram-user"
# Who is writing, as a transport names them: a Telegram user id (an int, indexed as it always
# was), or (transport, the transport's id for the person), e.g. ("signal", an ACI), indexed
# under its own namespace so the same digits on two messengers never meet.
UserKey = int | tuple[str, str]

_COLUMNS = (
    "id, data_key, key_version, chat_id, locale, role, consent_version, consent_rooms, "
    "consent_reminders, consent_checkins, consent_alerts, active_room_id, "
    "failed_deliveries, created_day, last_seen_day"
)


@dataclass(frozen=True, slots=True)
class Consents:
    rooms: bool = False
    reminders: bool = False
    checkins: bool = False
    alerts: bool = False


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    chat: ChatRef
    locale: str
    role: str
    consent_version: int
    consents: Consents
    active_room_id: int | None
    failed_deliveries: int
    created_day: str
    last_seen_day: str

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"


class MemberRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def _uid_index(self, user: UserKey) -> bytes:
        if isinstance(user, tuple):
            transport, local = user
            if transport == "telegram":
                return self.tx.keys.blind_index(UID_NAMESPACE, int(local))
            if not transport or ":" in transport or not local:
                raise ValueError("not a user reference")
            return self.tx.keys.blind_index(f"{transport}-user", str(local))
        return self.tx.keys.blind_index(UID_NAMESPACE, int(user))

    def _data_key(self, member_id: int, wrapped: bytes, version: int) -> bytes:
        return self.tx.keys.unwrap_data_key(wrapped, member_id, version)

    def _from_row(self, row: tuple) -> Member:
        (
            mid,
            wrapped,
            version,
            chat_blob,
            locale,
            role,
            cversion,
            c_rooms,
            c_rem,
            c_chk,
            c_alert,
            active,
            failed,
            created,
            seen,
        ) = row
        data_key = self._data_key(mid, wrapped, version)
        chat = chat_from_text(
            open_sealed(data_key, chat_blob, associated_data("members", "chat_id", mid, version)).decode()
        )
        return Member(
            id=mid,
            chat=chat,
            locale=locale,
            role=role,
            consent_version=cversion,
            consents=Consents(bool(c_rooms), bool(c_rem), bool(c_chk), bool(c_alert)),
            active_room_id=active,
            failed_deliveries=failed,
            created_day=created,
            last_seen_day=seen,
        )

    async def find_by_user(self, user_id: UserKey) -> Member | None:
        row = await self.tx.one(f"SELECT {_COLUMNS} FROM members WHERE uid_index = ?", (self._uid_index(user_id),))
        return self._from_row(row) if row else None

    async def get(self, member_id: int) -> Member | None:
        row = await self.tx.one(f"SELECT {_COLUMNS} FROM members WHERE id = ?", (member_id,))
        return self._from_row(row) if row else None

    async def many(self, member_ids: list[int]) -> list[Member]:
        if not member_ids:
            return []
        marks = ",".join("?" * len(member_ids))
        rows = await self.tx.all(f"SELECT {_COLUMNS} FROM members WHERE id IN ({marks})", member_ids)
        return [self._from_row(row) for row in rows]

    async def create(
        self,
        user_id: UserKey,
        chat: tuple[str, str] | int,
        locale: str,
        consents: Consents,
        consent_version: int,
        day: str,
    ) -> Member:
        version = self.tx.key_version
        member_id = await self.tx.insert(
            "INSERT INTO members (uid_index, data_key, key_version, chat_id, locale, created_day, "
            "last_seen_day) VALUES (?, x'', ?, x'', ?, ?, ?)",
            (self._uid_index(user_id), version, locale, day, day),
        )
        data_key = new_data_key()
        await self.tx.execute(
            "UPDATE members SET data_key = ?, chat_id = ? WHERE id = ?",
            (
                self.tx.keys.wrap_data_key(data_key, member_id, version),
                seal(data_key, chat_text(chat).encode(), associated_data("members", "chat_id", member_id, version)),
                member_id,
            ),
        )
        await self.set_consents(member_id, consents, consent_version)
        member = await self.get(member_id)
        assert member is not None
        return member

    async def set_consents(self, member_id: int, consents: Consents, version: int) -> None:
        await self.tx.execute(
            "UPDATE members SET consent_version = ?, consent_rooms = ?, consent_reminders = ?, "
            "consent_checkins = ?, consent_alerts = ? WHERE id = ?",
            (
                version,
                int(consents.rooms),
                int(consents.reminders),
                int(consents.checkins),
                int(consents.alerts),
                member_id,
            ),
        )

    async def set_locale(self, member_id: int, locale: str) -> None:
        await self.tx.execute("UPDATE members SET locale = ? WHERE id = ?", (locale, member_id))

    async def set_role(self, member_id: int, role: str) -> None:
        await self.tx.execute("UPDATE members SET role = ? WHERE id = ?", (role, member_id))

    async def set_active_room(self, member_id: int, room_id: int | None) -> None:
        await self.tx.execute("UPDATE members SET active_room_id = ? WHERE id = ?", (room_id, member_id))

    async def touch(self, member_id: int, day: str) -> None:
        """Note the day a member was last seen; coming back cancels an inactivity notice."""
        await self.tx.execute(
            "UPDATE members SET last_seen_day = ?, inactivity_notice_day = NULL WHERE id = ? AND last_seen_day <> ?",
            (day, member_id, day),
        )

    async def delivery_failed(self, member_id: int) -> int:
        await self.tx.execute(
            "UPDATE members SET failed_deliveries = failed_deliveries + 1 WHERE id = ?",
            (member_id,),
        )
        return int(await self.tx.scalar("SELECT failed_deliveries FROM members WHERE id = ?", (member_id,)) or 0)

    async def delivery_succeeded(self, member_id: int) -> None:
        await self.tx.execute(
            "UPDATE members SET failed_deliveries = 0 WHERE id = ? AND failed_deliveries <> 0",
            (member_id,),
        )

    async def facilitators(self) -> list[Member]:
        rows = await self.tx.all(f"SELECT {_COLUMNS} FROM members WHERE role = 'facilitator'")
        return [self._from_row(row) for row in rows]

    async def count(self) -> int:
        return int(await self.tx.scalar("SELECT count(*) FROM members"))

    async def erase(self, member_id: int) -> None:
        """Delete the member row: their wrapped data key goes with it (crypto-shredding)."""
        await self.tx.execute(
            "UPDATE members SET data_key = zeroblob(length(data_key)), "
            "chat_id = zeroblob(length(chat_id)) WHERE id = ?",
            (member_id,),
        )
        await self.tx.execute("DELETE FROM members WHERE id = ?", (member_id,))

    async def is_banned(self, user_id: UserKey) -> bool:
        return await self.tx.one("SELECT 1 FROM bans WHERE uid_index = ?", (self._uid_index(user_id),)) is not None

    async def ban_user_of(self, member_id: int, day: str) -> None:
        """Keep only the blind index of a member banned from the whole bot."""
        await self.tx.execute(
            "INSERT OR IGNORE INTO bans (uid_index, day) SELECT uid_index, ? FROM members WHERE id = ?",
            (day, member_id),
        )

    async def inactive_since(self, day: str) -> list[tuple[int, str | None]]:
        """(member id, day they were told of inactivity or None) of members not seen since `day`."""
        rows = await self.tx.all("SELECT id, inactivity_notice_day FROM members WHERE last_seen_day < ?", (day,))
        return [tuple(row) for row in rows]

    async def note_inactivity_notice(self, member_id: int, day: str) -> None:
        await self.tx.execute("UPDATE members SET inactivity_notice_day = ? WHERE id = ?", (day, member_id))


async def first_voice_note(tx: Tx, member_id: int) -> bool:
    """True the first time a member sends a voice note (to warn them once)."""
    changed = await tx.execute("UPDATE members SET voice_warned = 1 WHERE id = ? AND voice_warned = 0", (member_id,))
    return changed == 1
