"""Sending from a mailbox, against real aiosmtpd servers with AUTH: its identity everywhere, its
own server and login, rotation by room, follow-ups from the first message's mailbox, caps,
warm-up, the bounce breaker, and no password in any log line."""

from __future__ import annotations

import base64
import functools
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dkim
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import utcnow
from backlink_outreach.duties import DUTIES
from backlink_outreach.leads import lifecycle
from backlink_outreach.mailboxes import health
from backlink_outreach.models import OutboxEvent
from backlink_outreach.worker import run_once
from tests.conftest import Api, create_campaign
from tests.mailboxes.support import KEY, PASSWORD, create_mailbox
from tests.outreach.conftest import MakeApi, add_lead, campaign_with_lead, mail_settings, send
from tests.outreach.mailserver import MailServer, Recorder
from tests.support.database import Database
from tests.support.mailservers import SMTP_PASSWORD, SMTP_USER, smtp_server

START = datetime(2031, 5, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """The deployment's own server (mbx_default): no message of a mailbox may reach it."""
    with MailServer() as server:
        yield server


@pytest.fixture
def auth_server() -> Iterator[tuple[Recorder, int]]:
    with smtp_server(auth=True) as found:
        yield found


@pytest.fixture
def second_server() -> Iterator[tuple[Recorder, int]]:
    with smtp_server(auth=True) as found:
        yield found


def _settings(mail_server: MailServer, **overrides: Any) -> dict[str, Any]:
    return mail_settings(mail_server, secrets_key=KEY, **overrides)


@pytest.fixture
async def api(make_api: MakeApi, mail_server: MailServer) -> AsyncIterator[Api]:
    async with make_api(**_settings(mail_server)) as client:
        yield client


def _login(port: int, **more: Any) -> dict[str, Any]:
    smtp = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "username": SMTP_USER,
        "password": SMTP_PASSWORD,
    }
    return {"smtp": smtp, **more}


async def test_a_mailbox_send_uses_its_identity_server_and_login(
    api: Api, mail_server: MailServer, auth_server: tuple[Recorder, int]
) -> None:
    recorder, port = auth_server
    mailbox = await create_mailbox(api, **_login(port))
    campaign, lead = await campaign_with_lead(api)
    response = await send(
        api,
        campaign,
        lead,
        subject="Hello from {sender_name}",
        body="Write to {sender_email}, see {sender_site}.",
        mailbox_id=mailbox["id"],
    )
    assert response.status_code == 200, response.text
    attempt = response.json()
    assert attempt["mailbox_id"] == mailbox["id"] and attempt["delivery"] == "smtp"
    assert attempt["sender_email"] == "alice@agency.test"
    assert mail_server.messages == []  # not the deployment's server
    (received,) = recorder.messages
    message = received.message
    assert message["From"] == "Alice Agent <alice@agency.test>"
    assert message["Reply-To"] == "replies@agency.test"
    assert message["Subject"] == "Hello from Alice Agent"
    assert "@agency.test>" in message["Message-ID"]
    text = received.text()
    assert "Write to alice@agency.test, see www.agency.test." in text
    assert "Alice, Agency Ltd" in text  # the signature
    assert "Agency Ltd, 5 High Street, Leeds" in text  # the postal address in the footer
    assert "mailto:replies@agency.test" in message["List-Unsubscribe"]
    listed = (await api.get(f"/campaigns/{campaign['id']}/attempts")).json()
    assert listed[0]["mailbox_id"] == mailbox["id"] and listed[0]["delivery"] == "smtp"
    got = (await api.get(f"/mailboxes/{mailbox['id']}")).json()
    assert got["health"]["sends_today"] == 1


async def test_without_mailboxes_part_1_sends_from_the_environment(
    make_api: MakeApi, mail_server: MailServer, tmp_path: Any
) -> None:
    async with make_api(**mail_settings(mail_server)) as api:
        campaign, lead = await campaign_with_lead(api)
        attempt = (await send(api, campaign, lead)).json()
    assert attempt["mailbox_id"] == "mbx_default" and attempt["delivery"] == "smtp"
    assert len(mail_server.messages) == 1
    async with make_api(mail_outbox_dir=tmp_path / "outbox") as api:
        campaign, lead = await campaign_with_lead(api, email="ed@other.test")
        attempt = (await send(api, campaign, lead)).json()
    assert attempt["mailbox_id"] == "mbx_default" and attempt["delivery"] == "outbox"


