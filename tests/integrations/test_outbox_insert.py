"""The outbox's INSERT (`events._write`, `rows.DriverInsert`): on the driver, or through
SQLAlchemy while a statement listener watches. Every route must store the rows it was given,
times included, in the caller's transaction, even as its first statement."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from backlink_outreach.integrations import events
from backlink_outreach.models import OutboxEvent
from tests.support.database import Database

AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))


def _rows(prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"evt_{prefix}{n}",
            "workspace_id": "ws",
            "type": "send.sent",
            "payload": f'{{"n":{n},"text":"é\\u2028"}}',
            "endpoint_ids": "whe_1 whe_2",
            "created_at": AT,
        }
        for n in range(3)
    ]


def _listen(_conn: Any, _cursor: Any, _statement: str, *_: Any) -> None:
    """A statement listener: the outbox then writes through SQLAlchemy."""


@pytest.mark.parametrize("observed", [False, True], ids=["unobserved", "observed"])
async def test_the_outbox_write_stores_the_rows_given(db: Database, observed: bool) -> None:
    written = _rows("a")
    if observed:
        event.listen(db.engine.sync_engine, "before_cursor_execute", _listen)
    try:
        async with AsyncSession(db.engine) as session, session.begin():
            await events._write(session, written)
    finally:
        if observed:
            event.remove(db.engine.sync_engine, "before_cursor_execute", _listen)

    async with db.engine.connect() as conn:
        stored_events = (await conn.execute(select(OutboxEvent.__table__))).mappings().all()
    by_id = {row["id"]: dict(row) for row in stored_events}
    assert by_id == {row["id"]: row for row in written}
    assert all(row["created_at"].tzinfo is not None for row in stored_events)


async def test_a_rolled_back_transaction_keeps_no_outbox_row(db: Database) -> None:
    written = _rows("b")
    async with AsyncSession(db.engine) as session:
        with pytest.raises(RuntimeError):
            async with session.begin():
                # The outbox's INSERT as the transaction's first statement: on asyncpg,
                # SQLAlchemy begins the transaction only at its own first statement.
                await events._write(session, written)
                raise RuntimeError("the change the events describe failed")
    async with db.engine.connect() as conn:
        assert (await conn.execute(select(OutboxEvent.id))).all() == []
