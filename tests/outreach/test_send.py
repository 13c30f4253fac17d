"""POST /outreach/send against a real SMTP server: the bytes on the wire, the stored attempt,
rendering rules, and the workspace rules."""

from __future__ import annotations

import asyncio
import base64
from email.utils import parseaddr
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import Api
from tests.outreach.conftest import (
    POSTAL,
    SENDER,
    MakeApi,
    add_lead,
    campaign_with_lead,
    mail_settings,
    send,
)
from tests.outreach.mailserver import MailServer

PREFIX = "/api/v1/backlink-outreach"


async def test_send_delivers_a_complete_message(mail_api: Api, mail_server: MailServer) -> None:
    campaign, lead = await campaign_with_lead(mail_api)
    response = await send(mail_api, campaign, lead)
    assert response.status_code == 200, response.text
    attempt = response.json()
    assert attempt["status"] == "sent"
    assert attempt["kind"] == "initial" and attempt["step"] == 0
    assert attempt["subject"] == "Guest post for garden.test"
    assert attempt["body"] == "Hi there,\n\nI would love to write for https://garden.test/."
    assert attempt["legal_basis"] == "legitimate_interest"
    assert attempt["message_id"].startswith("<") and attempt["message_id"].endswith(
        "@mail.sender.test>"
    )
    assert attempt["sent_at"] is not None and attempt["sent_at"].endswith(("Z", "+00:00"))

    [received] = mail_server.messages
    assert received.mail_from == SENDER
    assert received.rcpt_tos == ["editor@garden.test"]
    msg = received.message
    assert parseaddr(msg["From"]) == ("Sam Sender", SENDER)
    assert msg["To"] == "editor@garden.test"
    assert msg["Subject"] == "Guest post for garden.test"
    assert msg["Message-ID"] == attempt["message_id"]
    assert msg["Date"]
    assert msg["Reply-To"] is None
    unsub = msg["List-Unsubscribe"]
    # On the wire as RFC 2369 wants it: `<url>, <mailto:...>`, never RFC 2047 encoded-words.
    raw_header = received.data.split(b"\r\nList-Unsubscribe: ", 1)[1].split(b"\r\n", 1)[0]
    assert raw_header == unsub.encode() and b"=?" not in raw_header
    url_part, mailto_part = [p.strip() for p in unsub.split(",")]
    assert url_part.startswith(f"<http://testserver{PREFIX}/unsubscribe/")
    assert mailto_part == f"<mailto:{SENDER}?subject=unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = received.text()
    assert text.startswith("Hi there,\n\nI would love to write for https://garden.test/.")
    assert url_part[1:-1] in text and POSTAL in text
    html = msg.get_body(preferencelist=("html",))
    assert html is not None and POSTAL in html.get_content()
    # The recipient's address is not readable in the opaque token.
    assert "garden" not in url_part

    lead_now = (await mail_api.get(f"/campaigns/{campaign['id']}")).json()["leads"][0]
    assert lead_now["status"] == "contacted"
    attempts = (await mail_api.get(f"/campaigns/{campaign['id']}/attempts")).json()
    assert [a["id"] for a in attempts] == [attempt["id"]]
    assert attempts[0]["status"] == "sent"


async def test_reply_to_and_mailto_settings(make_api: MakeApi, mail_server: MailServer) -> None:
    settings = mail_settings(
        mail_server, smtp_reply_to="replies@sender.test", unsubscribe_mailto="unsub@sender.test"
    )
    async with make_api(**settings) as api:
        campaign, lead = await campaign_with_lead(api)
        assert (await send(api, campaign, lead)).status_code == 200
    msg = mail_server.messages[0].message
    assert msg["Reply-To"] == "replies@sender.test"
    assert "<mailto:unsub@sender.test?subject=unsubscribe>" in msg["List-Unsubscribe"]


