"""Pooled PostgreSQL connections that the server dropped are replaced, not used.

A PostgreSQL restart ends every backend the way `pg_terminate_backend` does (an
administrator-command FATAL, then the socket closes); terminating our database's backends shows
what a restart does to the pool without restarting the server other tests share.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event

from backlink_outreach import db as db_module
from tests.conftest import Api, create_campaign
from tests.support.database import Database

ApiFactory = Callable[..., AbstractAsyncContextManager[Api]]


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _terminate_backends(db: Database) -> int:
    """End every other backend of the test database and wait until they are gone."""
    conn = await asyncpg.connect(_dsn(db.url))
    try:
        killed = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        left = -1
        while left != 0:
            left = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    finally:
        await conn.close()
    return int(killed)


async def _pooled_requests(api: Api, campaign_id: str, n: int, tag: str) -> list[int]:
    """n concurrent requests, reads and writes, so the pool holds several connections."""
    reads = [api.get(f"/campaigns/{campaign_id}") for _ in range(n)]
    writes = [
        api.post(
            f"/campaigns/{campaign_id}/leads", json={"website_url": f"https://{tag}{i}.example/"}
        )
        for i in range(n)
    ]
    return [r.status_code for r in await asyncio.gather(*reads, *writes)]


async def _until_closed(pooled: list[Any]) -> None:
    """A restart keeps the server down far longer than it takes the client to read the closed
    sockets; wait for that here instead of a restart's downtime."""
    deadline = asyncio.get_running_loop().time() + 10
    while not all(c.driver_connection.is_closed() for c in pooled):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("idle_ping", [False, True])
async def test_requests_survive_dropped_connections(
    db: Database, make_api: ApiFactory, monkeypatch: pytest.MonkeyPatch, idle_ping: bool
) -> None:
    if db.backend != "postgresql":
        pytest.skip("connection pool liveness is a PostgreSQL matter")
    if idle_ping:
        # Every checkout counts as idle: the round-trip ping replaces the connection even
        # before the client has read that the server closed it.
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    # Start from an empty pool: connections that earlier tests left idle in it would not be in
    # `pooled`, so `_until_closed` would not wait for them, and one that has read the FATAL but
    # not yet the closed socket could be handed out (seen once in CI, the suite run whole).
    await db.engine.dispose()
    pooled: list[Any] = []

    def remember(connection: Any, _record: Any) -> None:
        pooled.append(connection)

    event.listen(db.engine.sync_engine, "checkin", remember)
    try:
        await _drop_and_continue(db, make_api, pooled, wait_for_close=not idle_ping)
    finally:
        event.remove(db.engine.sync_engine, "checkin", remember)


async def _drop_and_continue(
    db: Database, make_api: ApiFactory, pooled: list[Any], *, wait_for_close: bool
) -> None:
    async with make_api() as api:
        campaign = await create_campaign(api)
        assert set(await _pooled_requests(api, campaign["id"], 4, "before")) == {200, 201}
        assert await _terminate_backends(db) >= 1
        if wait_for_close:
            await _until_closed(pooled)
        after = await _pooled_requests(api, campaign["id"], 6, "after")
        assert after.count(200) == 6 and after.count(201) == 6, after
        leads = (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]
        assert len(leads) == 10
