"""Pruning the outbox after `WEBHOOK_RETENTION_DAYS`: events no enabled endpoint still waits
for, with their deliveries, and old delivery-log rows go, in batches; nothing younger, and no
event an enabled endpoint has still to receive."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from backlink_outreach.db import utcnow
from backlink_outreach.duties import DUTIES
from backlink_outreach.integrations.webhooks import pruning
from backlink_outreach.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.integrations.conftest import hook_settings
from tests.outreach.conftest import MakeApi
from tests.support.database import Database


def _id(prefix: str, at: datetime) -> str:
    """An id as `new_id` makes it at `at` (time-ordered: microseconds, then random bits)."""
    return f"{prefix}_{int(at.timestamp() * 1_000_000):013x}{os.urandom(6).hex()}"


def _endpoint(id_: str, status: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": id_,
        "workspace_id": "user_a",
        "url": "https://hooks.example.com/in",
        "events": ["send.sent"],
        "secret_sealed": "sealed",
        "status": status,
        "give_ups_in_a_row": 0,
        "created_at": now,
        "updated_at": now,
    }


async def _event(
    db: Database, at: datetime, deliveries: dict[str, str], to_fan_out: str | None = None
) -> str:
    """An event made at `at`, with one delivery per endpoint in the status given (and
    `to_fan_out`, the endpoint ids the fan-out has still to make deliveries for)."""
    event_id = _id("evt", at)
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(OutboxEvent),
            [
                {
                    "id": event_id,
                    "workspace_id": "user_a",
                    "type": "send.sent",
                    "payload": "{}",
                    "endpoint_ids": to_fan_out,
                    "created_at": at,
                }
            ],
        )
        for endpoint_id, status in deliveries.items():
            row = {
                "id": _id("whd", at),
                "event_id": event_id,
                "endpoint_id": endpoint_id,
                "status": status,
                "attempts": 1,
                "next_attempt_at": at,
                "created_at": at,
                "updated_at": at,
            }
            await conn.execute(insert(WebhookDelivery), [row])
    return event_id


async def _attempt(db: Database, at: datetime) -> str:
    attempt_id = _id("wha", at)
    row = {
        "id": attempt_id,
        "endpoint_id": "whk_on",
        "delivery_id": None,
        "event_id": "evt_x",
        "type": "send.sent",
        "attempt": 1,
        "status_code": 204,
        "error": None,
        "at": at,
        "next_retry_at": None,
        "delivered": True,
    }
    async with db.engine.begin() as conn:
        await conn.execute(insert(WebhookAttempt), [row])
    return attempt_id


async def _ids(db: Database, model: Any) -> set[str]:
    async with db.engine.connect() as conn:
        return set((await conn.execute(select(model.id))).scalars())


@pytest.fixture
async def endpoints(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(WebhookEndpoint),
            [_endpoint("whk_on", "enabled"), _endpoint("whk_off", "disabled")],
        )


@pytest.mark.usefixtures("endpoints")
async def test_old_settled_events_and_old_log_rows_go_the_rest_stays(
    make_api: MakeApi, db: Database
) -> None:
    now = utcnow()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    gone = {
        await _event(db, old, {"whk_on": "delivered"}),
        await _event(db, old, {"whk_on": "failed"}),  # given up
        await _event(db, old, {"whk_on": "delivered", "whk_off": "pending"}),
        await _event(db, old, {}),  # no delivery at all
    }
    waiting = await _event(db, old, {}, to_fan_out="whk_on")  # no worker has fanned it out yet
    kept = {
        waiting,
        await _event(db, old, {"whk_on": "pending", "whk_off": "delivered"}),
        await _event(db, recent, {"whk_on": "delivered"}),
        await _event(db, now, {"whk_on": "pending"}),
    }
    old_log = {await _attempt(db, old), await _attempt(db, old)}
    new_log = {await _attempt(db, recent)}
    async with make_api(**hook_settings(webhook_retention_days=30)) as api:
        state = api.app.state
        removed = await pruning.prune(state.database, state.settings, now)
    assert removed == len(gone) + len(old_log)
    assert await _ids(db, OutboxEvent) == kept
    assert await _ids(db, WebhookAttempt) == new_log
    async with db.engine.connect() as conn:
        left = set((await conn.execute(select(WebhookDelivery.event_id))).scalars())
    assert left == kept - {waiting}  # the pruned events' deliveries went with them


@pytest.mark.usefixtures("endpoints")
async def test_pruning_goes_in_batches_and_stops_after_its_share(
    make_api: MakeApi, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    old = now - timedelta(days=40)
    made = [await _event(db, old + timedelta(seconds=n), {"whk_on": "delivered"}) for n in range(7)]
    monkeypatch.setattr(pruning, "BATCH", 2)
    monkeypatch.setattr(pruning, "MAX_BATCHES", 3)
    async with make_api(**hook_settings()) as api:
        state = api.app.state
        assert await pruning.prune(state.database, state.settings, now) == 6
        assert await _ids(db, OutboxEvent) == {made[-1]}  # the oldest went first
        assert await pruning.prune(state.database, state.settings, now) == 1
    assert await _ids(db, OutboxEvent) == set()


async def test_the_worker_prunes_at_most_every_ten_minutes(
    make_api: MakeApi, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ("webhook_pruning", pruning.prune_due) in DUTIES
    async with db.engine.begin() as conn:
        await conn.execute(insert(WebhookEndpoint), [_endpoint("whk_on", "enabled")])
    monkeypatch.setattr(pruning, "_last_run", None)
    old = utcnow() - timedelta(days=31)
    await _event(db, old, {"whk_on": "delivered"})
    async with make_api(**hook_settings()) as api:
        state = api.app.state
        assert await pruning.prune_due(state.database, state.settings) == 1
        await _event(db, old, {"whk_on": "delivered"})
        assert await pruning.prune_due(state.database, state.settings) == 0  # too soon
        monkeypatch.setattr(pruning, "_last_run", pruning._last_run - pruning.EVERY_SECONDS)  # type: ignore[operator]
        assert await pruning.prune_due(state.database, state.settings) == 1
