"""POST /outreach/preview: the exact message a send would deliver (compared with the bytes a real
send of the same request delivers to aiosmtpd), the verdict it would get, and nothing stored."""

from __future__ import annotations

import re
from email import message_from_bytes
from email import policy as email_policy
from typing import Any

from sqlalchemy import inspect, text

from tests.conftest import Api, create_campaign
from tests.mailboxes.support import KEY, create_mailbox
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
from tests.outreach.test_send import _dkim_key
from tests.support.database import Database

# What each message gets afresh, so a preview and its send cannot share: dropped or masked.
FRESH_HEADERS = {b"message-id", b"date", b"dkim-signature"}


async def preview(api: Api, campaign: dict[str, Any], lead: dict[str, Any], **extra: Any) -> Any:
    payload = {
        "campaign_id": campaign["id"],
        "lead_id": lead["id"],
        "subject": "Guest post for {website_title}",
        "body": "Hi {first_name},\n\nI would love to write for {website}.",
        **extra,
    }
    return await api.post("/outreach/preview", json=payload)


async def row_counts(db: Database) -> dict[str, int]:
    """Every table's row count, the tables read from the database itself (not our models)."""
    async with db.engine.connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        counts = {}
        for name in names:
            counts[name] = (await conn.execute(text(f'SELECT COUNT(*) FROM "{name}"'))).scalar_one()
        return counts


def _header_blocks(head: bytes) -> list[bytes]:
    blocks: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and blocks:
            blocks[-1] += b"\r\n" + line
        else:
            blocks.append(line)
    return blocks


