"""Leads at scale, each against a raw baseline measured in the same run.

- Bulk add of 10,000 leads through the API against a raw executemany of the same rows.
  Target (issue 2): ratio at most 3, and the API call under 2 s on this machine.
- A page of the lead list (`GET /campaigns/{id}/leads?status=&q=&sort=-quality_score`, 50
  leads) in a campaign of 100,000: p95 through the API in process against p95 of the very
  statements the request issued (captured, then replayed on the raw driver). Target (issue
  15): ratio at most 1.5, p95 under 30 ms.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import event

from backlink_outreach.ids import new_id
from bench.common import BenchDatabase, bench_api, bench_database, postgres_available
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
PAGE_RUNS = 200
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


async def _raw_page_p95(db: BenchDatabase, statements: list[tuple[str, Any]]) -> float:
    """The request's own SELECTs, on the raw driver, `PAGE_RUNS` times: p95 in ms."""
    samples = []
    if db.backend == "sqlite":
        assert db.sqlite_path is not None
        conn = sqlite3.connect(db.sqlite_path)
        for _ in range(PAGE_RUNS):
            started = time.perf_counter()
            for sql, params in statements:
                conn.execute(sql, params).fetchall()
            samples.append((time.perf_counter() - started) * 1000)
        conn.close()
        return _p95(samples)
    assert db.pg_dsn is not None
    pg = await asyncpg.connect(db.pg_dsn)
    for _ in range(PAGE_RUNS):
        started = time.perf_counter()
        for sql, params in statements:
            await pg.fetch(sql, *params)
        samples.append((time.perf_counter() - started) * 1000)
    await pg.close()
    return _p95(samples)


async def _page_backend(backend: str) -> list[Figure]:
    async with bench_database(backend) as db, bench_api(db) as client:
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
        samples = []
        for _ in range(PAGE_RUNS):
            started = time.perf_counter()
            response = await client.get(path, params=PAGE_QUERY)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        raw = await _raw_page_p95(db, seen)
    return [
        Figure(
            f"lead list page, 100k leads ({backend})",
            "p95 ms",
            _p95(samples),
            baseline=raw,
            target="ratio <= 1.5, p95 < 30 ms",
        )
    ]


async def run() -> list[Figure]:
    figures = await _one_backend("sqlite")
    figures += await _page_backend("sqlite")
    if await postgres_available():
        figures += await _one_backend("postgresql")
        figures += await _page_backend("postgresql")
    return figures
