"""Write transactions for the send path.

On SQLite every write transaction starts with `BEGIN IMMEDIATE`, which is what makes the cap
check safe; but a transaction that finds the write lock taken waits in SQLite's busy handler,
which sleeps in growing steps while the lock may already be free. Queuing our own writers on an
asyncio lock first (one per engine; an engine's connections belong to one event loop anyway)
keeps the database busy instead of asleep. PostgreSQL needs nothing here: the row lock on the
sender's day counter does the queuing.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

_locks: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


def _lock_for(sessionmaker: async_sessionmaker[AsyncSession]) -> asyncio.Lock | None:
    bind = sessionmaker.kw.get("bind")
    if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite":
        return None
    lock = _locks.get(bind.sync_engine)
    if lock is None:
        lock = _locks[bind.sync_engine] = asyncio.Lock()
    return lock


@contextlib.asynccontextmanager
async def write(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session inside one committed-on-success transaction."""
    lock = _lock_for(sessionmaker)
    queue = lock if lock is not None else contextlib.nullcontext()
    async with queue, sessionmaker() as session, session.begin():
        yield session