def _dkim_key() -> tuple[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


async def test_dkim_signature_verifies(make_api: MakeApi, mail_server: MailServer) -> None:
    pem, record = _dkim_key()
    settings = mail_settings(
        mail_server, dkim_private_key=pem, dkim_selector="s1", dkim_domain="sender.test"
    )
    async with make_api(**settings) as api:
        campaign, lead = await campaign_with_lead(api)
        assert (await send(api, campaign, lead)).status_code == 200
    data = mail_server.messages[0].data

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return record if name == b"s1._domainkey.sender.test." else b""

    assert dkim.verify(data, dnsfunc=dns)
    signature = mail_server.messages[0].message["DKIM-Signature"]
    signed = [h.strip().lower() for h in signature.split("h=")[1].split(";")[0].split(":")]
    assert "list-unsubscribe" in signed and "list-unsubscribe-post" in signed
    # A changed List-Unsubscribe header no longer verifies: the signature covers it.
    tampered = data.replace(
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: x"
    )
    assert not dkim.verify(tampered, dnsfunc=dns)


async def test_unknown_placeholder_is_422_and_stores_nothing(
    mail_api: Api, mail_server: MailServer
) -> None:
    campaign, lead = await campaign_with_lead(mail_api)
    response = await send(mail_api, campaign, lead, body="Hello {nickname}")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "unknown_placeholder" and "{nickname}" in error["msg"]
    bad_syntax = await send(mail_api, campaign, lead, subject="Hi {name")
    assert bad_syntax.status_code == 422
    assert (await mail_api.get(f"/campaigns/{campaign['id']}/attempts")).json() == []
    assert mail_server.messages == []


async def test_topic_is_the_campaigns_first_keyword(mail_api: Api, mail_server: MailServer) -> None:
    campaign, lead = await campaign_with_lead(mail_api, keywords=["urban composting", "soil"])
    response = await send(
        mail_api,
        campaign,
        lead,
        subject="An idea on {topic}",
        body="Hi {name}, a piece on {topic} for {domain}?",
    )
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "An idea on urban composting"
    [received] = mail_server.messages
    assert received.message["Subject"] == "An idea on urban composting"
    assert "a piece on urban composting for garden.test?" in received.text()


async def test_header_injection_is_422(mail_api: Api, mail_server: MailServer) -> None:
    campaign = (await campaign_with_lead(mail_api))[0]
    lead = await add_lead(
        mail_api, campaign["id"], "ed@inject.test", website_title="Evil\r\nBcc: x@y.test"
    )
    response = await send(mail_api, campaign, lead, subject="About {website_title}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "subject"]
    direct = await send(mail_api, campaign, lead, subject="Line one\nBcc: x@y.test")
    assert direct.status_code == 422
    assert mail_server.messages == []


async def test_not_configured_is_422(make_api: MakeApi) -> None:
    async with make_api() as api:
        campaign, lead = await campaign_with_lead(api)
        response = await send(api, campaign, lead)
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert error["type"] == "not_configured" and "SMTP_HOST" in error["msg"]
        assert (await api.get(f"/campaigns/{campaign['id']}/attempts")).json() == []


async def test_outbox_mode_writes_eml(make_api: MakeApi, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    async with make_api(mail_outbox_dir=outbox, smtp_from_email=SENDER) as api:
        campaign, lead = await campaign_with_lead(api)
        response = await send(api, campaign, lead)
        assert response.status_code == 200, response.text
    files = list(outbox.glob("*.eml"))
    assert [f.stem for f in files] == [response.json()["id"]]
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in files[0].read_bytes()


async def test_workspace_rules(mail_api: Api, mail_server: MailServer) -> None:
    campaign, lead = await campaign_with_lead(mail_api)
    assert (await send(mail_api, campaign, lead, workspace_id="ws_other")).status_code == 404
    other_user = await mail_api.post(
        "/outreach/send",
        user="user_b",
        json={"campaign_id": campaign["id"], "lead_id": lead["id"], "subject": "x", "body": "y"},
    )
    assert other_user.status_code == 404
    assert other_user.json() == {"detail": "Resource not found"}
    assert (await send(mail_api, campaign, {"id": "lead_missing"})).status_code == 404
    ok = await send(mail_api, campaign, lead, workspace_id="default")
    assert ok.status_code == 200
    # Another lead: a second initial message to the first would be `sequence_active`.
    second = await add_lead(mail_api, campaign["id"], "owner@pond.test")
    again = await send(mail_api, campaign, second, subject="Another", workspace_id="user_a")
    assert again.status_code == 200
    assert len(mail_server.messages) == 2
    assert (
        await mail_api.get(f"/campaigns/{campaign['id']}/attempts", user="user_b")
    ).status_code == 404


async def test_concurrent_identical_sends_deliver_once(
    mail_api: Api, mail_server: MailServer
) -> None:
    campaign, lead = await campaign_with_lead(mail_api)
    responses = await asyncio.gather(*(send(mail_api, campaign, lead) for _ in range(20)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [403] * 19
    assert {r.json()["reason"] for r in responses if r.status_code == 403} == {"duplicate"}
    assert len(mail_server.messages) == 1


async def test_concurrent_sends_respect_sender_cap(
    make_api: MakeApi, mail_server: MailServer
) -> None:
    async with make_api(**mail_settings(mail_server, policy_sender_daily_cap=5)) as api:
        campaign, _ = await campaign_with_lead(api)
        leads = [await add_lead(api, campaign["id"], f"ed@site{i}.test") for i in range(15)]
        responses = await asyncio.gather(*(send(api, campaign, lead) for lead in leads))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [403] * 10
    assert {r.json()["reason"] for r in responses if r.status_code == 403} == {"sender_daily_cap"}
    assert len(mail_server.messages) == 5


async def test_no_transaction_is_held_across_smtp(mail_api: Api, mail_server: MailServer) -> None:
    """While the SMTP server holds the message, the attempt is visible as `sending`, its slot
    is counted, and other requests (which need the database) go through."""
    campaign, lead = await campaign_with_lead(mail_api)
    mail_server.recorder.hold = True
    in_flight = asyncio.create_task(send(mail_api, campaign, lead))
    try:
        assert await asyncio.to_thread(mail_server.recorder.arrived.wait, 10)
        [attempt] = (await mail_api.get(f"/campaigns/{campaign['id']}/attempts")).json()
        assert attempt["status"] == "sending" and attempt["sent_at"] is None
        check = await mail_api.post(
            "/policy/validate",
            json={"recipient_email": "x@other.test", "sender_email": SENDER},
        )
        assert check.json()["counts"]["sender_day"] == 1
    finally:
        mail_server.recorder.release.set()
    response = await in_flight
    assert response.status_code == 200 and response.json()["id"] == attempt["id"]
    [attempt] = (await mail_api.get(f"/campaigns/{campaign['id']}/attempts")).json()
    assert attempt["status"] == "sent"


async def test_bad_input_is_422_and_changes_nothing(mail_api: Api, mail_server: MailServer) -> None:
    campaign, lead = await campaign_with_lead(mail_api)
    base = {"campaign_id": campaign["id"], "lead_id": lead["id"], "subject": "s", "body": "b"}
    for broken in (
        {**base, "subject": "nul\x00"},
        {**base, "body": "nul\x00"},
        {**base, "lead_id": "lead\x00"},
        {**base, "subject": ""},
        {**base, "subject": "x" * 999},
        {k: v for k, v in base.items() if k != "body"},
    ):
        response = await mail_api.post("/outreach/send", json=broken)
        assert response.status_code == 422, broken
        assert isinstance(response.json()["detail"], list)
    not_json = await mail_api.post("/outreach/send", content=b"{not json")
    assert not_json.status_code == 422
    validate = await mail_api.post(
        "/policy/validate", json={"recipient_email": "a@b.test", "sender_email": "x\x00@y.test"}
    )
    assert validate.status_code == 422
    for path in ("/campaigns/%00/attempts", "/campaigns/%00/follow-ups"):
        assert (await mail_api.get(path)).status_code == 404
    assert (await mail_api.get(f"/campaigns/{campaign['id']}/attempts")).json() == []
    assert mail_server.messages == []
