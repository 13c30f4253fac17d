"""Bulk add of 10,000 leads through the API against a raw executemany of the same rows.

Target (issue 2): ratio at most 3, and the API call under 2 s on this machine.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg

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


async def run() -> list[Figure]:
    figures = await _one_backend("sqlite")
    if await postgres_available():
        figures += await _one_backend("postgresql")
    return figures
