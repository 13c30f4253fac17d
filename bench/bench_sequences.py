"""Scheduled sending (issue 14): draining due steps, an idle pass, and the forecast.

1. 2,000 due steps across 10 mailboxes into one local aiosmtpd (spacing 0, no jitter), drained
   by scheduler passes, against a raw aiosmtplib loop posting the same number of pre-built
   messages over 10 connections at once. Target: ratio <= 2 (steps/s against raw sends/s).
2. A scheduler pass with 100,000 enrolled leads and nothing due: under 20 ms, against the due
   query alone run directly (its floor). PostgreSQL and SQLite.
3. The forecast (`GET /campaigns/{id}/schedule`) for 10,000 enrolled leads across 10 mailboxes:
   under 200 ms, against reading the same step rows directly.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller
from sqlalchemy import insert, select, text

from backlink_outreach.config import Settings
from backlink_outreach.database import Database
from backlink_outreach.ids import new_id
from backlink_outreach.models import Lead, SequenceStep
from backlink_outreach.sequences import scheduler
from bench.bench_mailbox_send import KEY
from bench.bench_send import _free_port, _Sink
from bench.common import bench_api, bench_database, postgres_available
from bench.report import Figure

STEPS = 2_000
MAILBOXES = 10
ENROLLED = 100_000
FORECAST_LEADS = 10_000
ALWAYS = {
    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "start": "00:00",
    "end": "24:00",
}
SETTINGS: dict[str, Any] = {
    "secrets_key": KEY,
    "unsubscribe_secret": "bench",
    "send_jitter_seconds": 0,
    "policy_domain_daily_cap": 100_000,
    "policy_workspace_daily_cap": 100_000,
    "policy_recontact_days": 0,
}


def _mailbox(index: int, port: int) -> dict[str, Any]:
    return {
        "name": f"box{index}",
        "from_email": f"box{index}@bench.test",
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
        "daily_cap": 2000,
        "min_interval_seconds": 0,
    }


async def _campaign(client: Any, leads: int, mailbox_ids: list[str], **fields: Any) -> str:
    body = {
        "name": "Bench",
        "mailbox_ids": mailbox_ids,
        "send_window": ALWAYS,
        "sequence": [{"subject": "Guest post for {website_title}", "body": "Hi {first_name}."}],
        **fields,
    }
    campaign = (await client.post("/campaigns", json=body)).json()
    for start in range(0, leads, 10_000):
        entries = [
            {
                "website_url": f"https://site{i}.test/",
                "contact_email": f"editor@site{i}.test",
                "website_title": f"Site {i}",
            }
            for i in range(start, min(leads, start + 10_000))
        ]
        await client.post(f"/campaigns/{campaign['id']}/leads/bulk", json=entries)
    return str(campaign["id"])


async def _drain(backend: str, port: int, sink: _Sink) -> float:
    async with bench_database(backend) as db, bench_api(db, **SETTINGS) as client:
        boxes = [
            (await client.post("/mailboxes", json=_mailbox(i, port))).json()
            for i in range(MAILBOXES)
        ]
        campaign_id = await _campaign(client, STEPS, [b["id"] for b in boxes])
        enrolled = (
            await client.post(f"/campaigns/{campaign_id}/enroll", json={"all_eligible": True})
        ).json()
        assert enrolled["enrolled"] == STEPS, enrolled
        settings = Settings(_env_file=None, database_url=db.url, **SETTINGS)
        database = Database(db.engine)
        before = sink.count
        started = time.perf_counter()
        sent = 0
        while sent < STEPS:
            done = await scheduler.send_due(database, settings)
            if done == 0:
                raise RuntimeError(f"a pass sent nothing after {sent} of {STEPS}")
            sent += done
        seconds = time.perf_counter() - started
        if sink.count - before != STEPS:
            raise RuntimeError(f"received {sink.count - before}, expected {STEPS}")
        return seconds


async def _raw(port: int) -> float:
    body = (
        b"From: box@bench.test\r\nTo: editor@site.test\r\nSubject: Guest post\r\n\r\n" + b"x" * 900
    )

    async def lane(count: int) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30, start_tls=False)
        await client.connect()
        for i in range(count):
            await client.sendmail("box@bench.test", [f"editor@site{i}.test"], body)
        await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(lane(STEPS // MAILBOXES) for _ in range(MAILBOXES)))
    return time.perf_counter() - started


async def _seed_steps(db: Any, campaign_id: str, workspace: str, not_before: datetime) -> int:
    async with db.engine.connect() as conn:
        lead_ids = list(await conn.scalars(select(Lead.id).where(Lead.campaign_id == campaign_id)))
    now = datetime.now(UTC)
    rows = [
        {
            "id": new_id("stp"),
            "workspace_id": workspace,
            "campaign_id": campaign_id,
            "lead_id": lead_id,
            "step": step,
            "status": "scheduled",
            "not_before": not_before if step == 0 else None,
            "created_at": now,
            "updated_at": now,
        }
        for lead_id in lead_ids
        for step in range(3)
    ]
    async with db.engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            await conn.execute(insert(SequenceStep), rows[start : start + 5000])
    return len(lead_ids)


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _idle_pass(backend: str) -> tuple[float, float]:
    async with bench_database(backend) as db, bench_api(db, **SETTINGS) as client:
        campaign_id = await _campaign(client, ENROLLED, [])
        workspace = (await client.get(f"/campaigns/{campaign_id}")).json()["workspace_id"]
        await _seed_steps(db, campaign_id, workspace, datetime.now(UTC) + timedelta(days=30))
        async with db.engine.begin() as conn:
            if backend == "postgresql":
                await conn.execute(text("ANALYZE"))
        settings = Settings(_env_file=None, database_url=db.url, **SETTINGS)
        database = Database(db.engine)
        passes, raw = [], []
        for _ in range(30):
            started = time.perf_counter()
            assert await scheduler.send_due(database, settings) == 0
            passes.append(time.perf_counter() - started)
            started = time.perf_counter()
            async with db.engine.connect() as conn:
                await conn.execute(
                    select(SequenceStep.id)
                    .where(
                        SequenceStep.status == "scheduled",
                        SequenceStep.not_before <= datetime.now(UTC),
                    )
                    .limit(scheduler.BATCH)
                )
            raw.append(time.perf_counter() - started)
        return statistics.median(passes) * 1000, statistics.median(raw) * 1000


async def _forecast() -> tuple[float, float]:
    async with bench_database("sqlite") as db, bench_api(db, **SETTINGS) as client:
        boxes = [
            (await client.post("/mailboxes", json=_mailbox(i, 2525))).json()
            for i in range(MAILBOXES)
        ]
        campaign_id = await _campaign(client, FORECAST_LEADS, [b["id"] for b in boxes])
        workspace = (await client.get(f"/campaigns/{campaign_id}")).json()["workspace_id"]
        await _seed_steps(db, campaign_id, workspace, datetime.now(UTC))
        calls, raw = [], []
        for _ in range(10):
            started = time.perf_counter()
            response = await client.get(f"/campaigns/{campaign_id}/schedule")
            calls.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            started = time.perf_counter()
            async with db.engine.connect() as conn:
                await conn.execute(
                    select(
                        SequenceStep.lead_id,
                        SequenceStep.step,
                        SequenceStep.mailbox_id,
                        SequenceStep.not_before,
                    )
                    .where(SequenceStep.campaign_id == campaign_id)
                    .order_by(SequenceStep.lead_id, SequenceStep.step)
                )
            raw.append(time.perf_counter() - started)
        return _p(calls, 0.95) * 1000, _p(raw, 0.95) * 1000


async def run() -> list[Figure]:
    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    figures: list[Figure] = []
    backends = ["sqlite"] + (["postgresql"] if await postgres_available() else [])
    try:
        raw = await _raw(port)
        for backend in backends:
            seconds = await _drain(backend, port, sink)
            figures.append(
                Figure(
                    bench=f"drain {STEPS:,} due steps over {MAILBOXES} mailboxes ({backend})",
                    metric="steps/s",
                    value=STEPS / seconds,
                    baseline=STEPS / raw,
                    target="ratio <= 2 (raw aiosmtplib, 10 connections)",
                    higher_is_better=True,
                )
            )
    finally:
        controller.stop()
    for backend in backends:
        value, floor = await _idle_pass(backend)
        figures.append(
            Figure(
                bench=f"scheduler pass, {ENROLLED:,} enrolled, none due ({backend})",
                metric="ms (median)",
                value=value,
                baseline=floor,
                target="< 20 ms",
            )
        )
    value, floor = await _forecast()
    figures.append(
        Figure(
            bench=f"schedule + forecast, {FORECAST_LEADS:,} leads x 3 steps, {MAILBOXES} mailboxes",
            metric="ms (p95)",
            value=value,
            baseline=floor,
            target="< 200 ms",
        )
    )
    return figures
