"""Leads at scale, each against a raw baseline measured in the same run.

- Bulk add of 10,000 leads through the API against a raw executemany of the same rows.
  Target (issue 2): ratio at most 3, and the API call under 2 s on this machine.
- A page of the lead list (`GET /campaigns/{id}/leads?status=&q=&sort=-quality_score`, 50
  leads) in a campaign of 100,000: p95 through the API in process (the ASGI app called
  directly; through httpx too, for reference) against p95 of the very statements the request
  issued (captured, then replayed on a bare connection of the app's driver, aiosqlite or
  asyncpg; on SQLite also on the blocking sqlite3 module, for reference), in turn. Target
  (issue 15): ratio at most 1.5, p95 under 30 ms.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import asyncpg
from sqlalchemy import event

from backlink_outreach.db import SQLITE_READ_PRAGMAS
from backlink_outreach.ids import new_id
from bench.common import BenchDatabase, bench_api, bench_app, bench_database, postgres_available
from bench.report import Figure

N = 10_000
COLUMNS = (
    "id",
    "campaign_id",
    "workspace_id",
    "website_url",
    "domain",
    "website_title",
    "contact_email",
    "contact_name",
    "notes",
    "consent",
    "quality_score",
    "relevance_score",
    "guest_post_likelihood",
    "source",
    "status",
    "created_at",
    "updated_at",
)


def _entries(prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "website_url": f"https://www.{prefix}{i}.example/write-for-us",
            "contact_email": f"editor@{prefix}{i}.example",
            "website_title": f"Site {i}",
            "quality_score": 0.5,
            "source": "bench",
        }
        for i in range(N)
    ]


def _raw_rows(campaign_id: str, workspace: str, prefix: str) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        (
            new_id("lead"),
            campaign_id,
            workspace,
            f"https://www.{prefix}{i}.example/write-for-us",
            f"{prefix}{i}.example",
            f"Site {i}",
            f"editor@{prefix}{i}.example",
            None,
            None,
            False,
            0.5,
            None,
            None,
            "bench",
            "discovered",
            now,
            now,
        )
        for i in range(N)
    ]


async def _raw_insert(db: BenchDatabase, rows: list[tuple[Any, ...]]) -> float:
    placeholders = ", ".join("?" for _ in COLUMNS)
    sql = f"INSERT INTO leads ({', '.join(COLUMNS)}) VALUES ({placeholders})"
    started = time.perf_counter()
    if db.backend == "sqlite":
        assert db.sqlite_path is not None
        conn = sqlite3.connect(db.sqlite_path)
        with conn:
            conn.executemany(sql, rows)
        conn.close()
    else:
        assert db.pg_dsn is not None
        pg = await asyncpg.connect(db.pg_dsn)
        pg_sql = sql
        for n in range(len(COLUMNS), 0, -1):
            pg_sql = pg_sql.replace("?", f"${len(COLUMNS) - n + 1}", 1)
        aware = [(*r[:15], r[15].replace(tzinfo=UTC), r[16].replace(tzinfo=UTC)) for r in rows]
        async with pg.transaction():
            await pg.executemany(pg_sql, aware)
        await pg.close()
    return time.perf_counter() - started


async def _one_backend(backend: str) -> list[Figure]:
    async with bench_database(backend) as db, bench_api(db) as client:
        raw_campaign = (await client.post("/campaigns", json={"name": "raw"})).json()
        api_campaign = (await client.post("/campaigns", json={"name": "api"})).json()
        raw_seconds = await _raw_insert(db, _raw_rows(raw_campaign["id"], "bench", "raw"))
        entries = _entries("api")
        started = time.perf_counter()
        response = await client.post(f"/campaigns/{api_campaign['id']}/leads/bulk", json=entries)
        api_seconds = time.perf_counter() - started
        assert response.json()["added"] == N, response.text[:300]
    return [
        Figure(
            f"bulk add 10k leads ({backend})",
            "API call s",
            api_seconds,
            baseline=raw_seconds,
            target="ratio <= 3, API < 2 s",
        )
    ]


PAGE_LEADS = 100_000
PAGE_RUNS = 600
PAGE_QUERY = {"status": "discovered", "q": "garden", "sort": "-quality_score", "limit": "50"}
TOPICS = ("garden", "kitchen", "travel", "finance", "pets", "cycling", "coffee", "books")
STATUSES = ("discovered", "contacted", "replied", "placed", "bounced", "lost")


def _page_rows(campaign_id: str, workspace: str) -> list[tuple[Any, ...]]:
    """Half the leads `discovered`, one in eight about each topic, a tenth without a score."""
    rnd = random.Random(15)
    start = datetime.now(UTC) - timedelta(days=30)
    rows = []
    for i in range(PAGE_LEADS):
        topic = TOPICS[i % len(TOPICS)]
        at = start + timedelta(seconds=i)
        rows.append(
            (
                new_id("lead"),
                campaign_id,
                workspace,
                f"https://www.{topic}{i}.example/",
                f"{topic}{i}.example",
                f"{topic.title()} blog {i}",
                f"editor@{topic}{i}.example",
                f"Editor {i}",
                None,
                False,
                None if rnd.random() < 0.1 else round(rnd.random(), 3),
                round(rnd.random(), 3),
                round(rnd.random(), 3),
                "bench",
                "discovered" if rnd.random() < 0.5 else rnd.choice(STATUSES),
                at,
                at,
            )
        )
    return rows


async def _seed_page_campaign(db: BenchDatabase, campaign_id: str) -> None:
    rows = _page_rows(campaign_id, "bench")
    if db.backend == "sqlite":
        assert db.sqlite_path is not None
        naive = [(*r[:15], r[15].replace(tzinfo=None), r[16].replace(tzinfo=None)) for r in rows]
        placeholders = ", ".join("?" for _ in COLUMNS)
        conn = sqlite3.connect(db.sqlite_path)
        with conn:
            conn.executemany(
                f"INSERT INTO leads ({', '.join(COLUMNS)}) VALUES ({placeholders})", naive
            )
            conn.execute("ANALYZE")
        conn.close()
        return
    assert db.pg_dsn is not None
    pg = await asyncpg.connect(db.pg_dsn)
    await pg.copy_records_to_table("leads", records=rows, columns=COLUMNS)
    await pg.execute("ANALYZE leads")
    await pg.close()


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


class _RawReplay:
    """The request's own SELECTs replayed on a bare connection of the app's own driver
    (aiosqlite, or asyncpg), and on SQLite also on the blocking sqlite3 module, which an
    asyncio service cannot use without stopping its event loop for the query: the app pays
    aiosqlite's thread hop, and so does the baseline."""

    def __init__(self, db: BenchDatabase, statements: list[tuple[str, Any]]) -> None:
        self.db = db
        self.statements = statements
        self.blocking: sqlite3.Connection | None = None
        self.aiosqlite: aiosqlite.Connection | None = None
        self.pg: asyncpg.Connection | None = None

    async def __aenter__(self) -> _RawReplay:
        if self.db.sqlite_path is not None:
            # Read as the app's connections read (`db.SQLITE_READ_PRAGMAS`): the same SQL on
            # the same terms, so the ratio is the service's own cost.
            self.blocking = sqlite3.connect(self.db.sqlite_path)
            self.aiosqlite = await aiosqlite.connect(self.db.sqlite_path)
            for pragma in SQLITE_READ_PRAGMAS:
                self.blocking.execute(pragma)
                await self.aiosqlite.execute(pragma)
        else:
            assert self.db.pg_dsn is not None
            self.pg = await asyncpg.connect(self.db.pg_dsn)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.blocking is not None:
            self.blocking.close()
        if self.aiosqlite is not None:
            await self.aiosqlite.close()
        if self.pg is not None:
            await self.pg.close()

    async def run(self) -> float:
        """ms for the statements on the app's driver, one after the other."""
        started = time.perf_counter()
        for sql, params in self.statements:
            if self.aiosqlite is not None:
                await self.aiosqlite.execute_fetchall(sql, params)
            else:
                assert self.pg is not None
                await self.pg.fetch(sql, *params)
        return (time.perf_counter() - started) * 1000

    def run_blocking(self) -> float | None:
        """ms for the statements on sqlite3 (None on PostgreSQL)."""
        if self.blocking is None:
            return None
        started = time.perf_counter()
        for sql, params in self.statements:
            self.blocking.execute(sql, params).fetchall()
        return (time.perf_counter() - started) * 1000


