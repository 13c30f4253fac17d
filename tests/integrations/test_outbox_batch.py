"""The outbox's batch (`events.batch`) and the small-batch read of `lead_events`: what a send
writes in fewer statements must be exactly what it wrote one event at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event, select

from backlink_outreach.db import utcnow
from backlink_outreach.integrations import events, lead_events
from backlink_outreach.integrations.webhooks.fanout import fan_out
from backlink_outreach.models import OutboxEvent, WebhookDelivery
from tests.conftest import Api, create_campaign
from tests.integrations.conftest import hook_settings
from tests.outreach.conftest import MakeApi, add_lead, campaign_with_lead, mail_settings, send
from tests.outreach.mailserver import MailServer
from tests.support.database import Database

HOOK = "https://hooks.example.com/in"


async def _hook(api: Api, types: list[str], user: str = "user_a") -> None:
    response = await api.post("/webhooks", json={"url": HOOK, "events": types}, user=user)
    assert response.status_code == 201, response.text


async def _written(db: Database) -> list[tuple[str, dict[str, Any]]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(OutboxEvent.type, OutboxEvent.payload).order_by(OutboxEvent.id)
        )
        return [(type_, json.loads(payload)["data"]) for type_, payload in rows]


async def _deliveries(api: Api, db: Database) -> int:
    """The deliveries the events make once the delivery duty has fanned them out."""
    await fan_out(api.app.state.database)
    async with db.engine.connect() as conn:
        return len((await conn.execute(select(WebhookDelivery.id))).all())


async def test_a_batch_writes_its_events_when_it_ends_in_their_order(
    make_api: MakeApi, db: Database
) -> None:
    async with make_api(**hook_settings()) as api:
        await _hook(api, ["send.sent", "send.failed"])
        async with api.app.state.database.write() as session:
            async with events.batch(session):
                for n in range(3):
                    await events.record(session, "user_a", "send.sent", {"n": n}, utcnow())
                async with events.batch(session):  # an inner batch leaves it to the outer one
                    await events.record(session, "user_a", "send.failed", {"n": 3}, utcnow())
                inside = (await session.execute(select(OutboxEvent.id))).all()
                assert inside == []  # nothing is written before the block ends
            assert len((await session.execute(select(OutboxEvent.id))).all()) == 4
        assert await _deliveries(api, db) == 4
    assert [(t, d["n"]) for t, d in await _written(db)] == [
        ("send.sent", 0),
        ("send.sent", 1),
        ("send.sent", 2),
        ("send.failed", 3),
    ]


async def test_a_failed_batch_writes_nothing_and_the_transaction_goes_on(
    make_api: MakeApi, db: Database
) -> None:
    async with make_api(**hook_settings()) as api:
        await _hook(api, ["send.sent"])
        async with api.app.state.database.write() as session:
            with pytest.raises(RuntimeError):
                async with events.batch(session):
                    await events.record(session, "user_a", "send.sent", {"n": 0}, utcnow())
                    raise RuntimeError("the work the event describes failed")
            await events.record(session, "user_a", "send.sent", {"n": 1}, utcnow())
        assert await _deliveries(api, db) == 1
    assert [d["n"] for _, d in await _written(db)] == [1]


async def test_a_send_writes_its_two_events_in_one_insert(
    make_api: MakeApi, mail_server: MailServer, db: Database
) -> None:
    async with make_api(**mail_settings(mail_server), **hook_settings()) as api:
        await _hook(api, ["send.sent", "lead.status_changed"])
        campaign, lead = await campaign_with_lead(api)
        inserts: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO EVENTS"):
                inserts.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            response = await send(api, campaign, lead)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        assert response.status_code == 200, response.text
    assert len(inserts) == 1
    written = await _written(db)
    assert [t for t, _ in written] == ["lead.status_changed", "send.sent"]
    assert written[0][1]["previous_status"] == "discovered"
    assert written[0][1]["status"] == "contacted"


async def _bulk_events(
    make_api: MakeApi, db: Database, monkeypatch: pytest.MonkeyPatch, read_with_endpoints: int
) -> list[tuple[str, dict[str, Any]]]:
    """Bulk-status over leads of two workspaces (one subscribed), with the small-batch read
    allowed up to `read_with_endpoints` leads; the events written, ids and times left out."""
    monkeypatch.setattr(lead_events, "READ_WITH_ENDPOINTS", read_with_endpoints)
    async with make_api(**hook_settings()) as api:
        await _hook(api, ["lead.status_changed"])
        await _hook(api, ["send.sent"], user="user_b")  # subscribes to something else
        mine = await create_campaign(api)
        theirs = await create_campaign(api, user="user_b")
        leads = [await add_lead(api, mine["id"], f"ed@site{n}.test") for n in range(3)]
        first = f"/campaigns/{mine['id']}/leads/{leads[0]['id']}/status"
        assert (await api.patch(first, json={"status": "lost"})).status_code == 200
        body = {"lead_ids": [lead["id"] for lead in leads], "status": "lost"}
        response = await api.patch(f"/campaigns/{mine['id']}/leads/bulk-status", json=body)
        assert response.json() == {"updated": 3, "failed": []}
        other = await api.post(
            f"/campaigns/{theirs['id']}/leads",
            json={"website_url": "https://theirs.test"},
            user="user_b",
        )
        path = f"/campaigns/{theirs['id']}/leads/{other.json()['id']}/status"
        assert (await api.patch(path, json={"status": "lost"}, user="user_b")).status_code == 200
    return [
        (
            t,
            {
                k: v
                for k, v in d.items()
                if k not in ("id", "campaign_id", "created_at", "updated_at")
            },
        )
        for t, d in await _written(db)
    ]


async def test_the_small_batch_read_writes_what_the_two_step_read_writes(
    make_api: MakeApi, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_query = await _bulk_events(make_api, db, monkeypatch, read_with_endpoints=20)
    await db.reset()
    two_steps = await _bulk_events(make_api, db, monkeypatch, read_with_endpoints=0)
    assert one_query == two_steps
    assert [d["previous_status"] for _, d in one_query] == ["discovered"] * 3
    assert {d["website_url"] for _, d in one_query} == {f"https://site{n}.test/" for n in range(3)}
