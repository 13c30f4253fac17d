"""Compose: the exact message and the policy verdict of the preview service, and a send through
the API's own send path to a real SMTP server (aiosmtpd on loopback), failures in words."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from tests.conftest import Api, create_campaign
from tests.outreach.conftest import mail_settings
from tests.outreach.mailserver import MailServer
from tests.web.client import WebClient, error_texts

WebFactory = Callable[..., contextlib.AbstractAsyncContextManager[WebClient]]
ApiFactory = Callable[..., contextlib.AbstractAsyncContextManager[Api]]
SUBJECT = "Guest post for {website_title}"
BODY = "Hi {first_name},\n\nI would love to write for {website}."


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
async def mail_web(make_web: WebFactory, smtp: MailServer) -> AsyncIterator[WebClient]:
    async with make_web(**mail_settings(smtp)) as client:
        client.sign_in()
        yield client


async def _lead(api: Api, email: str = "gil@green.example", user: str = "user_a") -> dict[str, Any]:
    campaign = await create_campaign(api, user=user, keywords=["composting"])
    made = await api.post(
        f"/campaigns/{campaign['id']}/leads",
        user=user,
        json={
            "website_url": "https://green.example/",
            "website_title": "Green Thumb",
            "contact_email": email,
            "contact_name": "Gil Green",
        },
    )
    assert made.status_code == 201, made.text
    lead: dict[str, Any] = made.json()
    return lead


def _form(lead: dict[str, Any], **fields: str) -> dict[str, str]:
    return {
        "campaign_id": lead["campaign_id"],
        "lead_id": lead["id"],
        "subject": SUBJECT,
        "body": BODY,
        **fields,
    }


async def test_the_form_lists_the_campaigns_leads_and_templates(
    api: Api, mail_web: WebClient
) -> None:
    empty = await mail_web.get("/app/compose")
    assert "create a campaign" in empty.text
    lead = await _lead(api)
    template = await api.post(
        "/emails/templates", json={"name": "Pitch <b>A</b>", "subject": "Hi", "body": "Hello"}
    )
    assert template.status_code == 201
    page = await mail_web.get(f"/app/compose?campaign_id={lead['campaign_id']}")
    assert page.status_code == 200
    assert f'<option value="{lead["id"]}"' in page.text and "gil@green.example" in page.text
    assert "Pitch &lt;b&gt;A&lt;/b&gt;" in page.text
    # From a lead's page: that lead is chosen, also when a search hides it.
    chosen = await mail_web.get(
        f"/app/compose?campaign_id={lead['campaign_id']}&lead_id={lead['id']}&q=nomatch"
    )
    assert f'<option value="{lead["id"]}" selected' in chosen.text


async def test_the_preview_is_the_exact_message_and_the_verdict(
    api: Api, mail_web: WebClient, smtp: MailServer
) -> None:
    lead = await _lead(api)
    await mail_web.get("/app/compose")
    page = await mail_web.post("/app/compose/preview", _form(lead))
    assert page.status_code == 200
    assert "Policy allows this message" in page.text
    assert "Guest post for Green Thumb" in page.text
    assert "Hi Gil,\n\nI would love to write for https://green.example/." in page.text
    assert "List-Unsubscribe" in page.text
    # The page's script asks for the fragment alone.
    fragment = await mail_web.post("/app/compose/preview", _form(lead), headers={"X-Fragment": "1"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "Policy allows this message" in fragment.text
    assert smtp.recorder.messages == []  # a preview sends nothing

    # The same block the API's policy gives: a suppressed address.
    suppressed = await api.post("/suppression", json={"email": "gil@green.example"})
    assert suppressed.status_code == 201
    blocked = await mail_web.post("/app/compose/preview", _form(lead), headers={"X-Fragment": "1"})
    assert "Blocked by policy" in blocked.text
    assert (
        "the address is on the suppression list" in blocked.text and "(suppressed)" in blocked.text
    )


async def test_a_wrong_placeholder_is_said_next_to_the_subject(
    api: Api, mail_web: WebClient
) -> None:
    lead = await _lead(api)
    await mail_web.get("/app/compose")
    page = await mail_web.post("/app/compose/preview", _form(lead, subject="Hi {nickname}"))
    assert page.status_code == 422
    assert re.search(r'id="f-subject-error">[^<]*nickname', page.text)
    missing = await mail_web.post("/app/compose/send", _form(lead, subject="", body=""))
    assert missing.status_code == 422
    assert len(error_texts(missing.text)) == 2


async def test_send_goes_out_through_the_send_path(
    api: Api, mail_web: WebClient, smtp: MailServer
) -> None:
    lead = await _lead(api)
    await mail_web.get("/app/compose")
    sent = await mail_web.post("/app/compose/send", _form(lead))
    lead_url = f"/app/campaigns/{lead['campaign_id']}/leads/{lead['id']}"
    assert sent.status_code == 303 and sent.headers["location"] == lead_url + "?done=sent"
    [received] = smtp.recorder.messages
    assert received.rcpt_tos == ["gil@green.example"]
    assert received.message["Subject"] == "Guest post for Green Thumb"
    attempts = (await api.get(f"/campaigns/{lead['campaign_id']}/attempts")).json()
    assert [a["status"] for a in attempts] == ["sent"]
    page = await mail_web.get(sent.headers["location"])
    assert "Message (step 0): Guest post for Green Thumb" in page.text
    assert 'badge-contacted">contacted' in page.text
    # Sending it again is the policy's duplicate block, in words, and nothing goes out.
    again = await mail_web.post("/app/compose/send", _form(lead))
    assert again.status_code == 403
    assert "Not sent: this lead was already sent this subject recently." in again.text
    assert len(smtp.recorder.messages) == 1


async def test_a_refused_recipient_is_said_in_words(
    api: Api, mail_web: WebClient, smtp: MailServer
) -> None:
    lead = await _lead(api)
    smtp.recorder.refuse["gil@green.example"] = "550 5.1.1 User unknown"
    await mail_web.get("/app/compose")
    failed = await mail_web.post("/app/compose/send", _form(lead))
    assert failed.status_code == 502
    assert re.search(r"Not delivered: recipient refused 5\.1\.1[^<]*User unknown", failed.text)
    attempts = (await api.get(f"/campaigns/{lead['campaign_id']}/attempts")).json()
    assert [a["status"] for a in attempts] == ["failed"]


async def test_no_way_to_send_is_said_on_the_form(api: Api, make_web: WebFactory) -> None:
    lead = await _lead(api)
    async with make_web(smtp_host=None, mail_outbox_dir=None) as web:
        web.sign_in()
        await web.get("/app/compose")
        page = await web.post("/app/compose/send", _form(lead))
        assert page.status_code == 422
        assert "SMTP is not configured" in page.text


async def test_another_workspaces_lead_is_not_found(api: Api, mail_web: WebClient) -> None:
    theirs = await _lead(api, user="user_b")
    assert (
        await mail_web.get(f"/app/compose?campaign_id={theirs['campaign_id']}")
    ).status_code == 404
    await mail_web.get("/app/compose")
    assert (await mail_web.post("/app/compose/preview", _form(theirs))).status_code == 404
    assert (await mail_web.post("/app/compose/send", _form(theirs))).status_code == 404
    mine = await _lead(api)
    # Their lead under my campaign is no way in either.
    crossed = _form(mine, lead_id=theirs["id"])
    assert (await mail_web.post("/app/compose/send", crossed)).status_code == 404
    assert (await mail_web.post("/app/compose/send", _form(theirs), csrf=False)).status_code == 403


async def test_a_template_gives_the_blank_subject_and_body(api: Api, mail_web: WebClient) -> None:
    lead = await _lead(api)
    made = await api.post(
        "/emails/templates",
        json={
            "name": "Pitch",
            "subject": "Ideas for {website_title}",
            "body": "Hello {first_name}",
        },
    )
    assert made.status_code == 201
    await mail_web.get("/app/compose")
    form = _form(lead, subject="", body="", template_id=made.json()["id"])
    page = await mail_web.post("/app/compose/preview", form, headers={"X-Fragment": "1"})
    assert page.status_code == 200
    assert "Ideas for Green Thumb" in page.text and "Hello Gil" in page.text
