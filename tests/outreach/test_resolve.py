"""`doctor --resolve`: settling an attempt a crash left `sending`, never re-sending it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import make_sessionmaker, utcnow
from backlink_outreach.models import Campaign, FollowUp, Lead, OutreachAttempt, Suppression
from backlink_outreach.outreach.resolve import NOT_DELIVERED, NotStuck, resolve
from tests.support.database import Database


def _attempt(n: int, kind: str = "initial", status: str = "sending") -> OutreachAttempt:
    now = utcnow()
    return OutreachAttempt(
        id=f"att_{n}",
        workspace_id="w",
        campaign_id="cmp_1",
        lead_id="lead_1",
        kind=kind,
        step=0 if kind == "initial" else 1,
        sender_email="s@agency.test",
        recipient_email="ed@garden.test",
        recipient_domain="garden.test",
        subject=f"Idea {n}",
        subject_key=f"idea {n}",
        body="Hello",
        message_id=f"<{n}@agency.test>",
        status=status,
        send_day=now.date(),
        created_at=now - timedelta(hours=1),
        permanent_failure=False,
    )


async def _seed(db: Database, *attempts: OutreachAttempt) -> None:
    async with make_sessionmaker(db.engine).begin() as session:
        session.add(
            Campaign(id="cmp_1", workspace_id="w", name="c", keywords=[], follow_up_days=[3, 7])
        )
        session.add(
            Lead(
                id="lead_1",
                campaign_id="cmp_1",
                workspace_id="w",
                website_url="https://garden.test",
                domain="garden.test",
                contact_email="ed@garden.test",
            )
        )
        await session.flush()
        session.add_all(attempts)


async def _load(db: Database, model: Any, **where: Any) -> list[Any]:
    async with make_sessionmaker(db.engine)() as session:
        query = select(model).filter_by(**where)
        return list((await session.scalars(query)).all())


async def test_resolved_as_sent_does_what_a_send_does_next(
    db: Database, make_settings: Callable[..., Any]
) -> None:
    await _seed(db, _attempt(1))
    before = utcnow()
    attempt = await resolve(AppDatabase(db.engine), make_settings(), "att_1", "sent")
    assert attempt.status == "sent"
    [stored] = await _load(db, OutreachAttempt, id="att_1")
    assert stored.status == "sent" and stored.sent_at is not None and stored.sent_at >= before
    [lead] = await _load(db, Lead, id="lead_1")
    assert lead.status == "contacted"
    follow_ups = await _load(db, FollowUp, attempt_id="att_1")
    assert sorted(f.step for f in follow_ups) == [1, 2]
    assert {(f.scheduled_for - stored.sent_at).days for f in follow_ups} == {3, 7}
    with pytest.raises(NotStuck):
        await resolve(AppDatabase(db.engine), make_settings(), "att_1", "failed")


async def test_resolved_as_failed_frees_the_slot_and_suppresses_nothing(
    db: Database, make_settings: Callable[..., Any]
) -> None:
    await _seed(db, _attempt(2))
    await resolve(AppDatabase(db.engine), make_settings(), "att_2", "failed")
    [stored] = await _load(db, OutreachAttempt, id="att_2")
    assert (stored.status, stored.error, stored.permanent_failure) == (
        "failed",
        NOT_DELIVERED,
        False,
    )
    assert (await _load(db, Lead, id="lead_1"))[0].status == "discovered"
    assert await _load(db, FollowUp) == [] and await _load(db, Suppression) == []


async def test_a_stuck_follow_up_is_settled_with_its_attempt(
    db: Database, make_settings: Callable[..., Any]
) -> None:
    await _seed(db, _attempt(3, status="sent"), _attempt(4, kind="follow_up"))
    async with make_sessionmaker(db.engine).begin() as session:
        now = utcnow()
        session.add(
            FollowUp(
                id="fu_1",
                workspace_id="w",
                campaign_id="cmp_1",
                lead_id="lead_1",
                attempt_id="att_3",
                step=1,
                scheduled_for=now,
                subject="Re: Idea 3",
                body="b",
                status="scheduled",
                sent_attempt_id="att_4",
                created_at=now,
                updated_at=now,
            )
        )
    await resolve(AppDatabase(db.engine), make_settings(), "att_4", "sent")
    [follow_up] = await _load(db, FollowUp, id="fu_1")
    assert follow_up.status == "sent"
    assert (await _load(db, OutreachAttempt, id="att_4"))[0].status == "sent"
    # Follow-ups of a follow-up are never scheduled.
    assert [f.id for f in await _load(db, FollowUp)] == ["fu_1"]


async def test_cli(db: Database, tmp_path: Path) -> None:
    await _seed(db, _attempt(5))
    env = {
        **os.environ,
        "DATABASE_URL": db.plain_url,
        "AUTH_MODE": "dev",
        "DATA_DIR": str(tmp_path),
    }
    cli = [sys.executable, "-m", "backlink_outreach", "doctor"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args], env=env, capture_output=True, text=True, timeout=60)

    assert run("--resolve", "att_5").returncode == 2  # --as is required
    assert run("--resolve", "att_nope", "--as", "sent").returncode == 2
    done = run("--resolve", "att_5", "--as", "failed")
    assert done.returncode == 0 and "att_5 is now failed" in done.stderr
    assert (await _load(db, OutreachAttempt, id="att_5"))[0].status == "failed"
