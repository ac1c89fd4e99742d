"""Domain errors, in one place. The error handler maps `Refusal`s to localized replies."""

from __future__ import annotations


class Refusal(Exception):
    """Something the person asked cannot be done; `key` names the localized explanation."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class DeliveryError(Exception):
    """A message could not be delivered by the transport."""


class Unreachable(DeliveryError):
    """The person blocked the bot or never started it."""


class RateLimited(DeliveryError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class Transient(DeliveryError):
    """A server error or network failure: worth retrying later."""


class Gone(DeliveryError):
    """The message to edit, delete or reply to no longer exists."""


class NotModified(DeliveryError):
    """An edit that changes nothing."""


class Rejected(DeliveryError):
    """The platform refused the content itself (too long, bad button): a bug, not a retry."""


class TooLarge(Rejected):
    """A file too big for the platform to hand over (Telegram: over 20 MB for bots)."""
