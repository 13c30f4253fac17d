from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from backlink_outreach.db import utcnow
from backlink_outreach.doctor import examine
from backlink_outreach.models import Campaign, Lead, LeadCountStripe, OutreachAttempt
from tests.conftest import Api, create_campaign
from tests.support.database import Database


def _attempt(n: int, status: str, age: timedelta) -> OutreachAttempt:
    return OutreachAttempt(
        id=f"att_{n}",
        workspace_id="w",
        campaign_id="cmp_1",
        lead_id="lead_1",
        kind="initial",
        step=0,
        sender_email="s@agency.test",
        recipient_email="ed@site.test",
        recipient_domain="site.test",
        subject="Hi",
        subject_key="hi",
        body="b",
        message_id=f"<{n}@agency.test>",
        status=status,
        send_day=date.today(),
        created_at=utcnow() - age,
        permanent_failure=False,
    )


async def test_doctor_reports_only_old_sending_attempts(
    db: Database, make_settings: Callable[..., Any]
) -> None:
    async with AsyncSession(db.engine) as session:
        session.add(
            Campaign(id="cmp_1", workspace_id="w", name="c", keywords=[], follow_up_days=[])
        )
        session.add(
            Lead(
                id="lead_1",
                campaign_id="cmp_1",
                workspace_id="w",
                website_url="https://site.test",
                domain="site.test",
            )
        )
        await session.flush()
        session.add_all(
            [
                _attempt(1, "sending", timedelta(hours=1)),
                _attempt(2, "sending", timedelta(seconds=10)),
                _attempt(3, "sent", timedelta(hours=1)),
                _attempt(4, "failed", timedelta(hours=2)),
            ]
        )
        await session.commit()
    report = await examine(db.engine, make_settings())
    assert report.database_ok and report.schema_current
    assert [s.id for s in report.stuck_sending] == ["att_1"]
    assert not report.healthy


async def test_doctor_checks_lead_counts_against_the_leads(
    api: Api, db: Database, make_settings: Callable[..., Any]
) -> None:
    counted = await create_campaign(api, name="counted")
    await api.post(
        f"/campaigns/{counted['id']}/leads/bulk",
        json=[{"website_url": f"https://s{n}.example/"} for n in range(3)],
    )
    empty = await create_campaign(api, name="empty")
    report = await examine(db.engine, make_settings())
    assert report.miscounted_campaigns == [] and report.healthy, report.warnings
    async with db.engine.begin() as conn:  # a count that went wrong, either way
        await conn.execute(
            update(LeadCountStripe)
            .where(LeadCountStripe.campaign_id == counted["id"])
            .values(leads=LeadCountStripe.leads + 1)
        )
        await conn.execute(
            insert(LeadCountStripe).values(campaign_id=empty["id"], stripe=7, leads=2)
        )
    report = await examine(db.engine, make_settings())
    assert report.miscounted_campaigns == sorted([counted["id"], empty["id"]])
    assert not report.healthy and any("lead count" in w for w in report.warnings)
