"""Webhooks: endpoints (secret shown once, sealed at rest, SSRF guard), the outbox written in
the change's transaction, delivery by the duty with Standard Webhooks signatures (checked with
the `standardwebhooks` package), retries, give-ups, auto-disable and the test endpoint."""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from standardwebhooks.webhooks import Webhook

from backlink_outreach.db import utcnow
from backlink_outreach.integrations import events
from backlink_outreach.integrations.webhooks import delivery
from backlink_outreach.integrations.webhooks.fanout import fan_out
from backlink_outreach.leads import lifecycle
from backlink_outreach.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from tests.conftest import Api
from tests.integrations.conftest import hook_settings
from tests.integrations.receiver import Receiver
from tests.outreach.conftest import MakeApi, campaign_with_lead, mail_settings
from tests.outreach.mailserver import MailServer
from tests.support.database import Database

ALL = ["send.sent", "send.failed", "lead.status_changed", "unsubscribe", "bounce.received"]


@pytest.fixture
def receiver() -> Any:
    with Receiver() as server:
        yield server


async def _hook(
    api: Api, url: str, types: list[str] | None = None, user: str = "user_a", **fields: Any
) -> dict[str, Any]:
    request = {"url": url, "events": types or ALL, **fields}
    response = await api.post("/webhooks", json=request, user=user)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _run_duty(api: Api) -> int:
    return await delivery.deliver_due(api.app.state.database, api.app.state.settings)


def _verify(secret: str, received: Any) -> dict[str, Any]:
    payload: dict[str, Any] = Webhook(secret).verify(received.body, received.headers)
    return payload


async def _record(api: Api, workspace: str, type_: str, data: dict[str, Any]) -> str | None:
    async with api.app.state.database.write() as session:
        return await events.record(session, workspace, type_, data, utcnow())


async def test_secret_is_shown_once_and_sealed_at_rest(make_api: MakeApi, db: Database) -> None:
    async with make_api(**hook_settings()) as api:
        created = await _hook(api, "https://hooks.example.com/in", description="CRM")
        secret = created["secret"]
        assert secret.startswith("whsec_")
        shown = (await api.get(f"/webhooks/{created['id']}")).json()
        listed = (await api.get("/webhooks")).json()
        assert "secret" not in shown and all("secret" not in h for h in listed)
        assert shown["events"] == ALL and shown["status"] == "enabled"
        async with db.engine.connect() as conn:
            dump = str((await conn.execute(text("SELECT * FROM webhook_endpoints"))).all())
        assert secret not in dump and secret.removeprefix("whsec_") not in dump


async def test_private_addresses_are_422_at_creation_unless_allowed(make_api: MakeApi) -> None:
    async with make_api(**hook_settings(webhook_allow_private_networks=False)) as api:
        for url in ("http://127.0.0.1:9/x", "http://10.0.0.7/x", "http://[::1]/x", "ftp://a.com/"):
            response = await api.post("/webhooks", json={"url": url, "events": ["send.sent"]})
            assert response.status_code == 422, (url, response.text)
            assert response.json()["detail"][0]["loc"] == ["body", "url"]
        await _hook(api, "https://hooks.example.com/in")
    async with make_api(**hook_settings()) as api:
        await _hook(api, "http://127.0.0.1:9/x")


async def test_bad_webhook_bodies_are_422(make_api: MakeApi) -> None:
    async with make_api(**hook_settings()) as api:
        for body in (
            {"url": "https://a.example.com", "events": []},
            {"url": "https://a.example.com", "events": ["lead.deleted"]},
            {"url": "", "events": ["send.sent"]},
            {"events": ["send.sent"]},
        ):
            response = await api.post("/webhooks", json=body)
            assert response.status_code == 422, (body, response.text)


async def test_endpoints_of_another_workspace_are_404(make_api: MakeApi) -> None:
    async with make_api(**hook_settings()) as api:
        hook = await _hook(api, "https://hooks.example.com/in", user="user_a")
        for method, path in (
            ("GET", f"/webhooks/{hook['id']}"),
            ("PATCH", f"/webhooks/{hook['id']}"),
            ("DELETE", f"/webhooks/{hook['id']}"),
            ("POST", f"/webhooks/{hook['id']}/test"),
            ("GET", f"/webhooks/{hook['id']}/deliveries"),
        ):
            kwargs: dict[str, Any] = {"json": {}} if method == "PATCH" else {}
            response = await api.request(method, path, user="user_b", **kwargs)
            assert response.status_code == 404, (method, path, response.text)
        assert (await api.get("/webhooks", user="user_b")).json() == []