async def test_rotation_by_room_today_then_the_cap(
    api: Api, auth_server: tuple[Recorder, int]
) -> None:
    recorder, port = auth_server
    first = await create_mailbox(api, from_email="one@agency.test", daily_cap=2, **_login(port))
    second = await create_mailbox(api, from_email="two@agency.test", daily_cap=2, **_login(port))
    campaign = await create_campaign(api, mailbox_ids=[first["id"], second["id"]])
    senders = []
    for i in range(4):
        lead = await add_lead(api, campaign["id"], f"ed@site{i}.test")
        response = await send(api, campaign, lead)
        assert response.status_code == 200, response.text
        senders.append(response.json()["sender_email"])
    assert senders == ["one@agency.test", "two@agency.test"] * 2  # the most room first
    lead = await add_lead(api, campaign["id"], "ed@site9.test")
    blocked = await send(api, campaign, lead)
    assert blocked.status_code == 403
    assert blocked.json() == {"detail": "Policy validation failed", "reason": "sender_daily_cap"}
    assert len(recorder.messages) == 4


async def test_empty_list_means_own_mailboxes_else_the_default(
    api: Api, mail_server: MailServer, auth_server: tuple[Recorder, int]
) -> None:
    recorder, port = auth_server
    await create_mailbox(api, **_login(port))
    campaign, lead = await campaign_with_lead(api)
    assert (await send(api, campaign, lead)).json()["sender_email"] == "alice@agency.test"
    other = await create_campaign(api, user="user_b")
    lead_b = (
        await api.post(
            f"/campaigns/{other['id']}/leads",
            user="user_b",
            json={"website_url": "https://b.test/", "contact_email": "ed@b.test"},
        )
    ).json()
    response = await api.post(
        "/outreach/send",
        user="user_b",
        json={"campaign_id": other["id"], "lead_id": lead_b["id"], "subject": "Hi", "body": "x"},
    )
    assert response.json()["mailbox_id"] == "mbx_default"
    assert len(recorder.messages) == 1 and len(mail_server.messages) == 1


async def test_another_workspaces_mailbox_cannot_be_used(
    api: Api, auth_server: tuple[Recorder, int]
) -> None:
    _, port = auth_server
    theirs = await create_mailbox(api, user="user_b", **_login(port))
    campaign, lead = await campaign_with_lead(api)
    for mailbox_id in (theirs["id"], "mbx_nope"):
        response = await send(api, campaign, lead, mailbox_id=mailbox_id)
        assert response.status_code == 404
        assert response.json() == {"detail": "Resource not found"}
    refused = await api.post("/campaigns", json={"name": "x", "mailbox_ids": [theirs["id"]]})
    assert refused.status_code == 404 and refused.json() == {"detail": "Resource not found"}


async def test_follow_ups_go_from_the_first_messages_mailbox(
    api: Api,
    db: Database,
    make_settings: Any,
    mail_server: MailServer,
    auth_server: tuple[Recorder, int],
    second_server: tuple[Recorder, int],
) -> None:
    first_recorder, first_port = auth_server
    second_recorder, second_port = second_server
    await create_mailbox(api, from_email="one@agency.test", **_login(first_port))
    chosen = await create_mailbox(api, from_email="two@agency.test", **_login(second_port))
    settings = make_settings(**_settings(mail_server))
    worker = functools.partial(run_once, AppDatabase(db.engine), settings, DUTIES)
    with time_machine.travel(START, tick=True) as clock:
        campaign, lead = await campaign_with_lead(api, follow_up_days=[2])
        sent = await send(api, campaign, lead, mailbox_id=chosen["id"])
        assert sent.status_code == 200, sent.text
        clock.shift(timedelta(days=3))
        await worker()
    attempts = (await api.get(f"/campaigns/{campaign['id']}/attempts")).json()
    assert [(a["kind"], a["mailbox_id"]) for a in attempts] == [
        ("initial", chosen["id"]),
        ("follow_up", chosen["id"]),
    ]
    assert first_recorder.messages == [] and mail_server.messages == []
    assert [m.message["From"] for m in second_recorder.messages] == [
        "Alice Agent <two@agency.test>"
    ] * 2


async def test_warm_up_ramp_caps_each_day(api: Api, auth_server: tuple[Recorder, int]) -> None:
    _, port = auth_server
    warmup = {"enabled": True, "start_per_day": 1, "increase_per_day": 1, "max_per_day": 10}
    with time_machine.travel(START, tick=True) as clock:
        mailbox = await create_mailbox(api, warmup=warmup, **_login(port))
        campaign = await create_campaign(api)
        results = []
        for day in range(2):
            for i in range(3):
                lead = await add_lead(api, campaign["id"], f"ed@d{day}n{i}.test")
                response = await send(api, campaign, lead, mailbox_id=mailbox["id"])
                results.append(response.json().get("reason") or response.status_code)
            clock.shift(timedelta(days=1))
    assert results == [200, "sender_daily_cap", "sender_daily_cap", 200, 200, "sender_daily_cap"]


