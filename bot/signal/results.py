"""What signal-cli answers, read into the core's delivery errors.

signal-cli's error codes (`SignalJsonRpcCommandHandler`): -1 user error (unregistered
user, empty message, missing quote author, bad recipient), -3 IO, -4 untrusted identity,
-5 rate limit, -6 captcha rejected, and the JSON-RPC ones (-32600 invalid request,
-32601 no such method, -32602 invalid params, -32603 internal, -32700 parse error). A
send answers `{timestamp, results: [{recipientAddress: {uuid, number, username}, type,
token?, retryAfterSeconds?}]}`; when no recipient got it, the error carries that same
answer in `data.response`, and a send to several people can partly fail with no error at
all: every result is read. Error messages from the daemon quote numbers and ids: they are
never kept in an exception's text nor logged; only codes, types and method names are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import DeliveryError, RateLimited, Rejected, Transient, Unreachable

log = logging.getLogger(__name__)

USER_ERROR = -1
IO_ERROR = -3
UNTRUSTED_KEY_ERROR = -4
RATE_LIMIT_ERROR = -5
CAPTCHA_REJECTED_ERROR = -6
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
PARSE_ERROR = -32700

DEFAULT_RETRY_AFTER = 60.0  # Signal's limits are unpublished; when it says no wait, wait a minute

CAPTCHA_LINE = (
    "Signal asks for a captcha before this account may send more: solve one and submit it "
    "with signal-cli's submitRateLimitChallenge; until then Signal refuses sends"
)


class RpcError(Exception):
    """An error answer. Its text names the method and code only (the daemon's own message
    may quote a number or an id: it is kept aside in `detail`, never shown)."""

    def __init__(self, method: str, code: int, detail: str = "", data: Any = None) -> None:
        super().__init__(f"signal-cli refused {method} (code {code})")
        self.method = method
        self.code = code
        self.detail = detail
        self.data = data


class UntrustedIdentity(Unreachable):
    """The recipient's safety number changed and the daemon refuses to send until it is
    trusted (`--trust-new-identities always` avoids it)."""


class CaptchaRequired(RateLimited):
    """Signal wants a captcha solved (a proof-required rate limit). `challenge` is the
    token to submit with the solved captcha; it is never in the text nor logged."""

    def __init__(self, retry_after: float, challenge: str) -> None:
        super().__init__(retry_after)
        self.challenge = challenge


@dataclass(frozen=True)
class RecipientResult:
    """One recipient's outcome. The recipient's number, when the daemon gives it, is dropped."""

    recipient: str | None  # ACI
    type: str
    token: str | None = field(default=None, repr=False)
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.type == "SUCCESS"

    def error(self) -> DeliveryError | None:
        if self.ok:
            return None
        if self.type == "UNREGISTERED_FAILURE":
            return Unreachable("not on Signal any more")
        if self.type == "IDENTITY_FAILURE":
            return UntrustedIdentity("safety number changed")
        if self.type == "RATE_LIMIT_FAILURE":
            wait = self.retry_after if self.retry_after is not None else DEFAULT_RETRY_AFTER
            return CaptchaRequired(wait, self.token) if self.token else RateLimited(wait)
        return Transient(f"send failed ({self.type})")  # NETWORK_FAILURE, INVALID_PRE_KEY_FAILURE


@dataclass(frozen=True)
class SendOutcome:
    """What a send (or a remote delete) did: its timestamp, which with the bot as author
    names the message for replies, edits and deletes, and every recipient's result."""

    timestamp: int
    results: tuple[RecipientResult, ...]

    @property
    def delivered(self) -> list[str]:
        return [r.recipient for r in self.results if r.ok and r.recipient]

    @property
    def failures(self) -> dict[str, DeliveryError]:
        return {r.recipient: r.error() for r in self.results if not r.ok and r.recipient}  # type: ignore[misc]

    def result_for(self, recipient: str) -> RecipientResult | None:
        wanted = recipient.lower()
        return next((r for r in self.results if r.recipient == wanted), None)

    def raise_for(self, recipient: str) -> None:
        """Raise the delivery error of this recipient, if their copy failed."""
        result = self.result_for(recipient)
        if result is None:
            if self.results:
                raise Transient("no result for this recipient")
            return  # a daemon that gives no results (older versions): the call succeeded
        error = result.error()
        if error is not None:
            raise error


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return float(value)


def parse_outcome(payload: Any) -> SendOutcome | None:
    """A send's answer (`{timestamp, results}`), or None if it is not one."""
    if not isinstance(payload, dict):
        return None
    timestamp = payload.get("timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        return None
    results = []
    for raw in payload.get("results") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            continue
        address: dict = raw["recipientAddress"] if isinstance(raw.get("recipientAddress"), dict) else {}
        ident = address.get("uuid")
        token = raw.get("token")
        results.append(
            RecipientResult(
                ident.lower() if isinstance(ident, str) else None,
                raw["type"],
                token if isinstance(token, str) and token else None,
                _seconds(raw.get("retryAfterSeconds")),
            )
        )
    return SendOutcome(timestamp, tuple(results))


def outcome_of_error(error: RpcError) -> SendOutcome | None:
    """The per-recipient answer an error carries when no recipient got the message."""
    data = error.data
    if isinstance(data, dict):
        return parse_outcome(data.get("response"))
    return None


def delivery_error(error: RpcError) -> DeliveryError:
    """The core's error for an error answer that carries no per-recipient results."""
    code, detail = error.code, error.detail
    if code == USER_ERROR and "is not registered" in detail:
        return Unreachable("not on Signal")
    if code == UNTRUSTED_KEY_ERROR:
        return UntrustedIdentity("safety number changed")
    if code == RATE_LIMIT_ERROR:
        return RateLimited(DEFAULT_RETRY_AFTER)
    if code in (IO_ERROR, INTERNAL_ERROR):
        return Transient(str(error))  # -32603 is how a send's IOException comes back
    return Rejected(str(error))  # -1 (empty message, bad recipient...), protocol errors: a bug of ours


class CaptchaNotice:
    """Tells the operator, in one plain line, when a captcha is needed: once per challenge
    (a set of tokens in memory only), never the token itself."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self._seen: set[str] = set()
        self._log = logger

    def check(self, outcome: SendOutcome | None) -> None:
        if outcome is None:
            return
        for result in outcome.results:
            if result.token and result.token not in self._seen:
                self._seen.add(result.token)
                if len(self._seen) > 1000:
                    self._seen = {result.token}
                self._log.warning(CAPTCHA_LINE)