async def test_a_send_is_delivered_signed_with_its_lead_change(
    make_api: MakeApi, mail_server: MailServer, receiver: Receiver
) -> None:
    async with make_api(**mail_settings(mail_server), **hook_settings()) as api:
        hook = await _hook(api, receiver.url)
        campaign, lead = await campaign_with_lead(api)
        sent = await api.post(
            "/outreach/send",
            json={
                "campaign_id": campaign["id"],
                "lead_id": lead["id"],
                "subject": "Hi",
                "body": "Hello",
            },
        )
        assert sent.status_code == 200, sent.text
        assert receiver.received == []  # nothing is sent from inside a request
        assert await _run_duty(api) == 2
        payloads = {p["type"]: p for p in (_verify(hook["secret"], r) for r in receiver.received)}
        assert set(payloads) == {"send.sent", "lead.status_changed"}
        attempt = payloads["send.sent"]["data"]
        assert attempt["id"] == sent.json()["id"] and attempt["status"] == "sent"
        changed = payloads["lead.status_changed"]["data"]
        assert changed["id"] == lead["id"] and changed["status"] == "contacted"
        assert changed["previous_status"] == "discovered"
        log = (await api.get(f"/webhooks/{hook['id']}/deliveries")).json()
        assert len(log) == 2 and all(e["delivered"] and e["attempt"] == 1 for e in log)
        ids = {r.headers["webhook-id"] for r in receiver.received}
        assert ids == {e["event_id"] for e in log}
        assert await _run_duty(api) == 0  # delivered once


async def test_no_subscriber_writes_no_event(
    make_api: MakeApi, mail_server: MailServer, db: Database
) -> None:
    async with make_api(**mail_settings(mail_server), **hook_settings()) as api:
        await _hook(api, "https://hooks.example.com/in", ["reply.received"])
        await _hook(api, "https://hooks.example.com/in", ["send.sent"], user="someone_else")
        campaign, lead = await campaign_with_lead(api)
        body = {"campaign_id": campaign["id"], "lead_id": lead["id"], "subject": "Hi", "body": "Yo"}
        assert (await api.post("/outreach/send", json=body)).status_code == 200
    async with db.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(OutboxEvent))).scalar() == 0


async def test_an_event_rolls_back_with_its_change(make_api: MakeApi, db: Database) -> None:
    async with make_api(**hook_settings()) as api:
        await _hook(api, "https://hooks.example.com/in", ["send.sent"])
        with pytest.raises(RuntimeError):
            async with api.app.state.database.write() as session:
                await events.record(session, "user_a", "send.sent", {"id": "att_1"}, utcnow())
                raise RuntimeError("the change failed")
    async with db.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(OutboxEvent))).scalar() == 0
        assert (await conn.execute(select(func.count()).select_from(WebhookDelivery))).scalar() == 0


async def test_lifecycle_writes_unsubscribe_and_bounce_events(
    make_api: MakeApi, receiver: Receiver
) -> None:
    async with make_api(**hook_settings()) as api:
        hook = await _hook(api, receiver.url)
        campaign, lead = await campaign_with_lead(api, email="ed@garden.test")
        entry = lifecycle.Suppress("user_a", "ed@garden.test", "unsubscribe", "clicked")
        async with api.app.state.database.write() as session:
            await lifecycle.apply(
                session, [lifecycle.Event("unsubscribed", lead["id"], suppress=entry)], utcnow()
            )
        bounce = lifecycle.Suppress("user_a", "gone@else.test", "bounce", "5.1.1 no such user")
        async with api.app.state.database.write() as session:
            await lifecycle.apply(
                session, [lifecycle.Event("hard_bounce", None, suppress=bounce)], utcnow()
            )
        await _run_duty(api)
        got = [_verify(hook["secret"], r) for r in receiver.received]
        by_type = {p["type"]: p["data"] for p in got}
        assert by_type["unsubscribe"]["email"] == "ed@garden.test"
        assert by_type["unsubscribe"]["lead_ids"] == [lead["id"]]
        assert by_type["lead.status_changed"]["status"] == "lost"
        assert by_type["bounce.received"]["email"] == "gone@else.test"
        assert campaign["id"]


async def _make_due(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))


async def test_failures_are_retried_on_the_schedule_then_given_up(
    make_api: MakeApi, receiver: Receiver, db: Database
) -> None:
    receiver.status = 500
    async with make_api(**hook_settings()) as api:
        hook = await _hook(api, receiver.url, ["send.sent"])
        event_id = await _record(api, "user_a", "send.sent", {"id": "att_1"})
        for _ in range(10):
            await _run_duty(api)
            await _make_due(db)
        log = (await api.get(f"/webhooks/{hook['id']}/deliveries")).json()
        assert [e["attempt"] for e in log] == [1, 2, 3, 4, 5, 6, 7]
        assert all(e["status_code"] == 500 and not e["delivered"] for e in log)
        assert all(e["error"] == "HTTP 500" for e in log)
        waits = [
            None if e["next_retry_at"] is None else _seconds(e["next_retry_at"], e["at"])
            for e in log
        ]
        assert waits == [5, 30, 120, 600, 3600, 21600, None]
        assert {r.headers["webhook-id"] for r in receiver.received} == {event_id}
        assert len(receiver.received) == 7
    async with db.engine.connect() as conn:
        status = (await conn.execute(select(WebhookDelivery.status))).scalar_one()
        give_ups = (await conn.execute(select(WebhookEndpoint.give_ups_in_a_row))).scalar_one()
    assert status == "failed" and give_ups == 1