async def test_permanent_refusals_trip_the_bounce_breaker(
    api: Api, auth_server: tuple[Recorder, int], db: Database
) -> None:
    recorder, port = auth_server
    mailbox = await create_mailbox(api, **_login(port))
    hook = {"url": "https://hooks.example.com/in", "events": ["mailbox.paused"]}
    assert (await api.post("/webhooks", json=hook)).status_code == 201
    campaign = await create_campaign(api, mailbox_ids=[mailbox["id"]])
    for i in range(3):
        recorder.refuse[f"gone{i}@dead.test"] = "550 5.1.1 User unknown"
        lead = await add_lead(api, campaign["id"], f"gone{i}@dead.test", url=f"https://d{i}.test")
        response = await send(api, campaign, lead)
        assert response.status_code == 500
    got = (await api.get(f"/mailboxes/{mailbox['id']}")).json()
    assert got["status"] == "paused" and got["paused_reason"] == "bounce_rate"
    assert got["health"]["hard_bounces_last_50"] == 3
    async with db.engine.connect() as conn:
        paused = (await conn.execute(select(OutboxEvent.type, OutboxEvent.payload))).all()
    assert [kind for kind, _ in paused] == ["mailbox.paused"]  # once, when it tripped
    assert json.loads(paused[0][1])["data"]["mailbox_id"] == mailbox["id"]
    lead = await add_lead(api, campaign["id"], "fine@alive.test")
    blocked = await send(api, campaign, lead)
    assert blocked.status_code == 403 and blocked.json()["reason"] == "mailbox_paused"
    again = await api.patch(f"/mailboxes/{mailbox['id']}", json={"status": "active"})
    assert again.json()["status"] == "active" and again.json()["paused_reason"] is None
    assert again.json()["health"]["hard_bounces_last_50"] == 3  # still shown
    assert (await send(api, campaign, lead)).status_code == 200


async def test_breaker_off_at_zero_percent(
    make_api: MakeApi, mail_server: MailServer, auth_server: tuple[Recorder, int]
) -> None:
    recorder, port = auth_server
    async with make_api(**_settings(mail_server, bounce_breaker_percent=0)) as api:
        mailbox = await create_mailbox(api, **_login(port))
        campaign = await create_campaign(api, mailbox_ids=[mailbox["id"]])
        for i in range(4):
            recorder.refuse[f"gone{i}@dead.test"] = "550 5.1.1 User unknown"
            lead = await add_lead(api, campaign["id"], f"gone{i}@dead.test", url=f"https://d{i}.t")
            assert (await send(api, campaign, lead)).status_code == 500
        assert (await api.get(f"/mailboxes/{mailbox['id']}")).json()["status"] == "active"


async def test_dsn_hard_bounces_count_through_the_lifecycle(
    api: Api, db: Database, auth_server: tuple[Recorder, int]
) -> None:
    _, port = auth_server
    mailbox = await create_mailbox(api, **_login(port))
    campaign = await create_campaign(api, mailbox_ids=[mailbox["id"]])
    sent = []
    for i in range(10):
        lead = await add_lead(api, campaign["id"], f"ed@s{i}.test")
        sent.append((await send(api, campaign, lead)).json())
    app_db = AppDatabase(db.engine)
    async with app_db.write() as session:
        events = [
            lifecycle.Event(
                "hard_bounce",
                attempt["lead_id"],
                suppress=lifecycle.Suppress("user_a", attempt["recipient_email"], "bounce", "dsn"),
                attempt_id=attempt["id"] if i else None,  # the first: found by its lead
            )
            for i, attempt in enumerate(sent[:2])
        ]
        await lifecycle.apply(session, events, utcnow())
    got = (await api.get(f"/mailboxes/{mailbox['id']}")).json()
    assert got["health"]["hard_bounces_last_50"] == 2 and got["status"] == "active"
    async with app_db.write() as session:
        third = lifecycle.Suppress("user_a", sent[2]["recipient_email"], "bounce", "dsn")
        event = lifecycle.Event("hard_bounce", sent[2]["lead_id"], suppress=third)
        await lifecycle.apply(session, [event], utcnow())
    got = (await api.get(f"/mailboxes/{mailbox['id']}")).json()
    assert got["status"] == "paused" and got["paused_reason"] == "bounce_rate"  # 3 of 10


