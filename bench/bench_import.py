"""CSV import of 100,000 leads through the API (in process) against a raw executemany of the
same rows into `leads`, and the import's peak memory growth.

Targets (issue 15, item 3): under 5 s, within 3x of the raw insert, under 50 MB of growth. The
growth is measured with tracemalloc in runs of their own (tracing slows Python down, so the
timed run is untraced), for 100,000 rows and for 70,000: "ratio" there is how much more the
longer file takes, about 1 when memory does not grow with the row count. Both are past 4,096
rows, where the process-wide caches of URL and domain normalising (`domains.py`, bounded at
4,096 entries each) are full: below that they grow with the rows, up to their bound.

The body is sent in 64 KB chunks, as a server hands it over, not as one 8 MB message.
"""

from __future__ import annotations

import sqlite3
import time
import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from backlink_outreach.ids import new_id
from bench.common import BenchDatabase, bench_api, bench_database, postgres_available
from bench.report import Figure

N = 100_000
SMALL = 70_000
CHUNK = 64 * 1024
HEADER = "Referring page URL,Referring page title,Domain rating,Email,Anchor\n"
COLUMNS = (
    "id",
    "campaign_id",
    "workspace_id",
    "website_url",
    "domain",
    "website_title",
    "contact_email",
    "consent",
    "status",
    "created_at",
    "updated_at",
    "anchor_text",
    "authority",
)


def _csv(prefix: str, n: int) -> bytes:
    rows = "".join(
        f"https://www.{prefix}{i}.example/post,Post {i},{i % 101},editor@{prefix}{i}.example,"
        f"guest post\n"
        for i in range(n)
    )
    return (HEADER + rows).encode()


def _raw_rows(campaign_id: str, workspace: str, prefix: str) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        (
            new_id("lead"),
            campaign_id,
            workspace,
            f"https://www.{prefix}{i}.example/post",
            f"{prefix}{i}.example",
            f"Post {i}",
            f"editor@{prefix}{i}.example",
            False,
            "discovered",
            now,
            now,
            "guest post",
            i % 101,
        )
        for i in range(N)
    ]


async def _raw_insert(db: BenchDatabase, rows: list[tuple[Any, ...]]) -> float:
    sql = f"INSERT INTO leads ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
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
        for n in range(1, len(COLUMNS) + 1):
            pg_sql = pg_sql.replace("?", f"${n}", 1)
        aware = [
            (*r[:9], r[9].replace(tzinfo=UTC), r[10].replace(tzinfo=UTC), *r[11:]) for r in rows
        ]
        async with pg.transaction():
            await pg.executemany(pg_sql, aware)
        await pg.close()
    return time.perf_counter() - started


async def _import(client: httpx.AsyncClient, name: str, body: bytes, rows: int) -> float:
    campaign = (await client.post("/campaigns", json={"name": name})).json()
    started = time.perf_counter()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), CHUNK):
            yield body[start : start + CHUNK]

    response = await client.post(
        f"/campaigns/{campaign['id']}/leads/import",
        content=chunks(),
        headers={"Content-Type": "text/csv"},
    )
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.text[:300]
    assert response.json()["added"] == rows, response.text[:300]
    return seconds


async def _peak_growth(client: httpx.AsyncClient, name: str, body: bytes, rows: int) -> float:
    """Peak traced bytes allocated during the import, over what was allocated before it (the
    request body itself is built before tracing starts)."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        await _import(client, name, body, rows)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - before) / 1e6


async def _one_backend(backend: str) -> list[Figure]:
    async with bench_database(backend) as db, bench_api(db, max_import_bytes=200_000_000) as client:
        raw_campaign = (await client.post("/campaigns", json={"name": "raw"})).json()
        raw_seconds = await _raw_insert(db, _raw_rows(raw_campaign["id"], "bench", "raw"))
        seconds = await _import(client, "timed", _csv("timed", N), N)
        small_growth = await _peak_growth(client, "small", _csv("small", SMALL), SMALL)
        growth = await _peak_growth(client, "traced", _csv("traced", N), N)
    return [
        Figure(
            f"CSV import 100k leads ({backend})",
            "API call s",
            seconds,
            baseline=raw_seconds,
            target="ratio <= 3, < 5 s",
        ),
        Figure(
            f"CSV import 100k leads ({backend})",
            "peak growth MB (baseline: 70k rows)",
            growth,
            baseline=small_growth,
            target="< 50 MB, ratio ~1",
        ),
    ]


async def run() -> list[Figure]:
    figures = await _one_backend("sqlite")
    if await postgres_available():
        figures += await _one_backend("postgresql")
    return figures