async def _page_backend(backend: str) -> list[Figure]:
    """The page and its SQL in turn, so that all see the same moments of a shared machine:
    the ASGI app called directly (the service's time, the figure the target is for), the
    same through httpx (plus an HTTP client's own time), and the raw SQL (see `_RawReplay`)."""
    async with bench_database(backend) as db, bench_app(db) as bench:
        client = bench.client
        campaign = (await client.post("/campaigns", json={"name": "page"})).json()
        await _seed_page_campaign(db, campaign["id"])
        path = f"/campaigns/{campaign['id']}/leads"
        seen: list[tuple[str, Any]] = []

        def record(_c: Any, _cur: Any, statement: str, params: Any, _x: Any, _m: bool) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append((statement, params))

        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        response = await client.get(path, params=PAGE_QUERY)
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        assert response.status_code == 200 and len(response.json()) == 50, response.text[:300]
        status, body = await bench.asgi_get(path, PAGE_QUERY)
        assert status == 200 and body == response.content, body[:300]
        direct, through_httpx, raw, blocking = [], [], [], []
        async with _RawReplay(db, seen) as replay:
            for _ in range(PAGE_RUNS):
                started = time.perf_counter()
                status, _ = await bench.asgi_get(path, PAGE_QUERY)
                direct.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                response = await client.get(path, params=PAGE_QUERY)
                through_httpx.append((time.perf_counter() - started) * 1000)
                assert status == 200 and response.status_code == 200
                raw.append(await replay.run())
                on_sqlite3 = replay.run_blocking()
                if on_sqlite3 is not None:
                    blocking.append(on_sqlite3)
    name = f"lead list page, 100k leads ({backend})"
    figures = [
        Figure(name, "p95 ms", _p95(direct), _p95(raw), "ratio <= 1.5, p95 < 30 ms"),
        Figure(name, "p95 ms via httpx", _p95(through_httpx), _p95(raw), "(for reference)"),
    ]
    if blocking:
        figures.append(
            Figure(name, "p95 ms, vs blocking sqlite3", _p95(direct), _p95(blocking), "(ref.)")
        )
    return figures


async def run() -> list[Figure]:
    figures = await _one_backend("sqlite")
    figures += await _page_backend("sqlite")
    if await postgres_available():
        figures += await _one_backend("postgresql")
        figures += await _page_backend("postgresql")
    return figures
