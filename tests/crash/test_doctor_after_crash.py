"""What `doctor` reports about the traces a crash leaves, on both backends (the multi-process
crash tests need PostgreSQL; these rules do not)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backlink_outreach.db import utcnow
from backlink_outreach.doctor import examine
from backlink_outreach.models import Campaign, FollowUp, Lead, OutreachAttempt
from tests.support.database import Database


def _attempt(name: str, status: str, age: timedelta, kind: str = "initial") -> OutreachAttempt:
    return OutreachAttempt(
        id=f"att_{name}",
        workspace_id="w",
        campaign_id="cmp_1",
        lead_id=f"lead_{name[-1]}",
        kind=kind,
        step=0 if kind == "initial" else 1,
        sender_email="s@agency.test",
        recipient_email=f"ed@site{name[-1]}.test",
        recipient_domain=f"site{name[-1]}.test",
        subject="Hi",
        subject_key="hi",
        body="b",
        message_id=f"<{name}@agency.test>",
        status=status,
        send_day=date.today(),
        created_at=utcnow() - age,
        permanent_failure=False,
    )


def _follow_up(n: int, due_ago: timedelta, sent_attempt_id: str | None) -> FollowUp:
    return FollowUp(
        id=f"fu_{n}",
        workspace_id="w",
        campaign_id="cmp_1",
        lead_id=f"lead_{n}",
        attempt_id=f"att_i{n}",
        step=1,
        scheduled_for=utcnow() - due_ago,
        subject="Re: Hi",
        body="b",
        status="scheduled",
        sent_attempt_id=sent_attempt_id,
    )


async def test_claimed_follow_up_cut_off_by_a_crash_is_stuck_not_overdue(
    db: Database, make_settings: Callable[..., Any]
) -> None:
    hour = timedelta(hours=1)
    async with AsyncSession(db.engine) as session:
        session.add(
            Campaign(id="cmp_1", workspace_id="w", name="c", keywords=[], follow_up_days=[1])
        )
        session.add_all(
            Lead(
                id=f"lead_{n}",
                campaign_id="cmp_1",
                workspace_id="w",
                website_url=f"https://site{n}.test",
                domain=f"site{n}.test",
            )
            for n in (1, 2, 3)
        )
        await session.flush()
        session.add_all(
            [
                _attempt("i1", "sent", 25 * hour),
                _attempt("i2", "sent", 25 * hour),
                # The worker claimed follow-up 1 an hour ago and died while sending it.
                _attempt("f1", "sending", hour, kind="follow_up"),
                # A send in progress right now.
                _attempt("i3", "sending", timedelta(seconds=5)),
            ]
        )
        await session.flush()
        # Follow-up 1 claimed (never taken again); follow-up 2 due and waiting for a worker.
        session.add_all([_follow_up(1, hour, "att_f1"), _follow_up(2, hour, None)])
        await session.commit()

    settings = make_settings()
    report = await examine(db.engine, settings)
    assert [s.id for s in report.stuck_sending] == ["att_f1"]
    # Only follow-up 2 is work a worker should pick up; follow-up 1 is the stuck attempt.
    assert report.overdue_follow_ups == 1
    assert any("1 follow-ups are overdue" in w for w in report.warnings)
    assert not report.healthy

    at_once = await examine(db.engine, settings, stuck_after=timedelta(0))
    assert [s.id for s in at_once.stuck_sending] == ["att_f1", "att_i3"]
    assert at_once.overdue_follow_ups == 1
