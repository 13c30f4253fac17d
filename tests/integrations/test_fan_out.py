"""The fan-out (`webhooks/fanout.py`): the events a change recorded become one pending delivery
per endpoint they were recorded for, due at the event's time, exactly once however many
workers fan out at the same time, and not at all for an endpoint deleted since."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import utcnow
from backlink_outreach.integrations import events
from backlink_outreach.integrations.webhooks import delivery, fanout
from backlink_outreach.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from tests.conftest import Api
from tests.integrations.conftest import hook_settings
from tests.outreach.conftest import MakeApi
from tests.support.database import Database

HOOK = "https://hooks.example.com/in"


async def _hook(api: Api, types: list[str]) -> str:
    response = await api.post("/webhooks", json={"url": HOOK, "events": types})
    assert response.status_code == 201, response.text
    endpoint_id: str = response.json()["id"]
    return endpoint_id


async def _record(api: Api, count: int, type_: str = "send.sent") -> list[str]:
    async with api.app.state.database.write() as session:
        ids = await events.record_many(
            session, [("user_a", type_, {"n": n}) for n in range(count)], utcnow()
        )
    return [i for i in ids if i is not None]


async def _deliveries(db: Database) -> list[tuple[str, str]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(WebhookDelivery.event_id, WebhookDelivery.endpoint_id))
        return sorted((event_id, endpoint_id) for event_id, endpoint_id in rows)


async def _still_to_fan_out(db: Database) -> int:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(OutboxEvent.id).where(OutboxEvent.endpoint_ids.is_not(None))
        )
        return len(rows.all())


async def test_each_event_gets_a_delivery_per_endpoint_once(
    make_api: MakeApi, db: Database
) -> None:
    async with make_api(**hook_settings()) as api:
        both = [await _hook(api, ["send.sent"]), await _hook(api, ["send.sent", "send.failed"])]
        sent = await _record(api, 3)
        failed = await _record(api, 1, "send.failed")
        assert await _deliveries(db) == []  # the change's transaction wrote the events only
        assert await fanout.fan_out(api.app.state.database) == 4
        assert await fanout.fan_out(api.app.state.database) == 0  # nothing is fanned out twice
    expected = [(e, h) for e in sent for h in both] + [(failed[0], both[1])]
    assert await _deliveries(db) == sorted(expected)
    assert await _still_to_fan_out(db) == 0
    async with db.engine.connect() as conn:
        made = {row.id: row.created_at for row in await conn.execute(select(OutboxEvent))}
        for row in await conn.execute(select(WebhookDelivery)):
            assert row.status == "pending" and row.attempts == 0
            assert row.next_attempt_at == made[row.event_id]  # due in event order


async def test_an_endpoint_deleted_before_the_fan_out_gets_nothing(
    make_api: MakeApi, db: Database
) -> None:
    async with make_api(**hook_settings()) as api:
        kept, deleted = await _hook(api, ["send.sent"]), await _hook(api, ["send.sent"])
        (event_id,) = await _record(api, 1)
        assert (await api.delete(f"/webhooks/{deleted}")).status_code == 204
        assert await fanout.fan_out(api.app.state.database) == 1
    assert await _deliveries(db) == [(event_id, kept)]


async def test_a_fan_out_that_fails_leaves_its_events_to_fan_out(
    make_api: MakeApi, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> dict[str, object]:
        raise RuntimeError("killed between the UPDATE and the INSERT")

    async with make_api(**hook_settings()) as api:
        await _hook(api, ["send.sent"])
        await _record(api, 2)
        with monkeypatch.context() as patched:
            patched.setattr(fanout, "delivery_row", broken)
            with pytest.raises(RuntimeError):
                await fanout.fan_out(api.app.state.database)
        assert await _still_to_fan_out(db) == 2 and await _deliveries(db) == []
        assert await fanout.fan_out(api.app.state.database) == 2
    assert len(await _deliveries(db)) == 2


async def test_a_big_backlog_goes_in_batches(
    make_api: MakeApi, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "BATCH", 3)
    async with make_api(**hook_settings()) as api:
        await _hook(api, ["send.sent"])
        await _record(api, 7)
        batches: list[int] = []
        real = fanout.fan_out_batch

        async def counted(*args: object) -> int:
            done = await real(*args)  # type: ignore[arg-type]
            batches.append(done)
            return done

        monkeypatch.setattr(fanout, "fan_out_batch", counted)
        assert await fanout.fan_out(api.app.state.database) == 7
    assert batches == [3, 3, 1]
    assert len(await _deliveries(db)) == 7


async def test_workers_fanning_out_at_once_make_each_delivery_once(
    make_api: MakeApi, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four Databases (pools), as four worker processes have, on the same backlog."""
    monkeypatch.setattr(fanout, "BATCH", 25)
    async with make_api(**hook_settings()) as api:
        hooks = [await _hook(api, ["send.sent"]), await _hook(api, ["send.sent"])]
        recorded = await _record(api, 300)
    workers = [AppDatabase.open(db.url) for _ in range(4)]
    try:
        counts = await asyncio.gather(*(fanout.fan_out(worker) for worker in workers))
    finally:
        for worker in workers:
            await worker.dispose()
    assert sum(counts) == 300
    made = await _deliveries(db)
    assert len(made) == len(set(made)) == 600
    assert set(made) == {(e, h) for e in recorded for h in hooks}


async def test_the_duty_fans_out_before_it_claims(make_api: MakeApi, db: Database) -> None:
    async with make_api(**hook_settings(webhook_timeout_seconds=1)) as api:
        endpoint = await _hook(api, ["send.sent"])
        async with db.engine.begin() as conn:  # posts to a closed port: refused at once
            await conn.execute(update(WebhookEndpoint).values(url="http://127.0.0.1:9/"))
        await _record(api, 1)
        state = api.app.state
        assert await delivery.deliver_due(state.database, state.settings) == 1
    async with db.engine.connect() as conn:
        (row,) = (await conn.execute(select(WebhookDelivery))).all()
    assert row.endpoint_id == endpoint and row.attempts == 1
    assert row.next_attempt_at > utcnow() + timedelta(seconds=3)  # the first retry's wait
