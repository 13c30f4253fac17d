"""What the outbox write adds to a send (issue 18): API sends (to the `.eml` outbox, no SMTP) in
a workspace with a webhook endpoint subscribed to `send.sent` and `lead.status_changed` (each
send then writes two events) against the same sends in a workspace without one.

Both apps run side by side in one process, each on its own database (SQLite, then PostgreSQL
when it is available), and the sends
alternate in rounds (the order flipping each round) so that both see the same machine: on a
shared machine, two runs one after the other measure the neighbours as much as the code.

A send takes 15-30 ms here, and two such figures taken a minute apart differ by up to 1 ms
with identical code (both sides unsubscribed), so their difference cannot show 0.2 ms. The
outbox's own part is therefore also timed alone: the same two events (the data the sends
wrote) recorded and written in a transaction that has begun, as a send's has by then, with the
endpoints already read (both sides of a send read them), alternating with the same rows' INSERT
on the bare driver: one round trip, the floor of any write in the transaction.
Target: ratio <= 1.1, and under 0.2 ms added per send.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from backlink_outreach.db import utcnow
from backlink_outreach.ids import new_id
from backlink_outreach.integrations import events
from backlink_outreach.models import OutboxEvent
from bench.common import BenchDatabase, bench_api, bench_database, postgres_available
from bench.report import Figure

SENDS = 400
ROUND = 20
KEY = "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI="  # base64 of 32 bytes
HOOK = {"url": "http://127.0.0.1:9/", "events": ["send.sent", "lead.status_changed"]}


async def _prepare(api: httpx.AsyncClient, subscribed: bool) -> tuple[str, list[str]]:
    if subscribed:
        assert (await api.post("/webhooks", json=HOOK)).status_code == 201
    campaign = (await api.post("/campaigns", json={"name": "b"})).json()["id"]
    leads = [
        {"website_url": f"https://s{n}.test", "contact_email": f"e@s{n}.test"} for n in range(SENDS)
    ]
    await api.post(f"/campaigns/{campaign}/leads/bulk", json=leads)
    ids = [lead["id"] for lead in (await api.get(f"/campaigns/{campaign}")).json()["leads"]]
    return campaign, ids


async def _round(api: httpx.AsyncClient, campaign: str, lead_ids: list[str]) -> float:
    started = time.perf_counter()
    for lead_id in lead_ids:
        body = {"campaign_id": campaign, "lead_id": lead_id, "subject": "Hi", "body": "Hello"}
        response = await api.post("/outreach/send", json=body)
        assert response.status_code == 200, response.text
    return time.perf_counter() - started


_RAW_INSERT = (
    "INSERT INTO events (id, workspace_id, type, payload, endpoint_ids, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


class _RawDriver:
    """The floor: the same INSERT of the same rows on a bare driver connection (aiosqlite or
    asyncpg, the app's drivers), in a transaction begun by a first statement."""

    def __init__(self, db: BenchDatabase) -> None:
        self.db = db
        self.sqlite: aiosqlite.Connection | None = None
        self.pg: asyncpg.Connection | None = None

    async def __aenter__(self) -> _RawDriver:
        if self.db.sqlite_path is not None:
            self.sqlite = await aiosqlite.connect(self.db.sqlite_path, isolation_level=None)
            # As the app's connections have it: SQLite then checks what references the table.
            await self.sqlite.execute("PRAGMA foreign_keys=ON")
        else:
            assert self.db.pg_dsn is not None
            self.pg = await asyncpg.connect(self.db.pg_dsn)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.sqlite is not None:
            await self.sqlite.close()
        if self.pg is not None:
            await self.pg.close()

    async def insert(self, rows: list[tuple[Any, ...]]) -> float:
        """ms for the INSERT alone."""
        if self.sqlite is not None:
            await self.sqlite.execute("BEGIN IMMEDIATE")
            await self.sqlite.execute("SELECT 1")
            started = time.perf_counter()
            await self.sqlite.executemany(_RAW_INSERT, rows)
            spent = time.perf_counter() - started
            await self.sqlite.execute("COMMIT")
            return spent * 1000
        assert self.pg is not None
        sql = _RAW_INSERT
        for n in range(1, 7):
            sql = sql.replace("?", f"${n}", 1)
        async with self.pg.transaction():
            await self.pg.execute("SELECT 1")
            started = time.perf_counter()
            await self.pg.executemany(sql, rows)
            return (time.perf_counter() - started) * 1000


async def _outbox_alone(db: BenchDatabase, workspace: str) -> tuple[float, float]:
    """The outbox's part of a send alone (its two events recorded and written), and the same
    rows' INSERT on the bare driver, alternately: medians in ms, which a neighbour's burst on
    a shared machine moves least."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(OutboxEvent.type, OutboxEvent.payload).order_by(OutboxEvent.id).limit(2)
        )
        pair = [(type_, json.loads(payload)["data"]) for type_, payload in rows]
    ours, raw = [], []
    async with AsyncSession(db.engine) as session, _RawDriver(db) as driver:
        for _ in range(SENDS):
            async with session.begin():
                await session.execute(text("SELECT 1"))
                await events.subscribers(session, [workspace])
                now = utcnow()
                started = time.perf_counter()
                async with events.batch(session):
                    for type_, data in pair:
                        await events.record(session, workspace, type_, data, now)
                ours.append((time.perf_counter() - started) * 1000)
            stamp: Any = now if db.backend == "postgresql" else now.isoformat(" ")
            same = [
                (new_id("evt"), workspace, type_, events.body(type_, now, data), "whk_x", stamp)
                for type_, data in pair
            ]
            raw.append(await driver.insert(same))
    return statistics.median(ours), statistics.median(raw)


async def run() -> list[Figure]:
    figures = await _measure("sqlite")
    if await postgres_available():
        figures += await _measure("postgresql")
    return figures


async def _measure(backend: str) -> list[Figure]:
    with tempfile.TemporaryDirectory() as outbox:
        settings: dict[str, Any] = {
            "mail_outbox_dir": Path(outbox),
            "smtp_from_email": "bench@sender.test",
            "sender_postal_address": "1 Bench Street",
            "secrets_key": KEY,
            "webhook_allow_private_networks": True,
            "policy_sender_daily_cap": 100_000,
            "policy_domain_daily_cap": 100_000,
            "policy_workspace_daily_cap": 100_000,
        }
        async with contextlib.AsyncExitStack() as stack:
            plain_db = await stack.enter_async_context(bench_database(backend))
            hooked_db = await stack.enter_async_context(bench_database(backend))
            plain = await stack.enter_async_context(bench_api(plain_db, **settings))
            hooked = await stack.enter_async_context(bench_api(hooked_db, **settings))
            sides = {
                "without": (plain, *await _prepare(plain, False)),
                "with": (hooked, *await _prepare(hooked, True)),
            }
            # A warm-up round each (first-use costs: statement caches, imports).
            warm = {name: leads[:ROUND] for name, (_, _, leads) in sides.items()}
            for name, (api, campaign, _) in sides.items():
                await _round(api, campaign, warm[name])
            seconds = {"without": 0.0, "with": 0.0}
            for start in range(ROUND, SENDS, ROUND):
                order = ["without", "with"] if (start // ROUND) % 2 else ["with", "without"]
                for name in order:
                    api, campaign, leads = sides[name]
                    seconds[name] += await _round(api, campaign, leads[start : start + ROUND])
            async with hooked_db.engine.connect() as conn:
                written = (await conn.exec_driver_sql("SELECT count(*) FROM events")).scalar()
                workspace = (
                    await conn.exec_driver_sql("SELECT workspace_id FROM events LIMIT 1")
                ).scalar_one()
            if written != 2 * SENDS:
                raise RuntimeError(f"{written} events for {SENDS} sends, expected {2 * SENDS}")
            alone_ms, raw_ms = await _outbox_alone(hooked_db, workspace)
    timed = SENDS - ROUND
    with_ms, without_ms = seconds["with"] * 1000 / timed, seconds["without"] * 1000 / timed
    name = f"send path, {timed} sends, interleaved ({backend})"
    return [
        Figure(name, "ms/send with endpoint", with_ms, without_ms, "ratio <= 1.1 (without)"),
        Figure(name, "ms added per send", with_ms - without_ms, None, "< 0.2 (noise +-1)"),
        Figure(
            f"outbox write alone, {SENDS} sends' two events ({backend})",
            "median ms per send",
            alone_ms,
            raw_ms,
            "< 0.2 (baseline: the INSERT on the bare driver)",
        ),
    ]
