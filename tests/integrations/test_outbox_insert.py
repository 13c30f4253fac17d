"""The outbox's INSERTs (`events._write`, `rows.DriverInsert`): on the driver, or through
SQLAlchemy while a statement listener watches. Every route must store the rows it was given,
times included, in the caller's transaction, even as its first statement."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from backlink_outreach.integrations import events
from backlink_outreach.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from tests.support.database import Database

AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
ENDPOINTS = ("whe_1", "whe_2")


def _endpoint(endpoint_id: str) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=endpoint_id,
        workspace_id="ws",
        url="https://hooks.example.com/in",
        secret_sealed="sealed",
        events=["send.sent"],
        status="enabled",
        give_ups_in_a_row=0,
        created_at=AT,
        updated_at=AT,
    )


def _rows(prefix: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    written = [
        {
            "id": f"evt_{prefix}{n}",
            "workspace_id": "ws",
            "type": "send.sent",
            "payload": f'{{"n":{n},"text":"é\\u2028"}}',
            "created_at": AT,
        }
        for n in range(3)
    ]
    deliveries = [events.delivery_row(str(e["id"]), ep, AT) for e in written for ep in ENDPOINTS]
    return written, deliveries


def _listen(_conn: Any, _cursor: Any, _statement: str, *_: Any) -> None:
    """A statement listener: the outbox then writes through SQLAlchemy."""


@pytest.mark.parametrize("observed", [False, True], ids=["unobserved", "observed"])
async def test_the_outbox_write_stores_the_rows_given(db: Database, observed: bool) -> None:
    written, deliveries = _rows("a")
    if observed:
        event.listen(db.engine.sync_engine, "before_cursor_execute", _listen)
    try:
        async with AsyncSession(db.engine) as session, session.begin():
            session.add_all([_endpoint(e) for e in ENDPOINTS])
            await session.flush()
            await events._write(session, written, deliveries)
    finally:
        if observed:
            event.remove(db.engine.sync_engine, "before_cursor_execute", _listen)

    async with db.engine.connect() as conn:
        stored_events = (await conn.execute(select(OutboxEvent.__table__))).mappings().all()
        stored_deliveries = (await conn.execute(select(WebhookDelivery.__table__))).mappings().all()
    by_id = {row["id"]: dict(row) for row in stored_events}
    assert by_id == {row["id"]: row for row in written}
    assert {row["id"]: dict(row) for row in stored_deliveries} == {
        row["id"]: row for row in deliveries
    }
    assert all(row["created_at"].tzinfo is not None for row in stored_events)


async def test_a_rolled_back_transaction_keeps_no_outbox_row(db: Database) -> None:
    written, deliveries = _rows("b")
    async with AsyncSession(db.engine) as session:
        async with session.begin():
            session.add_all([_endpoint(e) for e in ENDPOINTS])
        with pytest.raises(RuntimeError):
            async with session.begin():
                # The outbox's INSERTs as the transaction's first statements: on asyncpg,
                # SQLAlchemy begins the transaction only at its own first statement.
                await events._write(session, written, deliveries)
                raise RuntimeError("the change the events describe failed")
    async with db.engine.connect() as conn:
        assert (await conn.execute(select(OutboxEvent.id))).all() == []
        assert (await conn.execute(select(WebhookDelivery.id))).all() == []
