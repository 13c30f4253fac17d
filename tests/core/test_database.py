"""The unit of work (`database.Database`): writers queue on SQLite, commit on success, roll back
on error; readers never wait for a writer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import utcnow
from backlink_outreach.models import Campaign
from tests.support.database import Database


def _campaign(number: int, now: datetime | None = None) -> Campaign:
    now = now or utcnow()
    return Campaign(
        id=f"cmp_db{number}",
        workspace_id="w",
        name=f"n{number}",
        keywords=[],
        follow_up_days=[],
        created_at=now,
        updated_at=now,
    )


async def _count(app_db: AppDatabase) -> int:
    async with app_db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Campaign)) or 0)


async def test_write_commits_on_success_and_rolls_back_on_error(db: Database) -> None:
    app_db = AppDatabase(db.engine)
    async with app_db.write() as session:
        session.add(_campaign(1))
    with pytest.raises(RuntimeError):
        async with app_db.write() as session:
            session.add(_campaign(2))
            await session.flush()
            raise RuntimeError("boom")
    assert await _count(app_db) == 1


async def test_writers_queue_on_sqlite_and_share_one_queue_per_engine(db: Database) -> None:
    """Two Databases over one engine (an app and its worker): on SQLite the second writer
    enters only when the first has committed; on PostgreSQL both run at once."""
    first_db, second_db = AppDatabase(db.engine), AppDatabase(db.engine)
    order: list[str] = []
    first_inside = asyncio.Event()

    async def first() -> None:
        async with first_db.write() as session:
            order.append("first in")
            first_inside.set()
            await asyncio.sleep(0.2)
            session.add(_campaign(1))
            order.append("first out")

    async def second() -> None:
        await first_inside.wait()
        async with second_db.statement() as session:
            order.append("second in")
            session.add(_campaign(2))

    await asyncio.gather(first(), second())
    if db.backend == "sqlite":
        assert order == ["first in", "first out", "second in"]
    else:
        assert order == ["first in", "second in", "first out"]
    assert await _count(first_db) == 2


async def test_a_reader_never_waits_for_a_writer(db: Database) -> None:
    app_db = AppDatabase(db.engine)
    async with app_db.write() as session:
        session.add(_campaign(1))
        await session.flush()  # on SQLite the write lock is now held
        async with app_db.connection() as connection:
            seen = await asyncio.wait_for(
                connection.scalar(select(func.count()).select_from(Campaign)), 5
            )
        assert seen == 0  # the writer has not committed
        assert await asyncio.wait_for(_count(app_db), 5) == 0
    assert await _count(app_db) == 1


async def test_sqlite_connections_read_the_file_through_a_memory_map(db: Database) -> None:
    """`db.SQLITE_READ_PRAGMAS` on every connection of a file database (a memory map of up to
    256 MiB), reads and writes alike."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    app_db = AppDatabase(db.engine)
    async with app_db.connection() as connection:
        size = (await connection.exec_driver_sql("PRAGMA mmap_size")).scalar()
    async with app_db.write() as session:
        written = (await session.execute(text("PRAGMA mmap_size"))).scalar()
    assert size == written == 268435456


async def test_times_come_back_as_stored(db: Database) -> None:
    """Round trips through the app's engine, on either backend: aware UTC, to the microsecond
    (on SQLite through `db._sqlite_utc`)."""
    moments = [
        datetime(2026, 12, 8, 1, 2, 3, 123456, tzinfo=UTC),
        datetime(2026, 12, 8, 1, 2, 3, tzinfo=UTC),
        datetime(2026, 12, 8, 3, 2, 3, 5, tzinfo=timezone(timedelta(hours=2))),  # stored as UTC
    ]
    app_db = AppDatabase(db.engine)
    async with app_db.write() as session:
        session.add_all(_campaign(number, moment) for number, moment in enumerate(moments))
    async with app_db.read() as session:
        found = dict((await session.execute(select(Campaign.id, Campaign.created_at))).all())
    for number, moment in enumerate(moments):
        read = found[f"cmp_db{number}"]
        assert read == moment and read.tzinfo is UTC
