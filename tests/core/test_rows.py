"""RowQuery: the same rows as SQLAlchemy, on each backend, and no JSON columns."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Select, Table, bindparam, event, insert, select
from sqlalchemy.exc import StatementError

from backlink_outreach.db import read_only_engine
from backlink_outreach.models import Campaign, Lead, OutboxEvent
from backlink_outreach.rows import DriverInsert, RowQuery, on_driver
from tests.conftest import Api, create_campaign
from tests.support.database import Database

_LEADS: Select[*tuple[Any, ...]] = (
    select(Lead.id, Lead.website_url, Lead.consent, Lead.quality_score, Lead.created_at)
    .where(Lead.campaign_id == bindparam("campaign"))
    .order_by(Lead.created_at, Lead.id)
)


def _values(*values: Any) -> tuple[Any, ...]:
    return values


async def test_rows_match_sqlalchemy(api: Api, db: Database) -> None:
    """Against what the API stored, and against SQLAlchemy's own result (both backends run
    the driver route: asyncpg and aiosqlite)."""
    campaign = await create_campaign(api)
    leads = [
        {"website_url": f"https://s{n}.example/", "consent": n % 2 == 0, "quality_score": n / 10}
        for n in range(5)
    ]
    await api.post(f"/campaigns/{campaign['id']}/leads/bulk", json=leads)
    stored = (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]
    expected = [
        (lead["id"], lead["website_url"], lead["consent"], lead["quality_score"]) for lead in stored
    ]
    query: RowQuery[tuple[Any, ...]] = RowQuery(_LEADS, _values)
    params = {"campaign": campaign["id"]}
    async with read_only_engine(db.engine).connect() as connection:
        fast = await query.rows(connection, params)
        usual = [tuple(row) for row in await connection.execute(_LEADS, params)]
    assert [row[:4] for row in fast] == expected and len(fast) == 5
    assert [row[4].isoformat().replace("+00:00", "Z") for row in fast] == [
        lead["created_at"] for lead in stored
    ]
    assert fast == usual


async def test_observed_engines_read_through_sqlalchemy(api: Api, db: Database) -> None:
    """A statement listener (tracing) sees RowQuery's statement: it takes SQLAlchemy's route."""
    campaign = await create_campaign(api)
    await api.post(
        f"/campaigns/{campaign['id']}/leads/bulk", json=[{"website_url": "https://s.example/"}]
    )
    seen: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    query: RowQuery[tuple[Any, ...]] = RowQuery(_LEADS, _values)
    engine = read_only_engine(db.engine)
    async with engine.connect() as connection:
        assert on_driver(connection)
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            assert not on_driver(connection)
            observed = await query.rows(connection, {"campaign": campaign["id"]})
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
        direct = await query.rows(connection, {"campaign": campaign["id"]})
    assert any("FROM leads" in statement for statement in seen)
    assert observed == direct and len(direct) == 1


def test_json_columns_are_refused() -> None:
    with pytest.raises(TypeError):
        RowQuery(cast("Select[Any]", select(Campaign.id, Campaign.keywords)), _values)


def _event(n: int, at: datetime) -> dict[str, Any]:
    return {
        "id": f"evt_{n}",
        "workspace_id": "w",
        "type": "send.sent",
        "payload": "{}",
        "endpoint_ids": "whe_1 whe_2",
        "created_at": at,
    }


async def test_driver_insert_stores_what_sqlalchemy_stores(db: Database) -> None:
    """The same rows through `DriverInsert` (the driver route) and SQLAlchemy's INSERT read
    back alike, times included; a naive time is refused on both routes."""
    table = cast(Table, OutboxEvent.__table__)
    at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    async with db.engine.begin() as connection:
        assert on_driver(connection)
        await DriverInsert(table).execute(connection, [_event(1, at), _event(2, at)])
        await connection.execute(insert(table), [_event(3, at), _event(4, at)])
        for route in (DriverInsert(table).execute, _sqlalchemy_insert(table)):
            with pytest.raises((ValueError, StatementError)):  # SQLAlchemy wraps it
                async with connection.begin_nested():
                    await route(connection, [_event(5, at.replace(tzinfo=None))])
    async with db.engine.connect() as connection:
        rows = (await connection.execute(select(table).order_by(table.c.id))).all()
    stored = [tuple(row)[1:] for row in rows]
    assert [row.id for row in rows] == ["evt_1", "evt_2", "evt_3", "evt_4"]
    assert len(set(stored)) == 1 and rows[0].created_at == at


def _sqlalchemy_insert(table: Table) -> Any:
    async def route(connection: Any, rows: list[dict[str, Any]]) -> None:
        await connection.execute(insert(table), rows)

    return route
