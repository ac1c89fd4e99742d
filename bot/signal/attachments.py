"""Attachments on Signal: what kind of file a member sent, a short-lived copy of its bytes,
and signal-cli's own copy removed once the bot has read it.

signal-cli downloads every attachment it receives into its data directory
(`<data dir>/attachments/<id>`) and no RPC ever deletes it. When the adapter is given
that directory (`attachments_dir`), the file is removed as soon as its bytes are read;
otherwise it stays there until the operator cleans the directory (README says so).
A room message goes to several people: the bytes are kept in memory, a few minutes at
most and a bounded amount, so that each copy does not need the file again.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

KEEP_FOR = 300.0  # seconds the bytes of a member's attachment stay in memory
KEEP_BYTES = 200 * 1024 * 1024  # at most, all attachments together
KEEP_COUNT = 16


def plain_name(attachment_id: str) -> bool:
    """An attachment id that names a file directly inside the attachments directory."""
    return (
        bool(attachment_id)
        and attachment_id not in (".", "..")
        and os.sep not in attachment_id
        and (os.altsep is None or os.altsep not in attachment_id)
    )


class AttachmentCache:
    """Recently read attachments, by id, in memory only."""

    def __init__(self, clock: Callable[[], float] = time.time, attachments_dir: Path | None = None) -> None:
        self.clock = clock
        self.attachments_dir = attachments_dir
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.removed = 0  # files of signal-cli's removed

    def get(self, attachment_id: str) -> bytes | None:
        self._expire()
        item = self._items.get(attachment_id)
        return item[1] if item is not None else None

    def put(self, attachment_id: str, data: bytes) -> None:
        self._items.pop(attachment_id, None)
        if len(data) <= KEEP_BYTES:
            self._items[attachment_id] = (self.clock(), data)
        self._expire()
        self.remove_file(attachment_id)

    def remove_file(self, attachment_id: str) -> None:
        """Delete signal-cli's downloaded copy (when the bot knows where it is)."""
        if self.attachments_dir is None or not plain_name(attachment_id):
            return
        with contextlib.suppress(FileNotFoundError):
            (self.attachments_dir / attachment_id).unlink()
            self.removed += 1

    def _expire(self) -> None:
        now = self.clock()
        for key in [k for k, (at, _) in self._items.items() if now - at > KEEP_FOR]:
            del self._items[key]
        while len(self._items) > KEEP_COUNT or sum(len(d) for _, d in self._items.values()) > KEEP_BYTES:
            self._items.popitem(last=False)
