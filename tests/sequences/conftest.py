from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.outreach.mailserver import MailServer


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server
