"""Logs as an operator would read them, for tests that check nothing identifying is logged."""

from __future__ import annotations

import logging

import pytest

from bot.core.logs import RedactingFilter, install_filter


def capture_redacted_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record from DEBUG up, through the same redacting filter `entraide run` installs."""
    install_filter()
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())
    return caplog