async def test_the_breaker_window_is_the_last_50_sends(db: Database) -> None:
    app_db = AppDatabase(db.engine)
    now = utcnow()
    async with app_db.write() as session:
        for i in range(3):
            await health.record_send(session, "mbx_x", f"att_bad{i}", hard_bounce=True, now=now)
        state = await health.read(session, "mbx_x")
        assert state.hard_bounces_last_50 == 3 and state.breaker_trips(5.0)
        for i in range(50):
            await health.record_send(session, "mbx_x", f"att_ok{i}", hard_bounce=False, now=now)
        state = await health.read(session, "mbx_x")
    assert state.sends_recorded == 53 and state.hard_bounces_last_50 == 0
    assert not state.breaker_trips(5.0)


async def test_a_refused_login_logs_no_password(
    api: Api,
    auth_server: tuple[Recorder, int],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, port = auth_server
    caplog.set_level(logging.DEBUG)
    wrong = {"host": "127.0.0.1", "port": port, "username": SMTP_USER, "password": PASSWORD}
    mailbox = await create_mailbox(api, smtp={**wrong, "security": "none"})
    campaign, lead = await campaign_with_lead(api)
    response = await send(api, campaign, lead, mailbox_id=mailbox["id"])
    assert response.status_code == 500
    assert response.json() == {"detail": "An internal error occurred"}
    (attempt,) = (await api.get(f"/campaigns/{campaign['id']}/attempts")).json()
    assert attempt["status"] == "failed" and attempt["error"]
    captured = capsys.readouterr()
    everything = caplog.text + captured.out + captured.err + response.text + str(attempt)
    assert "outreach_delivery_failed" in everything  # the failure was logged...
    assert PASSWORD not in everything  # ...without the password
    assert base64.b64encode(PASSWORD.encode()).decode() not in everything


async def test_dkim_per_mailbox(api: Api, auth_server: tuple[Recorder, int]) -> None:
    recorder, port = auth_server
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
    mailbox = await create_mailbox(
        api, dkim={"domain": "agency.test", "selector": "m1", "private_key": pem}, **_login(port)
    )
    campaign, lead = await campaign_with_lead(api)
    assert (await send(api, campaign, lead, mailbox_id=mailbox["id"])).status_code == 200
    data = recorder.messages[0].data

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return record if name == b"m1._domainkey.agency.test." else b""

    assert b"d=agency.test" in data
    assert dkim.verify(data, dnsfunc=dns)


async def test_a_paused_mailbox_passes_sends_to_the_next_and_default_can_pause(
    api: Api, mail_server: MailServer, auth_server: tuple[Recorder, int]
) -> None:
    recorder, port = auth_server
    first = await create_mailbox(api, from_email="one@agency.test", **_login(port))
    second = await create_mailbox(api, from_email="two@agency.test", **_login(port))
    await api.patch(f"/mailboxes/{first['id']}", json={"status": "paused"})
    campaign, lead = await campaign_with_lead(api, mailbox_ids=[first["id"], second["id"]])
    assert (await send(api, campaign, lead)).json()["mailbox_id"] == second["id"]
    await api.patch(f"/mailboxes/{second['id']}", json={"status": "paused"})
    lead = await add_lead(api, campaign["id"], "ed@next.test")
    blocked = await send(api, campaign, lead)
    assert blocked.status_code == 403 and blocked.json()["reason"] == "mailbox_paused"
    # mbx_default too: paused, it sends nothing.
    await api.patch("/mailboxes/mbx_default", json={"status": "paused"})
    other, lead = await campaign_with_lead(api, email="ed@plain.test")
    blocked = await send(api, other, lead, mailbox_id="mbx_default")
    assert blocked.json() == {"detail": "Policy validation failed", "reason": "mailbox_paused"}
    assert mail_server.messages == [] and len(recorder.messages) == 1


async def test_a_deleted_mailbox_in_the_list_falls_back_to_the_workspaces_own(
    api: Api, auth_server: tuple[Recorder, int]
) -> None:
    _, port = auth_server
    gone = await create_mailbox(api, from_email="gone@agency.test", **_login(port))
    kept = await create_mailbox(api, from_email="kept@agency.test", **_login(port))
    campaign, lead = await campaign_with_lead(api, mailbox_ids=[gone["id"]])
    assert (await api.delete(f"/mailboxes/{gone['id']}")).status_code == 204
    assert (await send(api, campaign, lead)).json()["mailbox_id"] == kept["id"]
