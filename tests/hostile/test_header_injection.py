"""Header injection: CR, LF and every other line break `email` splits on, in subjects, template
subjects, contact names, website titles, and sender / recipient fields. A line break in a subject
never adds a header: it is refused (422, nothing stored, nothing sent); in a name or title it is
stored as text and refused only if it would land in a header. Checked on the bytes a real SMTP
server (aiosmtpd on loopback) received."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import Api, create_campaign
from tests.hostile.conftest import Record
from tests.hostile.support import diff, refused_unchanged, snapshot
from tests.outreach.conftest import SENDER, MakeApi, mail_settings
from tests.outreach.mailserver import MailServer
from tests.support.database import Database

# CR/LF, and the other characters str.splitlines (hence `email`) treats as line ends.
BREAKS = ["\r\n", "\n", "\r", "\u2028", "\x85", "\x0b", "\x0c", "\x1c"]
INJECTED = "Bcc: victim@evil.test"


@pytest.fixture
async def smtp_api(make_api: MakeApi) -> AsyncIterator[tuple[Api, MailServer]]:
    with MailServer() as server:
        async with make_api(**mail_settings(server)) as api:
            yield api, server


class Leads:
    """A fresh lead per send: the duplicate rule would block a second send to one address."""

    def __init__(self, api: Api, campaign_id: str) -> None:
        self.api, self.campaign_id, self.n = api, campaign_id, 0

    async def new(self, **fields: Any) -> dict[str, Any]:
        self.n += 1
        body = {
            "website_url": f"https://site{self.n}.test/",
            "contact_email": f"editor@site{self.n}.test",
            **fields,
        }
        response = await self.api.post(f"/campaigns/{self.campaign_id}/leads", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def send(self, lead: dict[str, Any], subject: str, body: str = "Hello") -> Any:
        payload = {
            "campaign_id": self.campaign_id,
            "lead_id": lead["id"],
            "subject": subject,
            "body": body,
        }
        return await self.api.post("/outreach/send", json=payload)


async def test_line_breaks_in_a_send_subject_never_add_a_header(
    db: Database, smtp_api: tuple[Api, MailServer], record: Record
) -> None:
    api, server = smtp_api
    leads = Leads(api, (await create_campaign(api))["id"])
    clean = await leads.send(await leads.new(), "A clean subject")
    assert clean.status_code == 200, clean.text
    header_names = sorted(server.messages[0].message.keys())
    for brk in BREAKS:
        lead = await leads.new()
        came_back = await refused_unchanged(db, leads.send(lead, f"Hello{brk}{INJECTED}"), 422)
        record("header", f"send subject 'Hello{brk!r}{INJECTED}'", came_back + "; no mail sent")
    # The same through a placeholder: a contact name and a website title with line breaks are
    # stored as text (not headers), and refused when a subject would carry them.
    for field, placeholder in (("contact_name", "{name}"), ("website_title", "{website_title}")):
        for brk in ("\r\n", "\u2028"):
            value = f"Bob{brk}{INJECTED}"
            lead = await leads.new(**{field: value})
            assert lead[field] == value
            came_back = await refused_unchanged(db, leads.send(lead, f"Hi {placeholder}"), 422)
            record(
                "header",
                f"lead {field} 'Bob{brk!r}{INJECTED}', then send subject '{placeholder}'",
                f"lead 201 stored verbatim; send {came_back}; no mail sent",
            )
            # In the body the same value is only text: sent, one recipient, no extra header.
            sent = await leads.send(lead, "Plain subject", f"Dear {placeholder},")
            assert sent.status_code == 200, sent.text
            received = server.messages[-1]
            assert received.rcpt_tos == [lead["contact_email"]]
            assert sorted(received.message.keys()) == header_names
            assert received.message["Bcc"] is None
            assert INJECTED in received.text()
    assert len(server.messages) == 1 + 4
    record(
        "header",
        "the same name / title in the body of a send",
        "200 sent; header names identical to a clean send; one RCPT; text in body only",
    )


async def test_smtp_smuggling_in_a_body_stays_one_message(
    db: Database, smtp_api: tuple[Api, MailServer], record: Record
) -> None:
    """A body that imitates the end of DATA and a second transaction is dot-stuffed by the
    client: the server receives one message for one recipient."""
    api, server = smtp_api
    leads = Leads(api, (await create_campaign(api))["id"])
    smuggle = "\r\n.\r\nMAIL FROM:<evil@evil.test>\r\nRCPT TO:<victim@evil.test>\r\nDATA\r\n"
    for eol in ("\r\n", "\n"):
        body = "Hi" + smuggle.replace("\r\n", eol) + "Subject: smuggled" + eol + eol + "x"
        lead = await leads.new()
        response = await leads.send(lead, "Hello", body)
        assert response.status_code == 200, response.text
        received = server.messages[-1]
        assert received.rcpt_tos == [lead["contact_email"]]
        assert received.message["Subject"] == "Hello"
        assert "victim@evil.test" in received.text()
    assert len(server.messages) == 2
    assert all(m.rcpt_tos != ["victim@evil.test"] for m in server.messages)
    record(
        "header",
        "send body with '<CRLF>.<CRLF>MAIL FROM/RCPT TO/DATA' (CRLF and bare LF)",
        "200 sent; server got 1 message per send, 1 recipient, smuggled lines stay body text",
    )


BODY_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("/emails/templates", "subject", {"name": "T", "body": "Hi"}),
    ("/emails/follow-up", "original_subject", {"original_body": "Hi"}),
    ("/emails/personalize", "subject", {"base_email": "Hi there"}),
    ("/emails/personalize", "lead_name", {"base_email": "Hi there"}),
    ("/emails/subject-suggestions", "topic", {}),
    ("/emails/generate", "topic", {}),
    ("/suppression", "email", {}),
    ("/policy/validate", "sender_email", {"recipient_email": "ed@garden.test"}),
]


@pytest.mark.parametrize(("path", "field", "rest"), BODY_CASES)
async def test_line_breaks_in_header_fields_are_422(
    db: Database, api: Api, record: Record, path: str, field: str, rest: dict[str, Any]
) -> None:
    for brk in ("\r\n", "\u2028"):
        body = {**rest, field: f"Hello{brk}{INJECTED}"}
        if field.endswith("email"):
            body[field] = f"me@sender.test{brk}{INJECTED}"
        came_back = await refused_unchanged(db, api.post(path, json=body), 422)
        record("header", f"POST {path} {field} with {brk!r} + '{INJECTED}'", came_back)


async def test_line_breaks_in_recipient_fields(db: Database, api: Api, record: Record) -> None:
    campaign = await create_campaign(api)
    for brk in ("\r\n", "\u2028"):
        address = f"ed@garden.test{brk}{INJECTED}"
        came_back = await refused_unchanged(
            db,
            api.post(
                f"/campaigns/{campaign['id']}/leads",
                json={"website_url": "https://garden.test/", "contact_email": address},
            ),
            422,
        )
        record("header", f"lead contact_email 'ed@garden.test{brk!r}{INJECTED}'", came_back)
        before = await snapshot(db)
        policy = await api.post(
            "/policy/validate", json={"recipient_email": address, "sender_email": SENDER}
        )
        assert (policy.status_code, policy.json()["reason"]) == (200, "invalid_recipient")
        assert diff(before, await snapshot(db)).empty
        record(
            "header",
            f"policy recipient_email 'ed@garden.test{brk!r}{INJECTED}'",
            "200 allowed=false invalid_recipient; DB unchanged",
        )
