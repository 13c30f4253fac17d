"""Helpers for reply tests: campaigns, leads and sent attempts made through the models (the
sending flow is another domain), a real pymap IMAP server, and APPEND to fill it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from imapclient import IMAPClient
from sqlalchemy.ext.asyncio import AsyncSession

from backlink_outreach.db import utcnow
from backlink_outreach.ids import new_id
from backlink_outreach.models import Campaign, FollowUp, Lead, OutreachAttempt
from tests.support.servers import free_port, wait_for_port

SENDER = "outreach@sender.test"
IMAP_USER = "inbox@sender.test"
IMAP_PASSWORD = "secret-pass"


@dataclass
class Sent:
    campaign: Campaign
    lead: Lead
    attempt: OutreachAttempt


async def make_sent(
    session: AsyncSession,
    *,
    workspace: str = "user_a",
    recipient: str = "editor@blog-one.test",
    subject: str = "Guest post idea for Blog One",
    sent_at: datetime | None = None,
    follow_ups: int = 2,
    campaign: Campaign | None = None,
) -> Sent:
    """A campaign (or the given one), a contacted lead and its sent initial attempt, with
    scheduled follow-ups, as the sending flow leaves them."""
    now = sent_at or utcnow() - timedelta(days=1)
    if campaign is None:
        campaign = Campaign(id=new_id("cmp"), workspace_id=workspace, name="Replies test")
        session.add(campaign)
    domain = recipient.split("@")[1]
    lead = Lead(
        id=new_id("lead"),
        campaign_id=campaign.id,
        workspace_id=campaign.workspace_id,
        website_url=f"https://{domain}/",
        domain=domain,
        contact_email=recipient,
        status="contacted",
    )
    attempt = OutreachAttempt(
        id=new_id("att"),
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        lead_id=lead.id,
        sender_email=SENDER,
        recipient_email=recipient,
        recipient_domain=domain,
        subject=subject,
        subject_key=subject.lower(),
        body="Hello, would you accept a guest post?",
        message_id=make_msgid(domain="sender.test"),
        status="sent",
        send_day=now.date(),
        created_at=now,
        sent_at=now,
    )
    session.add_all([lead, attempt])
    await session.flush()
    for step in range(1, follow_ups + 1):
        session.add(
            FollowUp(
                id=new_id("fu"),
                workspace_id=campaign.workspace_id,
                campaign_id=campaign.id,
                lead_id=lead.id,
                attempt_id=attempt.id,
                step=step,
                scheduled_for=now + timedelta(days=4 * step),
                subject="Re: " + subject,
                body="Just following up.",
            )
        )
    await session.flush()
    return Sent(campaign, lead, attempt)


def reply_to(
    sent: Sent,
    body: str,
    *,
    sender: str | None = None,
    subject: str | None = None,
    headers: dict[str, str] | None = None,
    threaded: bool = True,
    when: datetime | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender or sent.attempt.recipient_email
    msg["To"] = SENDER
    msg["Subject"] = subject if subject is not None else "Re: " + sent.attempt.subject
    msg["Message-ID"] = make_msgid(domain="their.test")
    msg["Date"] = format_datetime(when or utcnow())
    if threaded:
        msg["In-Reply-To"] = sent.attempt.message_id
        msg["References"] = sent.attempt.message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


@contextmanager
def pymap_server(log_dir: Path) -> Iterator[int]:
    """A real pymap IMAP server (in-memory backend) on loopback; yields its port."""
    port = free_port()
    pymap = Path(sys.executable).parent / "pymap"
    log = (log_dir / "pymap.log").open("wb")
    proc = subprocess.Popen(
        [
            str(pymap),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-service",
            "admin",
            "dict",
            "--demo-user",
            IMAP_USER,
            "--demo-password",
            IMAP_PASSWORD,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, proc, "pymap")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def append(port: int, messages: list[bytes], folder: str = "INBOX") -> None:
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as client:
        client.login(IMAP_USER, IMAP_PASSWORD)
        for raw in messages:
            client.append(folder, raw)


def clear(port: int, folder: str = "INBOX") -> None:
    """Empty the folder between tests (the poller itself never deletes anything)."""
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as client:
        client.login(IMAP_USER, IMAP_PASSWORD)
        client.select_folder(folder)
        uids = client.search(["ALL"])
        if uids:
            client.delete_messages(uids)
            client.expunge()


def flags(port: int, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as client:
        client.login(IMAP_USER, IMAP_PASSWORD)
        client.select_folder(folder, readonly=True)
        return {uid: tuple(v) for uid, v in client.get_flags(client.search(["ALL"])).items()}


def imap_settings(port: int) -> dict[str, object]:
    return {
        "imap_host": "127.0.0.1",
        "imap_port": port,
        "imap_username": IMAP_USER,
        "imap_password": IMAP_PASSWORD,
        "imap_security": "none",
        "smtp_from_email": SENDER,
    }


def in_days(days: int) -> date:
    return (utcnow() + timedelta(days=days)).date()
