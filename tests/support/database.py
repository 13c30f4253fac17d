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
from sqlalchemy.ext.asyncio import AsyncEngine

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
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        async with self.engine.begin() as conn:
            if self.backend == "postgresql":
                await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
            else:
                for table in tables:
                    await conn.execute(text(f"DELETE FROM {table}"))


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
