"""Test databases: a SQLite file, and (with TEST_DATABASE_URL) a fresh PostgreSQL database.

Each test session creates its own PostgreSQL database with a random name, so concurrent runs on
one server never collide, and drops it at the end. Schemas come from the real migrations.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backlink_outreach import models  # noqa: F401 - registers every table
from backlink_outreach.config import normalize_database_url
from backlink_outreach.db import Base, create_engine
from backlink_outreach.migrations import upgrade_async

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@dataclass
class Database:
    backend: str
    url: str  # the async SQLAlchemy URL
    engine: AsyncEngine
    admin_url: str | None = None
    name: str | None = None

    @property
    def plain_url(self) -> str:
        """The URL as a user would write it (sqlite:// or postgresql://)."""
        return self.url.replace("+aiosqlite", "").replace("+asyncpg", "")

    async def reset(self) -> None:
        """Every table emptied, in one transaction; only the tables that hold rows are touched.

        Most tests fill a few tables. A TRUNCATE of all of them cost about 0.6 s per test on
        PostgreSQL (each truncated table gets new files, synced at commit), a DELETE on an
        empty table costs nearly nothing. A table holding many rows is still truncated there:
        deleting 100k leads row by row checks every foreign key that points at them.
        """
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]  # children first
        async with self.engine.begin() as conn:
            filled = await _row_counts(conn, tables, cap=_TRUNCATE_FROM_ROWS)
            if self.backend == "postgresql":
                big = [t for t in tables if filled.get(t, 0) >= _TRUNCATE_FROM_ROWS]
                if big:
                    await conn.execute(text(f"TRUNCATE {', '.join(big)} CASCADE"))
                    filled = await _row_counts(conn, tables, cap=_TRUNCATE_FROM_ROWS)
            for table in tables:
                if filled.get(table):
                    await conn.execute(text(f"DELETE FROM {table}"))


# A table with at least this many rows is truncated (PostgreSQL) rather than deleted from.
_TRUNCATE_FROM_ROWS = 1000


async def _row_counts(conn: AsyncConnection, tables: list[str], cap: int) -> dict[str, int]:
    """Rows per table, counted up to `cap`, for the tables that have any: one round trip."""
    probe = " UNION ALL ".join(
        f"SELECT '{t}' AS name, (SELECT count(*) FROM (SELECT 1 FROM {t} LIMIT {cap}) AS s) AS n"
        for t in tables
    )
    rows = (await conn.execute(text(probe))).all()
    return {name: int(n) for name, n in rows if n}


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def open_database(backend: str, tmp_dir: Path, revision: str = "head") -> Database:
    """A new database migrated to `revision` (a migration test can stop before its own)."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{(tmp_dir / 'test.db').as_posix()}"
        await upgrade_async(url, revision)
        return Database(backend, url, create_engine(url))
    admin = normalize_database_url(os.environ["TEST_DATABASE_URL"])
    name = f"bo_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_asyncpg_dsn(admin))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    await upgrade_async(url, revision)
    return Database(
        backend, url, create_engine(url, pool_size=20, max_overflow=40), admin_url=admin, name=name
    )


async def close_database(db: Database) -> None:
    await db.engine.dispose()
    if db.backend == "postgresql" and db.admin_url and db.name:
        conn = await asyncpg.connect(_asyncpg_dsn(db.admin_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
        finally:
            await conn.close()
