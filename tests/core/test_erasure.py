"""POST /privacy/erase (API.md part 2, "Everyday operations"): after erasing an address, no
text or JSON column of any table holds it (in any case) in the caller's workspace, it stays
suppressed by its hash, and a send to it is refused."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import pytest
from sqlalchemy import JSON, String, select

from backlink_outreach.config import API_PREFIX
from backlink_outreach.db import Base, make_sessionmaker, utcnow
from backlink_outreach.ids import new_id
from backlink_outreach.models import DiscoveryJob, OutreachAttempt, WebhookAttempt
from tests.conftest import Api, create_campaign
from tests.integrations.conftest import hook_settings
from tests.outreach.conftest import SENDER, add_lead, mail_settings, send
from tests.outreach.mailserver import MailServer
from tests.replies.support import append, clear, imap_settings, pymap_server
from tests.support.database import Database

MakeApi = Callable[..., contextlib.AbstractAsyncContextManager[Api]]
EDITOR = "editor@garden.test"
HASHED = "sha256:" + hashlib.sha256(EDITOR.encode()).hexdigest()


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture(scope="module")
def imap_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with pymap_server(tmp_path_factory.mktemp("pymap")) as port:
        yield port


def _reply(message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ed Itor <Editor@Garden.Test>"
    msg["To"] = SENDER
    msg["Subject"] = "Re: A guest post for you"
    msg["Message-ID"] = make_msgid(domain="garden.test")
    msg["Date"] = format_datetime(utcnow())
    msg["In-Reply-To"] = message_id
    msg["References"] = message_id
    msg.set_content(
        "Yes, interested! Write to me at EDITOR@garden.test.\n\n"
        "On Monday, Sam wrote to editor@garden.test:\n> Hi there"
    )
    return msg.as_bytes()


async def _traces(db: Database, needle: str, *, except_workspace: str) -> list[str]:
    """Every (table.column) whose value holds `needle` (case-blind), outside one workspace."""
    found = []
    async with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
            for row in (await conn.execute(select(table))).mappings():
                if row.get("workspace_id") == except_workspace:
                    continue
                found += [
                    f"{table.name}.{c.name}" for c in columns if needle in str(row[c.name]).lower()
                ]
    return found


async def test_erasure_leaves_the_address_nowhere_and_suppressed(
    make_api: MakeApi, mail_server: MailServer, imap_port: int, db: Database
) -> None:
    clear(imap_port)
    settings = {**imap_settings(imap_port), **mail_settings(mail_server), **hook_settings()}
    async with make_api(**settings) as api:
        hook = await api.post(
            "/webhooks",
            json={"url": "http://127.0.0.1:9/in", "events": ["send.sent", "lead.status_changed"]},
        )
        assert hook.status_code == 201, hook.text
        campaign = await create_campaign(api, description="Pitches; editor@garden.test replies")
        lead = await add_lead(
            api,
            campaign["id"],
            EDITOR,
            contact_name="Ed Itor",
            notes="Reach EDITOR@Garden.test after 5pm",
        )
        sent = await send(
            api,
            campaign,
            lead,
            subject="A guest post for you",
            body="Hi {first_name},\n\nI am writing to Editor@garden.test about a post.",
        )
        assert sent.status_code == 200, sent.text
        assert (await api.post("/suppression", json={"email": EDITOR})).status_code == 201
        append(imap_port, [_reply(sent.json()["message_id"])])
        polled = await api.post("/replies/poll", json={})
        assert polled.json() == {"replies_found": 1, "failed": 0}, polled.text
        async with make_sessionmaker(db.engine).begin() as session:
            session.add(  # a delivery log line quoting the address, as a receiver's error might
                WebhookAttempt(
                    id=new_id("wha"),
                    endpoint_id=hook.json()["id"],
                    event_id="evt_x",
                    type="send.sent",
                    attempt=1,
                    error=f"HTTP 400: unknown recipient {EDITOR.upper()}",
                    at=utcnow(),
                )
            )
        # The same address in another workspace is that workspace's: left alone.
        theirs = await create_campaign(api, user="user_b")
        response = await api.post(
            f"/campaigns/{theirs['id']}/leads",
            user="user_b",
            json={"website_url": "https://garden.test/", "contact_email": EDITOR},
        )
        assert response.status_code == 201
        before = await _traces(db, EDITOR, except_workspace="user_b")
        for place in (
            "leads.contact_email",
            "leads.notes",
            "outreach_attempts.recipient_email",
            "outreach_attempts.body",
            "replies.from_email",
            "replies.headers",
            "replies.snippet",
            "policy_decisions.recipient_email",
            "suppressions.email",
            "events.payload",
            "webhook_attempts.error",
            "campaigns.description",
        ):
            assert place in before, (place, before)  # so the test below can fail

        erased = await api.post("/privacy/erase", json={"email": " Editor@Garden.TEST "})
        assert erased.status_code == 200, erased.text
        assert erased.json() == {"leads": 1, "attempts": 1, "replies": 1}

        assert await _traces(db, EDITOR, except_workspace="user_b") == []
        # The one-click link of the mail sent before: still answered, still erased.
        header = mail_server.messages[-1].message["List-Unsubscribe"]
        link = header.split(",")[0].strip()[1:-1].removeprefix("http://testserver" + API_PREFIX)
        unsubscribed = await api.post(link, auth=False, content=b"List-Unsubscribe=One-Click")
        assert unsubscribed.status_code == 200
        assert await _traces(db, EDITOR, except_workspace="user_b") == []
        entries = (await api.get("/suppression")).json()
        assert [(e["email"], e["source"]) for e in entries] == [(HASHED, "manual")]
        shown = (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"][0]
        assert (shown["contact_email"], shown["contact_name"]) == (None, None)
        assert shown["notes"] == (f"Reach {HASHED} after 5pm")
        attempt = (await api.get(f"/campaigns/{campaign['id']}/attempts")).json()[0]
        assert attempt["recipient_email"] == HASHED
        theirs_now = (await api.get(f"/campaigns/{theirs['id']}", user="user_b")).json()
        assert theirs_now["leads"][0]["contact_email"] == EDITOR

        # Never mailed again: the hashed entry is matched as the plain one would be.
        again = await api.patch(
            f"/campaigns/{campaign['id']}/leads/{lead['id']}", json={"contact_email": EDITOR}
        )
        assert again.status_code == 200
        refused = await send(api, campaign, lead, subject="Another idea")
        assert refused.status_code == 403, refused.text
        assert refused.json()["reason"] == "suppressed"
    assert len(mail_server.messages) == 1


async def test_erasing_an_address_with_no_traces(api: Api, db: Database) -> None:
    response = await api.post("/privacy/erase", json={"email": "Nobody@Nowhere.test"})
    assert response.status_code == 200, response.text
    assert response.json() == {"leads": 0, "attempts": 0, "replies": 0}
    hashed = "sha256:" + hashlib.sha256(b"nobody@nowhere.test").hexdigest()
    entries = (await api.get("/suppression")).json()
    assert [e["email"] for e in entries] == [hashed]
    assert (await api.get("/suppression", user="user_b")).json() == []
    check = await api.post(
        "/policy/validate",
        json={"recipient_email": "NOBODY@nowhere.test", "sender_email": "me@agency.test"},
    )
    assert (check.json()["allowed"], check.json()["reason"]) == (False, "suppressed")
    # Erasing twice is harmless.
    twice = await api.post("/privacy/erase", json={"email": "nobody@nowhere.test"})
    assert twice.json() == {"leads": 0, "attempts": 0, "replies": 0}
    assert len((await api.get("/suppression")).json()) == 1


async def test_only_that_address_is_erased(api: Api, db: Database) -> None:
    """Addresses that merely contain it (`joann@`, `.example` after it) are other people's."""
    campaign = await create_campaign(api)
    neighbours = {
        "https://one.test/": ("joann@x.test", "ann@x.test.example and ann@x.testing"),
        "https://two.test/": ("ann.b@x.test", "mail ann@x.test, or ANN@X.TEST."),
    }
    for url, (email, notes) in neighbours.items():
        await add_lead(api, campaign["id"], email, url=url, notes=notes)
    async with make_sessionmaker(db.engine).begin() as session:
        session.add(  # an attempt to a neighbour (made directly: sending is not the point)
            OutreachAttempt(
                id=new_id("att"),
                workspace_id="user_a",
                campaign_id=campaign["id"],
                lead_id="lead_none",
                sender_email="me@agency.test",
                recipient_email="joann@x.test",
                recipient_domain="x.test",
                subject="Hi",
                subject_key="hi",
                body="Dear joann@x.test",
                message_id=make_msgid(domain="agency.test"),
                status="sent",
                send_day=utcnow().date(),
                created_at=utcnow(),
            )
        )
    result = await api.post("/privacy/erase", json={"email": "ann@x.test"})
    assert result.json() == {"leads": 1, "attempts": 0, "replies": 0}
    hashed = "sha256:" + hashlib.sha256(b"ann@x.test").hexdigest()
    leads = (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]
    assert [(x["contact_email"], x["notes"]) for x in leads] == [
        ("joann@x.test", "ann@x.test.example and ann@x.testing"),
        ("ann.b@x.test", f"mail {hashed}, or {hashed}."),
    ]
    async with db.engine.connect() as conn:
        kept = await conn.scalar(select(OutreachAttempt.body))
    assert kept == "Dear joann@x.test"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not an address"},
        {"email": "*@garden.test"},
        {"email": "garden.test"},
        {"email": ""},
        {"email": None},
        {},
        {"email": EDITOR, "also": "this"},
        {"email": "a\x00@garden.test"},
    ],
)
async def test_bad_requests_are_422_and_write_nothing(api: Api, body: dict[str, Any]) -> None:
    response = await api.post("/privacy/erase", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "body"
    assert (await api.get("/suppression")).json() == []


async def test_erasure_needs_auth(api: Api) -> None:
    response = await api.post("/privacy/erase", json={"email": EDITOR}, auth=False)
    assert response.status_code == 401


async def test_discovery_job_results_forget_the_address(api: Api, db: Database) -> None:
    """A discovery job's saved results quote the contact addresses it crawled."""
    sessions = make_sessionmaker(db.engine)
    result = {"domain": "garden.test", "contact_email": EDITOR, "website_title": "Garden"}
    async with sessions() as session, session.begin():
        session.add(
            DiscoveryJob(
                id=new_id("djob"),
                workspace_id="user_a",
                user_id="user_a",
                keyword="compost",
                max_results=10,
                progress={},
                results=[result],
            )
        )
    response = await api.post("/privacy/erase", json={"email": EDITOR.upper()})
    assert response.status_code == 200, response.text
    async with sessions() as session:
        stored = (await session.scalars(select(DiscoveryJob))).one()
    assert stored.results == [{**result, "contact_email": HASHED}]
