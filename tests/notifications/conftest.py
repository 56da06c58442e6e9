"""Fixtures of the outbox tests: an SMTP server that records what it is sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.notifications.smtp_inbox import Inbox, smtp_inbox


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_inbox() as server:
        yield server
