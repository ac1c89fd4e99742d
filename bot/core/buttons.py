"""Buttons the bot issues, and the checks every press goes through before any handler.

Seal: every callback data the bot sends is sealed for the chat it goes to
(``data~tag``, the tag a keyed HMAC of the chat and the data). A press whose data the
bot never issued to that chat — made up, copied from someone else's screen, or taken
from another step of a flow — fails the seal and changes nothing
(`handlers/middleware.py` checks it once for every press). The chat is the person:
the bot lives in private chats only.

Single-use tokens: an irreversible press (erasing oneself, cancelling a workshop)
also carries a token issued with the question, bound to the member and the action,
that expires and works once (`PressTokens`).

What the person may do at the moment of the press (still a facilitator of that room,
still consenting to check-ins...) is checked by the service the press reaches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SEPARATOR = "~"
TAG_BYTES = 8
TAG_CHARS = -(-TAG_BYTES * 4 // 3)  # 11: the tag in base64, unpadded (bot/core/presses.py counts it)
TOKEN_TTL = 15 * 60


class ButtonSeal:
    """Seals callback data for one chat, and opens what a press brings back."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _tag(self, chat_id: int, data: str) -> str:
        digest = hmac.new(self._key, f"{chat_id}|{data}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:TAG_BYTES]).decode().rstrip("=")

    def seal(self, chat_id: int, data: str) -> str:
        return f"{data}{SEPARATOR}{self._tag(chat_id, data)}"

    def open(self, chat_id: int, sealed: str | None) -> str | None:
        """The data, if the bot issued it to this chat; None otherwise."""
        data, separator, tag = (sealed or "").rpartition(SEPARATOR)
        if not separator or not data:
            return None
        if not hmac.compare_digest(tag, self._tag(chat_id, data)):
            return None
        return data


def plain(sealed: str | None) -> str:
    """The data without its seal, for routing a press the middleware already checked."""
    data, separator, _ = (sealed or "").rpartition(SEPARATOR)
    return data if separator else (sealed or "")


@dataclass(frozen=True)
class _Token:
    member_id: int
    action: str
    expires: float


class PressTokens:
    """Single-use tokens for irreversible presses, in memory only (a restart asks again)."""

    LIMIT = 10_000

    def __init__(self, clock, ttl: float = TOKEN_TTL) -> None:
        self.clock = clock
        self.ttl = ttl
        self._tokens: dict[str, _Token] = {}

    def issue(self, member_id: int, action: str) -> str:
        now = self.clock.now()
        for key in [k for k, t in self._tokens.items() if t.expires <= now]:
            del self._tokens[key]
        while len(self._tokens) >= self.LIMIT:
            del self._tokens[next(iter(self._tokens))]
        token = secrets.token_urlsafe(9)  # 12 characters
        self._tokens[token] = _Token(member_id, action, now + self.ttl)
        return token

    def redeem(self, member_id: int, action: str, token: str) -> bool:
        """True once for a live token issued to this member for this action."""
        issued = self._tokens.get(token)
        if issued is None or issued.member_id != member_id or issued.action != action:
            return False
        del self._tokens[token]
        return issued.expires > self.clock.now()
