"""Attempts a crash left `sending`, settled from the mailbox's Sent folder on a real pymap
server: found by Message-ID is sent (the lead contacted), searched and not found is failed (its
cap slot free); a recent attempt, a mailbox without `sent_folder`, and a folder that cannot be
read leave the attempt for a person."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import insert, select

from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import utcnow
from backlink_outreach.duties import DUTIES
from backlink_outreach.mailboxes import sent_check
from backlink_outreach.models import OutreachAttempt
from tests.conftest import Api
from tests.mailboxes.support import KEY, create_mailbox
from tests.outreach.conftest import campaign_with_lead
from tests.support.database import Database
from tests.support.mailservers import pymap_server

USER = "alice@agency.test"
PASSWORD = "Sent-folder-pass-1"


@pytest.fixture(scope="module")
def imap_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    log_dir = tmp_path_factory.mktemp("pymap-sent")
    with pymap_server(log_dir, USER, PASSWORD, "--no-tls") as (port, _):
        yield port


def _file_in_sent(port: int, message_id: str) -> None:
    """What Gmail does with a message submitted over SMTP: a copy in the Sent folder."""
    msg = EmailMessage()
    msg["From"] = USER
    msg["To"] = "editor@garden.test"
    msg["Subject"] = "Guest post"
    msg["Message-ID"] = message_id
    msg.set_content("Hello")
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as client:
        client.login(USER, PASSWORD)
        if not client.folder_exists("Sent"):
            client.create_folder("Sent")
        client.append("Sent", msg.as_bytes())


def _attempt(
    n: int, mailbox_id: str, campaign: dict[str, Any], lead: dict[str, Any], age: timedelta
) -> dict[str, Any]:
    created = utcnow() - age
    return {
        "id": f"att_stuck{n}",
        "workspace_id": "user_a",
        "campaign_id": campaign["id"],
        "lead_id": lead["id"],
        "kind": "initial",
        "step": 0,
        "sender_email": USER,
        "recipient_email": lead["contact_email"],
        "recipient_domain": "garden.test",
        "subject": "Guest post",
        "subject_key": f"guest post {n}",
        "body": "Hello",
        "message_id": f"<stuck{n}.{created.timestamp()}@agency.test>",
        "status": "sending",
        "permanent_failure": False,
        "send_day": created.date(),
        "created_at": created,
        "mailbox_id": mailbox_id,
        "delivery": "smtp",
    }


async def _statuses(db: Database) -> dict[str, tuple[str, str | None]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(OutreachAttempt.id, OutreachAttempt.status, OutreachAttempt.error)
        )
        return {i: (s, e) for i, s, e in rows}


async def _mailbox(api: Api, port: int, sent_folder: str | None, name: str) -> str:
    imap = {"host": "127.0.0.1", "port": port, "security": "none", "username": USER}
    made = await create_mailbox(
        api,
        name=name,
        from_email=USER,
        imap={**imap, "password": PASSWORD},
        sent_folder=sent_folder,
    )
    mailbox_id: str = made["id"]
    return mailbox_id


async def test_stuck_attempts_are_settled_from_the_sent_folder(
    make_api: Callable[..., Any],
    db: Database,
    make_settings: Callable[..., Any],
    imap_port: int,
) -> None:
    settings = make_settings(secrets_key=KEY)
    old, recent = timedelta(minutes=20), timedelta(minutes=1)
    async with make_api(secrets_key=KEY) as api:
        gmail = await _mailbox(api, imap_port, "Sent", "gmail")
        plain = await _mailbox(api, imap_port, None, "plain")
        leads = [await campaign_with_lead(api, email=f"ed{n}@garden.test") for n in range(4)]
        rows = [
            _attempt(0, gmail, *leads[0], old),  # in Sent: it went out
            _attempt(1, gmail, *leads[1], old),  # not in Sent: it did not
            _attempt(2, gmail, *leads[2], recent),  # maybe still in progress
            _attempt(3, plain, *leads[3], old),  # its provider files nothing: for a person
        ]
        async with db.engine.begin() as conn:
            await conn.execute(insert(OutreachAttempt), rows)
        _file_in_sent(imap_port, rows[0]["message_id"])
        settled = await sent_check.settle_stuck(AppDatabase(db.engine), settings)
        assert {(s.attempt_id, s.verdict) for s in settled} == {
            ("att_stuck0", "sent"),
            ("att_stuck1", "failed"),
        }
        statuses = await _statuses(db)
        assert statuses["att_stuck0"] == ("sent", None)
        assert statuses["att_stuck1"][0] == "failed"
        assert statuses["att_stuck2"] == ("sending", None)
        assert statuses["att_stuck3"] == ("sending", None)
        campaign, lead = leads[0]
        shown = (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]
        assert [x["status"] for x in shown if x["id"] == lead["id"]] == ["contacted"]
        other_campaign, other = leads[1]
        shown = (await api.get(f"/campaigns/{other_campaign['id']}")).json()["leads"]
        assert [x["status"] for x in shown if x["id"] == other["id"]] == ["discovered"]
    # A second pass finds nothing more to settle.
    assert await sent_check.settle_stuck(AppDatabase(db.engine), settings) == []


async def test_an_unreadable_sent_folder_leaves_the_attempt_for_a_person(
    make_api: Callable[..., Any],
    db: Database,
    make_settings: Callable[..., Any],
    imap_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(secrets_key=KEY)
    async with make_api(secrets_key=KEY) as api:
        missing = await _mailbox(api, imap_port, "No Such Folder", "missing")
        campaign, lead = await campaign_with_lead(api)
        async with db.engine.begin() as conn:
            row = _attempt(7, missing, campaign, lead, timedelta(hours=1))
            await conn.execute(insert(OutreachAttempt), [row])
    (result,) = await sent_check.settle_stuck(AppDatabase(db.engine), settings)
    assert result.verdict == "unknown" and result.reason == "folder not found"
    assert (await _statuses(db))["att_stuck7"] == ("sending", None)
    assert PASSWORD not in caplog.text


def test_the_worker_runs_it() -> None:
    assert ("stuck_sends", sent_check.settle_due) in DUTIES