def normalise(raw: bytes) -> bytes:
    """The message without what is fresh per message: Message-ID, Date and DKIM-Signature
    dropped; the MIME boundary and the unsubscribe token's characters masked (the token has a
    random nonce but a fixed length, and quoted-printable soft breaks fall where they fell)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    kept = [b for b in _header_blocks(head) if b.split(b":", 1)[0].lower() not in FRESH_HEADERS]
    message = b"\r\n".join(kept) + b"\r\n\r\n" + body
    boundary = re.search(rb'boundary="([^"]+)"', message)
    assert boundary is not None
    message = message.replace(boundary.group(1), b"BOUNDARY")
    token = re.search(rb"/unsubscribe/([A-Za-z0-9_-]+)>", message)
    assert token is not None
    spread = b"(?:=\r\n)?".join(re.escape(token.group(1)[i : i + 1]) for i in range(20))
    masked, found = re.subn(
        spread + rb"[A-Za-z0-9_-]*(?:=\r\n[A-Za-z0-9_-]+)*",
        lambda m: re.sub(rb"[A-Za-z0-9_-]", b"x", m.group(0)),
        message,
    )
    assert found >= 3  # the List-Unsubscribe header, the text footer, the HTML link
    return masked


def untokened(value: str) -> str:
    return re.sub(r"/unsubscribe/[A-Za-z0-9_-]+", "/unsubscribe/TOKEN", value)


async def test_preview_is_the_message_a_send_delivers(
    make_api: MakeApi, mail_server: MailServer, db: Database
) -> None:
    pem, _ = _dkim_key()
    settings = mail_settings(
        mail_server, dkim_private_key=pem, dkim_selector="s1", dkim_domain="sender.test"
    )
    async with make_api(**settings) as api:
        campaign, lead = await campaign_with_lead(api, keywords=["urban composting"])
        request: dict[str, Any] = {
            "subject": "An idea on {topic} for {website_title}",
            "body": "Hi {first_name},\n\nGrüße! I would write about {topic}: {offer}.",
            "variables": {"offer": "a {free} audit"},
        }
        before = await row_counts(db)
        response = await preview(api, campaign, lead, **request)
        assert response.status_code == 200, response.text
        assert await row_counts(db) == before  # no attempt, counter, decision, event, nothing
        assert mail_server.messages == []
        shown = response.json()
        sent = await send(api, campaign, lead, **request)
        assert sent.status_code == 200, sent.text

    [received] = mail_server.messages
    raw = shown["raw"].encode()
    assert b"DKIM-Signature" not in raw and received.message["DKIM-Signature"]
    assert normalise(raw) == normalise(received.data)

    assert (
        shown["subject"] == sent.json()["subject"] == "An idea on urban composting for garden.test"
    )
    assert shown["policy"] == {
        "allowed": True,
        "reason": None,
        "legal_basis": "legitimate_interest",
    }
    assert shown["mailbox_id"] == "mbx_default"
    assert untokened(shown["text"]) == untokened(received.text())
    assert shown["text"].startswith("Hi there,\n\nGrüße! I would write about urban composting")
    assert "a {free} audit" in shown["text"] and POSTAL in shown["text"]
    html = received.message.get_body(preferencelist=("html",))
    assert html is not None
    assert untokened(shown["html"]) == untokened(html.get_content().replace("\r\n", "\n"))
    headers = shown["headers"]
    assert headers["To"] == "editor@garden.test" and SENDER in headers["From"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http://testserver/")
    assert headers["Content-Type"].startswith("multipart/alternative")
    assert "DKIM-Signature" not in headers
    parsed = message_from_bytes(raw, policy=email_policy.default)
    assert {name: str(value) for name, value in parsed.items()} == headers


async def test_preview_with_a_template(
    mail_api: Api, mail_server: MailServer, db: Database
) -> None:
    template = await mail_api.post(
        "/emails/templates",
        json={"name": "Pitch", "subject": "Hello {domain}", "body": "Dear {name}, {offer}"},
    )
    assert template.status_code == 201, template.text
    campaign, lead = await campaign_with_lead(mail_api)
    payload = {
        "campaign_id": campaign["id"],
        "lead_id": lead["id"],
        "template_id": template.json()["id"],
        "variables": {"offer": "shall we?"},
    }
    before = await row_counts(db)
    response = await mail_api.post("/outreach/preview", json=payload)
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "Hello garden.test"
    assert response.json()["text"].startswith("Dear there, shall we?")
    missing = await mail_api.post("/outreach/preview", json={**payload, "variables": {}})
    assert missing.status_code == 422
    [error] = missing.json()["detail"]
    assert error["loc"] == ["body", "template_id"] and "{offer}" in error["msg"]
    assert await row_counts(db) == before and mail_server.messages == []


async def test_policy_verdict_is_what_a_send_would_get(
    mail_api: Api, mail_server: MailServer, db: Database
) -> None:
    campaign = await create_campaign(mail_api)
    german = await add_lead(mail_api, campaign["id"], "redaktion@garten.de")
    consented = await add_lead(
        mail_api, campaign["id"], "info@boden.de", url="https://boden.de/", consent=True
    )
    blocked = await add_lead(mail_api, campaign["id"], "ed@blocked.test")
    nobody = await add_lead(mail_api, campaign["id"], None)
    suppressed = await mail_api.post("/suppression", json={"email": "ed@blocked.test"})
    assert suppressed.status_code == 201
    before = await row_counts(db)

    async def verdict(lead: dict[str, Any], **extra: Any) -> dict[str, Any]:
        response = await preview(mail_api, campaign, lead, **extra)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["policy"]
        return result

    assert await verdict(german) == {
        "allowed": False,
        "reason": "consent_required",
        "legal_basis": "consent",
    }
    assert await verdict(consented) == {"allowed": True, "reason": None, "legal_basis": "consent"}
    assert (await verdict(blocked))["reason"] == "suppressed"
    assert (await verdict(nobody))["reason"] == "missing_recipient"
    assert await row_counts(db) == before

    # What a send would do, the send does.
    refused = await send(mail_api, campaign, german)
    assert refused.status_code == 403 and refused.json()["reason"] == "consent_required"
    assert (await send(mail_api, campaign, consented)).status_code == 200
    # Once sent, the same message again would be a duplicate: the preview says so.
    assert (await verdict(consented))["reason"] == "duplicate"
    assert len(mail_server.messages) == 1


async def test_preview_follows_the_send_rules(
    make_api: MakeApi, mail_api: Api, mail_server: MailServer, db: Database
) -> None:
    campaign, lead = await campaign_with_lead(mail_api)
    before = await row_counts(db)
    other = await preview(mail_api, campaign, lead, workspace_id="ws_other")
    assert other.status_code == 404 and other.json() == {"detail": "Resource not found"}
    stranger = await mail_api.post(
        "/outreach/preview",
        user="user_b",
        json={"campaign_id": campaign["id"], "lead_id": lead["id"], "subject": "x", "body": "y"},
    )
    assert stranger.status_code == 404
    assert (await preview(mail_api, campaign, {"id": "lead_missing"})).status_code == 404
    unknown = await preview(mail_api, campaign, lead, template_id="tpl_missing")
    assert unknown.status_code == 404
    bad = await preview(mail_api, campaign, lead, subject="Hi {nickname}")
    assert bad.status_code == 422
    [error] = bad.json()["detail"]
    assert error["loc"] == ["body", "subject"] and "{first_name}" in error["msg"]
    no_subject = await mail_api.post(
        "/outreach/preview", json={"campaign_id": campaign["id"], "lead_id": lead["id"]}
    )
    assert no_subject.status_code == 422
    assert no_subject.json()["detail"][0]["loc"] == ["body", "subject"]
    named = await preview(mail_api, campaign, lead, mailbox_id="mbx_default")
    assert named.status_code == 200 and named.json()["mailbox_id"] == "mbx_default"
    assert (await preview(mail_api, campaign, lead, mailbox_id="mbx_nope")).status_code == 404
    assert await row_counts(db) == before and mail_server.messages == []

    # No way to send configured: the 422 a send gives.
    async with make_api() as bare:
        campaign, lead = await campaign_with_lead(bare)
        response = await preview(bare, campaign, lead)
        assert response.status_code == 422
        assert response.json()["detail"][0]["type"] == "not_configured"


async def test_preview_goes_from_the_mailbox_a_send_would_pick(
    make_api: MakeApi, mail_server: MailServer, db: Database
) -> None:
    smtp = {"host": "127.0.0.1", "port": mail_server.port, "security": "none"}
    async with make_api(**mail_settings(mail_server, secrets_key=KEY)) as api:
        first = await create_mailbox(api, from_email="one@agency.test", daily_cap=2, smtp=smtp)
        second = await create_mailbox(
            api, from_email="two@agency.test", daily_cap=2, smtp=smtp, signature="Two, Agency"
        )
        campaign = await create_campaign(api, mailbox_ids=[first["id"], second["id"]])
        leads = [await add_lead(api, campaign["id"], f"ed@site{i}.test") for i in range(2)]
        assert (await send(api, campaign, leads[0])).json()["mailbox_id"] == first["id"]
        before = await row_counts(db)
        # `one` has sent today, `two` has more room: a send would go from `two`.
        shown = (await preview(api, campaign, leads[1])).json()
        assert shown["mailbox_id"] == second["id"]
        assert "two@agency.test" in shown["headers"]["From"]
        assert shown["headers"]["Reply-To"] == "replies@agency.test"
        assert "Two, Agency" in shown["text"] and "Two, Agency" in shown["html"]
        named = (await preview(api, campaign, leads[1], mailbox_id=first["id"])).json()
        assert named["mailbox_id"] == first["id"] and "one@agency.test" in named["headers"]["From"]
        assert await row_counts(db) == before
        sent = await send(api, campaign, leads[1])
        assert sent.json()["mailbox_id"] == shown["mailbox_id"]
    assert len(mail_server.messages) == 2