async def test_a_slow_endpoint_does_not_hold_back_the_others_in_a_batch(
    make_api: MakeApi, receiver: Receiver
) -> None:
    """Twice as many global slots as one endpoint may take: the slow endpoint's deliveries,
    claimed first, time out in their own slots while the other endpoint's go straight through."""
    settings = hook_settings(webhook_concurrency=2 * delivery.ENDPOINT_CONCURRENCY)
    settings["webhook_timeout_seconds"] = 1.0
    with Receiver(delay=3.0) as slow:
        async with make_api(**settings) as api:
            slow_hook = await _hook(api, slow.url, ["send.sent"], user="user_a")
            fast_hook = await _hook(api, receiver.url, ["send.sent"], user="user_b")
            earlier = utcnow() - timedelta(minutes=1)  # claimed (oldest due) first
            async with api.app.state.database.write() as session:
                items = [("user_a", "send.sent", {"n": n}) for n in range(12)]
                await events.record_many(session, items, earlier)
            for n in range(12):
                await _record(api, "user_b", "send.sent", {"n": n})
            started = time.monotonic()
            assert await _run_duty(api) == 24
            fast_log = (
                await api.get(f"/webhooks/{fast_hook['id']}/deliveries", user="user_b")
            ).json()
            slow_log = (await api.get(f"/webhooks/{slow_hook['id']}/deliveries")).json()
    assert len(receiver.received) == 12 and all(e["delivered"] for e in fast_log)
    assert all(r.at - started < 1.0 for r in receiver.received)  # before any slow post timed out
    assert len(slow_log) == 12 and all(e["error"] == "timed out" for e in slow_log)


async def test_posts_start_only_in_the_first_half_of_the_lease(
    make_api: MakeApi, db: Database
) -> None:
    """A slow endpoint's backlog bigger than the lease allows: what could not start in the
    lease's first half is left untried and pending (due when the lease runs out), so no post
    is still running when another worker may claim the row again."""
    settings = hook_settings(webhook_lease_seconds=3.0)
    settings["webhook_timeout_seconds"] = 1.0
    with Receiver(delay=3.0) as slow:
        async with make_api(**settings) as api:
            await _hook(api, slow.url, ["send.sent"])
            for n in range(3 * delivery.ENDPOINT_CONCURRENCY):
                await _record(api, "user_a", "send.sent", {"n": n})
            await _run_duty(api)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(WebhookDelivery.status, WebhookDelivery.attempts))).all()
    tried = [r for r in rows if r.attempts == 1]
    untried = [r for r in rows if r.attempts == 0]
    # A round of posts takes the 1 s timeout; the third round would start after 1.5 s.
    assert len(tried) + len(untried) == len(rows) == 3 * delivery.ENDPOINT_CONCURRENCY
    assert delivery.ENDPOINT_CONCURRENCY <= len(tried) <= 2 * delivery.ENDPOINT_CONCURRENCY
    assert untried and all(r.status == "pending" for r in untried)


def _seconds(later: str, earlier: str) -> int:
    from datetime import datetime

    delta = datetime.fromisoformat(later) - datetime.fromisoformat(earlier)
    return round(delta.total_seconds())


async def test_twenty_give_ups_in_a_row_disable_the_endpoint(
    make_api: MakeApi, receiver: Receiver, db: Database
) -> None:
    receiver.status = 503
    async with make_api(**hook_settings()) as api:
        hook = await _hook(api, receiver.url, ["send.sent"])
        async with db.engine.begin() as conn:
            await conn.execute(update(WebhookEndpoint).values(give_ups_in_a_row=18))
        for n in range(2):
            await _record(api, "user_a", "send.sent", {"n": n})
        assert await fan_out(api.app.state.database) == 2
        async with db.engine.begin() as conn:
            await conn.execute(update(WebhookDelivery).values(attempts=delivery.MAX_ATTEMPTS - 1))
        await _run_duty(api)
        shown = (await api.get(f"/webhooks/{hook['id']}")).json()
        assert shown["status"] == "disabled" and "20" in shown["disabled_reason"]
        # A disabled endpoint gets no new events and nothing is claimed for it.
        assert await _record(api, "user_a", "send.sent", {"n": 3}) is None
        enabled = await api.patch(f"/webhooks/{hook['id']}", json={"status": "enabled"})
        assert enabled.json()["status"] == "enabled" and enabled.json()["disabled_reason"] is None


