"""The inbox's first page (`GET /replies`, 100 rows, newest first) over 100,000 replies of one
workspace, p95 in process (the real app through ASGI), against the same SQL run directly
(sqlite3 / asyncpg, rows fetched) in the same run.

Target (issue 15): p95 under 30 ms.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from backlink_outreach.ids import new_id
from bench.common import BenchDatabase, bench_api, bench_database, postgres_available
from bench.report import Figure

N = 100_000
ROUNDS = 200
CLASSES = ("interested", "not_interested", "question", "out_of_office", "other")
COLUMNS = (
    "id",
    "workspace_id",
    "campaign_id",
    "lead_id",
    "from_email",
    "subject",
    "snippet",
    "received_at",
    "classification",
    "confidence",
    "reasons",
    "text",
    "body",
    "headers",
    "unmatched",
    "corrections",
    "created_at",
)
# What the endpoint runs: the listed columns of the workspace's newest 101 replies.
LISTED = (
    "id, campaign_id, lead_id, attempt_id, from_email, subject, snippet, received_at, "
    "classification, confidence, reasons, bounce_type, bounce_status, return_date, unmatched"
)
RAW_SQL = (
    f"SELECT {LISTED} FROM replies WHERE workspace_id = {{p}} "
    "ORDER BY received_at DESC, id DESC LIMIT 101"
)


def _rows(campaign_id: str, lead_id: str) -> list[tuple[Any, ...]]:
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=200)
    rows = []
    for i in range(N):
        at = start + timedelta(minutes=i * 2)
        unmatched = i % 50 == 0
        rows.append(
            (
                new_id("rpl"),
                "bench",
                None if unmatched else campaign_id,
                None if unmatched else lead_id,
                f"editor{i}@site{i % 997}.example",
                f"Re: Guest post idea number {i}",
                "Thanks for reaching out, happy to discuss a guest post.",
                at,
                CLASSES[i % len(CLASSES)],
                0.9,
                json.dumps(["seeded"]),
                "Thanks for reaching out, happy to discuss a guest post.",
                "Thanks for reaching out, happy to discuss a guest post.\n\n> Hello",
                json.dumps({"From": f"editor{i}@site.example"}),
                unmatched,
                "[]",
                at,
            )
        )
    return rows


async def _seed(db: BenchDatabase, rows: list[tuple[Any, ...]]) -> None:
    sql = f"INSERT INTO replies ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
    if db.backend == "sqlite":
        assert db.sqlite_path is not None
        conn = sqlite3.connect(db.sqlite_path)
        with conn:
            conn.executemany(sql, rows)
            conn.execute("ANALYZE")
        conn.close()
        return
    assert db.pg_dsn is not None
    pg_sql = sql
    for n in range(1, len(COLUMNS) + 1):
        pg_sql = pg_sql.replace("?", f"${n}", 1)
    aware = [
        tuple(v.replace(tzinfo=UTC) if isinstance(v, datetime) else v for v in row) for row in rows
    ]
    pg = await asyncpg.connect(db.pg_dsn)
    async with pg.transaction():
        await pg.executemany(pg_sql, aware)
    await pg.execute("ANALYZE replies")
    await pg.close()


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[int(len(ordered) * 0.95) - 1] * 1000


async def _raw_p95(db: BenchDatabase) -> float:
    samples: list[float] = []
    if db.backend == "sqlite":
        assert db.sqlite_path is not None
        conn = sqlite3.connect(db.sqlite_path)
        sql = RAW_SQL.format(p="?")
        for _ in range(ROUNDS):
            started = time.perf_counter()
            rows = conn.execute(sql, ("bench",)).fetchall()
            samples.append(time.perf_counter() - started)
        conn.close()
    else:
        assert db.pg_dsn is not None
        pg = await asyncpg.connect(db.pg_dsn)
        sql = RAW_SQL.format(p="$1")
        for _ in range(ROUNDS):
            started = time.perf_counter()
            rows = await pg.fetch(sql, "bench")
            samples.append(time.perf_counter() - started)
        await pg.close()
    assert len(rows) == 101
    return _p95(samples)


async def _api_p95(client: httpx.AsyncClient) -> float:
    samples: list[float] = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = await client.get("/replies")
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text[:300]
    assert len(response.json()) == 100 and "X-Next-Cursor" in response.headers
    return _p95(samples)


async def _one_backend(backend: str) -> list[Figure]:
    async with bench_database(backend) as db, bench_api(db) as client:
        campaign = (await client.post("/campaigns", json={"name": "inbox"})).json()
        lead = await client.post(
            f"/campaigns/{campaign['id']}/leads", json={"website_url": "https://lead.example"}
        )
        await _seed(db, _rows(campaign["id"], lead.json()["id"]))
        for _ in range(20):  # warm up both paths (statement caches, pages in memory)
            await client.get("/replies")
        raw = await _raw_p95(db)
        api = await _api_p95(client)
    return [
        Figure(
            f"inbox first page over 100k replies ({backend})",
            "p95 ms",
            api,
            baseline=raw,
            target="p95 < 30 ms",
        )
    ]


async def run() -> list[Figure]:
    figures = await _one_backend("sqlite")
    if await postgres_available():
        figures += await _one_backend("postgresql")
    return figures
