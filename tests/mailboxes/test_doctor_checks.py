"""`doctor` tries every mailbox (issue 13, item 5) against real servers on loopback (aiosmtpd
with AUTH, pymap): it logs in to SMTP and IMAP, wants a DKIM key and a From domain that is no
placeholder, and a PUBLIC_BASE_URL that is not local while mail goes to a real server. Each
failure is a line in words (never a password) and fails the check; the CLI exits 1. It also
settles a stuck attempt from its mailbox's Sent folder before listing what is stuck."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from imapclient import IMAPClient
from sqlalchemy import insert

from backlink_outreach.db import utcnow
from backlink_outreach.doctor import examine
from backlink_outreach.mailboxes.checks import local_url, placeholder_domain
from backlink_outreach.models import OutreachAttempt
from tests.mailboxes.support import KEY, create_mailbox
from tests.outreach.conftest import campaign_with_lead
from tests.support.database import Database
from tests.support.mailservers import SMTP_PASSWORD, SMTP_USER, pymap_server, smtp_server

IMAP_USER = "alice@agency-mail.net"
IMAP_PASSWORD = "Doctor-imap-pass-9"
PUBLIC = "https://outreach.agency-mail.net"
_KEY_PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    .decode()
)


@pytest.mark.parametrize(
    ("domain", "placeholder"),
    [
        ("alice@example.com", True),
        ("news.example.org", True),
        ("example.net", True),
        ("shop.example", True),
        ("agency.test", True),
        ("mail.invalid", True),
        ("localhost", True),
        ("outreach@localhost.localdomain", True),
        ("box.localhost", True),
        ("alice@agency-mail.net", False),
        ("example.co.uk", False),
        ("myexample.com", False),
        ("testing.io", False),
    ],
)
def test_placeholder_domains_are_those_of_rfc_2606_and_6761(domain: str, placeholder: bool) -> None:
    assert placeholder_domain(domain) is placeholder


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("http://0.0.0.0", True),
        ("http://10.1.2.3", True),
        ("http://192.168.0.9:80", True),
        ("http://testserver", True),
        ("https://outreach.agency-mail.net", False),
        ("https://93.184.215.14", False),
    ],
)
def test_local_base_urls(url: str, local: bool) -> None:
    assert (local_url(url) is not None) is local


@pytest.fixture(scope="module")
def imap_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    log_dir = tmp_path_factory.mktemp("pymap-doctor")
    with pymap_server(log_dir, IMAP_USER, IMAP_PASSWORD, "--no-tls") as (port, _):
        yield port


@pytest.fixture(scope="module")
def smtp_port() -> Iterator[int]:
    with smtp_server(auth=True) as (_, port):
        yield port


def _box(
    smtp_port: int,
    imap_port: int,
    *,
    name: str,
    from_email: str = IMAP_USER,
    smtp_password: str = SMTP_PASSWORD,
    imap_password: str = IMAP_PASSWORD,
    dkim: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "from_email": from_email,
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "none",
            "username": SMTP_USER,
            "password": smtp_password,
        },
        "imap": {
            "host": "127.0.0.1",
            "port": imap_port,
            "security": "none",
            "username": IMAP_USER,
            "password": imap_password,
        },
        **extra,
    }
    if dkim:
        domain = from_email.rpartition("@")[2]
        body["dkim"] = {"domain": domain, "selector": "s1", "private_key": _KEY_PEM}
    return body


async def test_good_mailboxes_pass_and_each_failure_is_said_in_words(
    make_api: Callable[..., Any],
    db: Database,
    make_settings: Callable[..., Any],
    smtp_port: int,
    imap_port: int,
) -> None:
    async with make_api(secrets_key=KEY) as api:
        good = await create_mailbox(api, **_box(smtp_port, imap_port, name="good"))
        settings = make_settings(secrets_key=KEY, public_base_url=PUBLIC)
        report = await examine(db.engine, settings, live=True)
        assert report.failed_checks == [], report.failed_checks
        # The same mailbox, tried without `live` (what the tests of the stored state use).
        assert (await examine(db.engine, settings)).failed_checks == []

        wrong_password = "Wrong-pass-never-shown-42"
        bad = await create_mailbox(
            api,
            **_box(
                smtp_port,
                imap_port,
                name="bad",
                from_email="alice@example.com",
                smtp_password=wrong_password,
                imap_password=wrong_password + "x",
                dkim=False,
            ),
        )
    report = await examine(db.engine, settings, live=True)
    assert not report.healthy
    lines = report.failed_checks
    assert not any(good["id"] in line for line in lines), lines
    mine = [line for line in lines if bad["id"] in line]
    assert len(mine) == 4 == len(lines), lines
    text = "\n".join(mine)
    assert "(bad, workspace user_a)" in text
    assert "SMTP login failed: login refused" in text
    assert "IMAP login failed: login refused" in text
    assert "no DKIM key configured" in text
    assert "alice@example.com: example.com is a placeholder domain (RFC 2606/6761)" in text
    assert wrong_password not in text and SMTP_PASSWORD not in text

    # A loopback base URL while mail goes to a real server is one more failure.
    local = await examine(db.engine, make_settings(secrets_key=KEY), live=True)
    (url,) = [line for line in local.failed_checks if line.startswith("PUBLIC_BASE_URL")]
    assert "http://testserver" in url and "unsubscribe links" in url


async def test_the_default_mailbox_is_tried_only_when_it_sends_to_a_server(
    db: Database, make_settings: Callable[..., Any], smtp_port: int, tmp_path: Path
) -> None:
    # Written to files, mail reaches nobody: no login, DKIM, From or base URL to check.
    outbox = make_settings(mail_outbox_dir=tmp_path / "outbox", public_base_url="http://127.0.0.1")
    assert (await examine(db.engine, outbox, live=True)).failed_checks == []

    real = make_settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_username=SMTP_USER,
        smtp_password="not-the-password",
        smtp_timeout_seconds=5.0,
    )
    lines = (await examine(db.engine, real, live=True)).failed_checks
    default = [line for line in lines if line.startswith("mailbox mbx_default")]
    assert any(line.endswith("SMTP login failed: login refused") for line in default), lines
    assert any("no DKIM key configured" in line for line in default), lines
    # The settings' own From, outreach@localhost.localdomain, is a placeholder.
    assert any("localhost.localdomain is a placeholder domain" in line for line in default)
    assert any(line.startswith("PUBLIC_BASE_URL") for line in lines), lines

    fixed = make_settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_username=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
        smtp_timeout_seconds=5.0,
        smtp_from_email="outreach@agency-mail.net",
        dkim_private_key=_KEY_PEM,
        dkim_selector="s1",
        dkim_domain="agency-mail.net",
        public_base_url=PUBLIC,
    )
    assert (await examine(db.engine, fixed, live=True)).failed_checks == []


def _file_in_sent(port: int, message_id: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = IMAP_USER, "editor@garden.test", "Guest post"
    msg["Message-ID"] = message_id
    msg.set_content("Hello")
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as client:
        client.login(IMAP_USER, IMAP_PASSWORD)
        if not client.folder_exists("Sent"):
            client.create_folder("Sent")
        client.append("Sent", msg.as_bytes())


async def test_doctor_settles_from_the_sent_folder_then_lists_the_rest(
    make_api: Callable[..., Any],
    db: Database,
    make_settings: Callable[..., Any],
    smtp_port: int,
    imap_port: int,
    tmp_path: Path,
) -> None:
    async with make_api(secrets_key=KEY) as api:
        gmail = await create_mailbox(
            api, **_box(smtp_port, imap_port, name="gmail", sent_folder="Sent")
        )
        campaign, lead = await campaign_with_lead(api)
    created = utcnow() - timedelta(minutes=2)
    message_id = f"<doctor.{created.timestamp()}@agency-mail.net>"
    row = {
        "id": "att_doctorstuck",
        "workspace_id": "user_a",
        "campaign_id": campaign["id"],
        "lead_id": lead["id"],
        "kind": "initial",
        "step": 0,
        "sender_email": IMAP_USER,
        "recipient_email": lead["contact_email"],
        "recipient_domain": lead["contact_email"].rpartition("@")[2],
        "subject": "Guest post",
        "subject_key": "guest post doctor",
        "body": "Hello",
        "message_id": message_id,
        "status": "sending",
        "permanent_failure": False,
        "send_day": created.date(),
        "created_at": created,
        "mailbox_id": gmail["id"],
        "delivery": "smtp",
    }
    async with db.engine.begin() as conn:
        await conn.execute(insert(OutreachAttempt), [row])
    _file_in_sent(imap_port, message_id)
    settings = make_settings(secrets_key=KEY, public_base_url=PUBLIC)

    # Two minutes stuck: not yet by the default five minutes, so listed, not settled.
    waiting = await examine(db.engine, settings, live=True)
    assert waiting.settled == [] and [s.id for s in waiting.stuck_sending] == []
    # The CLI, as an operator runs it with --stuck-after-seconds 60: settled as sent.
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "DATA_DIR": str(tmp_path / "data"),
        "SECRETS_KEY": KEY,
        "PUBLIC_BASE_URL": PUBLIC,
        "AUTH_MODE": "dev",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "backlink_outreach", "doctor", "--stuck-after-seconds", "60"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "settled from the mailbox's Sent folder: att_doctorstuck sent" in done.stdout, (
        done.stdout + done.stderr
    )
    assert "attempts stuck in 'sending': 0" in done.stdout
    # No SMTP_HOST nor MAIL_OUTBOX_DIR for mbx_default: that is a warning, not a failed check;
    # the one mailbox passes every check, so the exit code is 0.
    assert "check failed" not in done.stdout, done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
    after = await examine(db.engine, settings, stuck_after=timedelta(0), live=True)
    assert after.stuck_sending == [] and after.settled == []


async def test_the_cli_prints_each_failure_and_exits_1(
    db: Database, make_settings: Callable[..., Any], tmp_path: Path
) -> None:
    settings = make_settings()
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "DATA_DIR": str(tmp_path / "data"),
        "AUTH_MODE": "dev",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": "1",  # nothing listens there
        "SMTP_TIMEOUT_SECONDS": "3",
        "PUBLIC_BASE_URL": "http://localhost:8000",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "backlink_outreach", "doctor"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if line.startswith("check failed: ")]
    assert any(line.endswith("SMTP login failed: connection refused") for line in failed), failed
    assert any("placeholder domain" in line for line in failed), failed
    assert any("PUBLIC_BASE_URL is http://localhost:8000" in line for line in failed), failed
