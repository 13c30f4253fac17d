"""`doctor` on mailboxes: the breaker open and a failed last poll or test fail the check; a
person's pause, an overdue or never-made reply poll, and sequence steps over an hour late
(no scheduler running) are warned about."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, update

from backlink_outreach.db import utcnow
from backlink_outreach.doctor import examine
from backlink_outreach.models import Mailbox, MailboxHealth, MailboxState, SequenceStep
from backlink_outreach.replies.accounts import state_id_of
from tests.conftest import Api, create_campaign
from tests.mailboxes.support import IMAP_PASSWORD, KEY, create_mailbox
from tests.support.database import Database

IMAP = {"host": "127.0.0.1", "port": 1143, "security": "none", "username": "bob"}


async def _mailbox(api: Api, name: str, imap: bool = False) -> str:
    extra: dict[str, Any] = {"imap": {**IMAP, "password": IMAP_PASSWORD}} if imap else {}
    made = await create_mailbox(api, name=name, from_email=f"{name}@agency.test", **extra)
    mailbox_id: str = made["id"]
    return mailbox_id


async def _health(db: Database, mailbox_id: str, **values: Any) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            update(MailboxHealth).where(MailboxHealth.mailbox_id == mailbox_id).values(**values)
        )


async def _state_id(db: Database, mailbox_id: str) -> str:
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                Mailbox.__table__.select().where(Mailbox.__table__.c.id == mailbox_id)
            )
        ).one()
    return state_id_of(row)  # type: ignore[arg-type]


async def test_healthy_mailboxes_say_nothing(
    make_api: Callable[..., Any], db: Database, make_settings: Callable[..., Any]
) -> None:
    async with make_api(secrets_key=KEY) as api:
        await _mailbox(api, "quiet")
        polled = await _mailbox(api, "polled", imap=True)
    state_id = await _state_id(db, polled)
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(MailboxState).values(
                id=state_id,
                last_uid=0,
                next_poll_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    report = await examine(db.engine, make_settings(secrets_key=KEY))
    assert report.mailbox_problems == [] and report.healthy, report.warnings
    assert not any("mailbox" in w for w in report.warnings)


async def test_breaker_and_failed_polls_and_tests_fail_the_check(
    make_api: Callable[..., Any], db: Database, make_settings: Callable[..., Any]
) -> None:
    async with make_api(secrets_key=KEY) as api:
        tripped = await _mailbox(api, "tripped")
        refused = await _mailbox(api, "refused", imap=True)
        tested = await _mailbox(api, "tested")
        held = await _mailbox(api, "held")
        response = await api.patch(f"/mailboxes/{held}", json={"status": "paused"})
        assert response.status_code == 200, response.text
    await _health(db, tripped, status="paused", paused_reason="bounce_rate")
    await _health(db, refused, last_error="imap: login refused")
    await _health(db, tested, last_error="smtp: TLS failed", last_test_at=utcnow())
    report = await examine(db.engine, make_settings(secrets_key=KEY))
    assert not report.healthy
    problems = report.mailbox_problems
    assert len(problems) == 3, problems
    (breaker,) = [p for p in problems if tripped in p]
    assert "bounce breaker" in breaker and "workspace user_a" in breaker
    (poll,) = [p for p in problems if refused in p]
    assert poll.endswith("last reply poll failed: login refused")
    (test,) = [p for p in problems if tested in p]
    assert test.endswith("last test failed: smtp: TLS failed")
    assert all(p in report.warnings for p in problems)  # printed by the CLI
    (pause,) = [w for w in report.warnings if held in w]
    assert "paused (manual)" in pause and held not in " ".join(problems)
    assert IMAP_PASSWORD not in " ".join(report.warnings)


async def test_a_person_pausing_a_mailbox_alone_is_only_a_warning(
    make_api: Callable[..., Any], db: Database, make_settings: Callable[..., Any]
) -> None:
    async with make_api(secrets_key=KEY) as api:
        held = await _mailbox(api, "held")
        assert (await api.patch(f"/mailboxes/{held}", json={"status": "paused"})).status_code == 200
    report = await examine(db.engine, make_settings(secrets_key=KEY))
    assert report.healthy and any(held in w for w in report.warnings)


async def test_overdue_and_missing_polls_are_warned_about(
    make_api: Callable[..., Any], db: Database, make_settings: Callable[..., Any]
) -> None:
    async with make_api(secrets_key=KEY) as api:
        late = await _mailbox(api, "late", imap=True)
        never = await _mailbox(api, "never", imap=True)
        fresh = await _mailbox(api, "fresh", imap=True)  # just added: its first poll is to come
    now = utcnow()
    state_id = await _state_id(db, late)
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(MailboxState).values(
                id=state_id,
                last_uid=9,
                next_poll_at=now - timedelta(hours=2),
                updated_at=now,
            )
        )
        await conn.execute(
            update(Mailbox)
            .where(Mailbox.id == never)
            .values(created_at=now - timedelta(hours=3), updated_at=now)
        )
    settings = make_settings(secrets_key=KEY, poll_interval_seconds=300)
    report = await examine(db.engine, settings)
    assert report.healthy and report.mailbox_problems == []  # a worker's absence: a warning
    (overdue,) = [w for w in report.warnings if late in w]
    assert "reply poll overdue: due since" in overdue and "worker" in overdue
    (missing,) = [w for w in report.warnings if never in w]
    assert "never polled" in missing
    assert not any(fresh in w for w in report.warnings)
    # A poll interval longer than the delay: not overdue yet.
    relaxed = await examine(db.engine, make_settings(secrets_key=KEY, poll_interval_seconds=86400))
    assert not any(late in w or never in w for w in relaxed.warnings)


async def test_sequence_steps_over_an_hour_late_are_warned_about(
    api: Api, db: Database, make_settings: Callable[..., Any]
) -> None:
    campaign = await create_campaign(api)
    leads = await api.post(
        f"/campaigns/{campaign['id']}/leads/bulk",
        json=[{"website_url": f"https://s{n}.example/"} for n in range(4)],
    )
    assert leads.status_code == 200, leads.text
    detail = (await api.get(f"/campaigns/{campaign['id']}")).json()
    now = utcnow()
    lateness = [
        timedelta(hours=2),
        timedelta(minutes=90),
        timedelta(minutes=30),
        -timedelta(hours=1),
    ]
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(SequenceStep),
            [
                {
                    "id": f"stp_{n}",
                    "workspace_id": "user_a",
                    "campaign_id": campaign["id"],
                    "lead_id": lead["id"],
                    "step": 0,
                    "status": "scheduled",
                    "not_before": now - late,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, (lead, late) in enumerate(zip(detail["leads"], lateness, strict=True))
            ],
        )
        await conn.execute(  # an old step already sent is not late
            update(SequenceStep).where(SequenceStep.id == "stp_0").values(status="sent")
        )
    report = await examine(db.engine, make_settings())
    assert report.overdue_steps == 1
    assert any("1 sequence steps are over an hour overdue" in w for w in report.warnings)
