"""`lead.status_changed` for a user's explicit status change: the status PATCH and bulk-status
write it in their own transaction, one per lead whose status moves, with `previous_status`."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from backlink_outreach.integrations.webhooks import delivery
from backlink_outreach.models import OutboxEvent
from tests.conftest import Api, create_campaign
from tests.integrations.conftest import hook_settings
from tests.integrations.receiver import Receiver
from tests.outreach.conftest import MakeApi, add_lead, campaign_with_lead
from tests.support.database import Database

CHANGED = "lead.status_changed"


async def _hook(api: Api, url: str, user: str = "user_a") -> dict[str, Any]:
    response = await api.post("/webhooks", json={"url": url, "events": [CHANGED]}, user=user)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _events(db: Database) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(OutboxEvent.workspace_id, OutboxEvent.type, OutboxEvent.payload).order_by(
                OutboxEvent.created_at, OutboxEvent.id
            )
        )
        return [{"workspace": w, "type": t, **json.loads(p)} for w, t, p in rows]


async def test_status_patch_is_delivered_signed_with_the_previous_status(
    make_api: MakeApi, db: Database
) -> None:
    with Receiver() as receiver:
        async with make_api(**hook_settings()) as api:
            hook = await _hook(api, receiver.url)
            campaign, lead = await campaign_with_lead(api)
            path = f"/campaigns/{campaign['id']}/leads/{lead['id']}/status"
            response = await api.patch(path, json={"status": "replied"})
            assert response.status_code == 200, response.text
            assert receiver.received == []  # written now, sent by the duty
            settings = api.app.state.settings
            assert await delivery.deliver_due(api.app.state.database, settings) == 1
        (received,) = receiver.received
        payload = Webhook(hook["secret"]).verify(received.body, received.headers)
        assert payload["type"] == CHANGED
        data = payload["data"]
        assert data["id"] == lead["id"] and data["campaign_id"] == campaign["id"]
        assert data["status"] == "replied" and data["previous_status"] == "discovered"
        assert data["updated_at"] == response.json()["updated_at"]


async def test_setting_the_status_a_lead_already_has_writes_nothing(
    make_api: MakeApi, db: Database
) -> None:
    async with make_api(**hook_settings()) as api:
        await _hook(api, "https://hooks.example.com/in")
        campaign, lead = await campaign_with_lead(api)
        path = f"/campaigns/{campaign['id']}/leads/{lead['id']}/status"
        assert (await api.patch(path, json={"status": "discovered"})).status_code == 200
        assert await _events(db) == []
        assert (await api.patch(path, json={"status": "lost"})).status_code == 200
        assert (await api.patch(path, json={"status": "lost"})).status_code == 200
    (only,) = await _events(db)
    assert only["data"]["previous_status"] == "discovered" and only["data"]["status"] == "lost"


async def test_another_workspaces_lead_is_404_and_writes_no_event(
    make_api: MakeApi, db: Database
) -> None:
    async with make_api(**hook_settings()) as api:
        await _hook(api, "https://hooks.example.com/in", user="user_a")
        await _hook(api, "https://hooks.example.com/in", user="user_b")
        campaign, lead = await campaign_with_lead(api, user="user_a")
        mine = await create_campaign(api, user="user_b")
        for path in (
            f"/campaigns/{campaign['id']}/leads/{lead['id']}/status",
            f"/campaigns/{mine['id']}/leads/{lead['id']}/status",  # the lead, not in this campaign
        ):
            response = await api.patch(path, json={"status": "lost"}, user="user_b")
            assert response.status_code == 404, response.text
        bulk = await api.patch(
            f"/campaigns/{mine['id']}/leads/bulk-status",
            json={"lead_ids": [lead["id"]], "status": "lost"},
            user="user_b",
        )
        assert bulk.json() == {"updated": 0, "failed": [lead["id"]]}
        assert (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"][0][
            "status"
        ] == "discovered"
    assert await _events(db) == []


async def test_bulk_status_writes_one_event_per_lead_that_changes(
    make_api: MakeApi, db: Database
) -> None:
    async with make_api(**hook_settings()) as api:
        await _hook(api, "https://hooks.example.com/in")
        campaign = await create_campaign(api)
        leads = [await add_lead(api, campaign["id"], f"ed@site{n}.test") for n in range(3)]
        first = f"/campaigns/{campaign['id']}/leads/{leads[0]['id']}/status"
        assert (await api.patch(first, json={"status": "placed"})).status_code == 200
        ids = [lead["id"] for lead in leads]
        response = await api.patch(
            f"/campaigns/{campaign['id']}/leads/bulk-status",
            json={"lead_ids": [*ids, ids[1], "lead_missing"], "status": "placed"},
        )
        assert response.json() == {"updated": 3, "failed": ["lead_missing"]}
    written = await _events(db)
    assert [e["type"] for e in written] == [CHANGED] * 3  # one per move, none for a lead already so
    moved = {e["data"]["id"]: e["data"] for e in written[1:]}
    assert sorted(moved) == sorted(ids[1:])
    assert {d["previous_status"] for d in moved.values()} == {"discovered"}
    assert {d["status"] for d in moved.values()} == {"placed"}
    assert {e["workspace"] for e in written} == {"user_a"}