async def test_a_success_resets_the_give_up_count(
    make_api: MakeApi, receiver: Receiver, db: Database
) -> None:
    async with make_api(**hook_settings()) as api:
        await _hook(api, receiver.url, ["send.sent"])
        async with db.engine.begin() as conn:
            await conn.execute(update(WebhookEndpoint).values(give_ups_in_a_row=19))
        await _record(api, "user_a", "send.sent", {"n": 1})
        await _run_duty(api)
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(WebhookEndpoint))).one()
    assert row.give_ups_in_a_row == 0 and row.status == "enabled"


async def test_a_name_resolving_to_a_private_address_is_refused_at_delivery(
    make_api: MakeApi, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    real = socket.getaddrinfo

    def fake(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.example.com":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    async with make_api(**hook_settings(webhook_allow_private_networks=False)) as api:
        hook = await _hook(api, f"http://hooks.example.com:{receiver.port}/hook", ["send.sent"])
        await _record(api, "user_a", "send.sent", {"n": 1})
        await _run_duty(api)
        (entry,) = (await api.get(f"/webhooks/{hook['id']}/deliveries")).json()
    assert not entry["delivered"] and "refused" in entry["error"]
    assert "private" in entry["error"] and receiver.received == []


async def test_the_test_endpoint_posts_a_signed_event_now(
    make_api: MakeApi, receiver: Receiver
) -> None:
    async with make_api(**hook_settings()) as api:
        hook = await _hook(api, receiver.url, ["send.sent"])
        response = await api.post(f"/webhooks/{hook['id']}/test")
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["delivered"] and result["status_code"] == 204 and result["attempt"] == 1
        (got,) = receiver.received
        assert _verify(hook["secret"], got)["type"] == "webhook.test"
        assert got.headers["webhook-id"] == result["event_id"]
        receiver.status = 410
        failed = (await api.post(f"/webhooks/{hook['id']}/test")).json()
        assert not failed["delivered"] and failed["error"] == "HTTP 410"
        log = (await api.get(f"/webhooks/{hook['id']}/deliveries")).json()
        assert [e["delivered"] for e in log] == [True, False]


async def test_patch_and_delete(make_api: MakeApi) -> None:
    async with make_api(**hook_settings(webhook_allow_private_networks=False)) as api:
        hook = await _hook(api, "https://hooks.example.com/in")
        changed = await api.patch(
            f"/webhooks/{hook['id']}", json={"events": ["reply.received"], "description": "x"}
        )
        assert changed.status_code == 200 and changed.json()["events"] == ["reply.received"]
        bad = await api.patch(f"/webhooks/{hook['id']}", json={"url": "http://192.168.1.1/"})
        assert bad.status_code == 422
        assert (await api.delete(f"/webhooks/{hook['id']}")).status_code == 204
        assert (await api.get(f"/webhooks/{hook['id']}")).status_code == 404


async def test_the_body_is_the_contracts_shape(make_api: MakeApi, receiver: Receiver) -> None:
    async with make_api(**hook_settings()) as api:
        hook = await _hook(api, receiver.url, ["send.sent"])
        await _record(api, "user_a", "send.sent", {"id": "att_1"})
        await _run_duty(api)
    (got,) = receiver.received
    body = json.loads(got.body)
    assert set(body) == {"type", "timestamp", "data"} and body["data"] == {"id": "att_1"}
    assert body["timestamp"].endswith("Z")
    assert got.headers["content-type"] == "application/json"
    assert hook["id"]


async def test_deliveries_list_pages(make_api: MakeApi, receiver: Receiver) -> None:
    async with make_api(**hook_settings()) as api:
        hook = await _hook(api, receiver.url, ["send.sent"])
        for n in range(3):
            await _record(api, "user_a", "send.sent", {"n": n})
        await _run_duty(api)
        first = await api.get(f"/webhooks/{hook['id']}/deliveries", params={"limit": 2})
        assert len(first.json()) == 2 and "X-Next-Cursor" in first.headers
        rest = await api.get(
            f"/webhooks/{hook['id']}/deliveries",
            params={"limit": 2, "cursor": first.headers["X-Next-Cursor"]},
        )
        assert len(rest.json()) == 1 and "X-Next-Cursor" not in rest.headers
        bad = await api.get(f"/webhooks/{hook['id']}/deliveries", params={"cursor": "!!"})
        assert bad.status_code == 422


_ = timedelta
