"""Pausing while a worker is mid-pass: once the PATCH has answered, no message of the campaign
starts sending (no attempt is reserved after it), on either backend. The pass runs beside the
API in this process over a slow real SMTP server."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import utcnow
from backlink_outreach.models import OutreachAttempt
from backlink_outreach.sequences import scheduler
from tests.crash.mailcounter import CountingMailServer
from tests.outreach.conftest import MakeApi
from tests.sequences.support import enroll, leads, sequence_campaign, sequence_settings

ALWAYS_OPEN = {
    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "start": "00:00",
    "end": "24:00",
}
LEADS = 30


async def test_no_message_starts_after_the_pause_answered(
    make_api: MakeApi, db: Any, make_settings: Any
) -> None:
    with CountingMailServer() as mail:
        async with make_api(**sequence_settings(mail)) as api:
            campaign = await sequence_campaign(
                api, sequence=[{"subject": "Hi", "body": "Hello"}], send_window=ALWAYS_OPEN
            )
            await leads(api, campaign["id"], LEADS)
            await enroll(api, campaign["id"])
            mail.handler.delay = 0.05
            settings = make_settings(**sequence_settings(mail))
            running = asyncio.create_task(scheduler.send_due(AppDatabase(db.engine), settings))
            assert await asyncio.to_thread(mail.handler.wait_for, 3, 30)
            response = await api.patch(f"/campaigns/{campaign['id']}", json={"status": "paused"})
            answered_at = utcnow()
            assert response.status_code == 200, response.text
            sent = await running
            async with db.engine.connect() as conn:
                late = await conn.scalar(
                    select(func.count())
                    .select_from(OutreachAttempt)
                    .where(OutreachAttempt.created_at > answered_at)
                )
                total = await conn.scalar(select(func.count()).select_from(OutreachAttempt))
    assert late == 0
    assert 3 <= sent == total < LEADS  # the pause cut the pass short
