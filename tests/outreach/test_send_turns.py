"""A burst of API sends in one process reserves a message (its attempt `sending`, its cap slot)
only when the SMTP connection is ready to take it (issue 13, item 6): while the server holds one
message, that one alone is `sending`; the others wait without having reserved anything. The
crash test on PostgreSQL (tests/crash) kills a server mid-burst; this is the same rule, watched
live on a real, slow aiosmtpd."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from backlink_outreach.models import OutreachAttempt
from tests.conftest import Api, create_campaign
from tests.crash.mailcounter import CountingMailServer
from tests.outreach.conftest import add_lead, mail_settings, send
from tests.support.database import Database

MakeApi = Callable[..., contextlib.AbstractAsyncContextManager[Api]]
BURST = 8
DELAY = 0.5  # between the server having a message and its 250: the message is on the wire


async def _sending(db: Database) -> int:
    async with db.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(OutreachAttempt)
            .where(OutreachAttempt.status == "sending")
        )
    return int(count or 0)


async def test_a_burst_reserves_only_the_message_on_the_wire(
    make_api: MakeApi, db: Database
) -> None:
    with CountingMailServer() as mail:
        async with make_api(**mail_settings(mail)) as api:
            campaign = await create_campaign(api)
            leads = [
                await add_lead(api, campaign["id"], f"editor@site{i}.test") for i in range(BURST)
            ]
            mail.handler.delay = DELAY
            burst = asyncio.gather(*(send(api, campaign, lead) for lead in leads))
            seen: list[int] = []
            try:
                for arrived in (1, 2, 4):
                    assert await asyncio.to_thread(mail.handler.wait_for, arrived, 30)
                    # The message `arrived` is held by the server for DELAY seconds.
                    seen.append(await _sending(db))
            finally:
                mail.handler.delay = 0.0
                answers: list[Any] = await burst
    # Reserved first and queued for the connection, all 8 were `sending` here at once.
    # (0 only in the instant between one message's record and the next one's reservation.)
    assert max(seen) <= 1, seen
    assert Counter(a.status_code for a in answers) == {200: BURST}
    assert len(mail.mails()) == BURST and await _sending(db) == 0
