"""What the crash tests share: the environment of the real processes, the CLI commands they run
(`worker`, `worker --once`, `doctor`), a small API client, and the ledger check that compares
what the database says with what the SMTP server received."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backlink_outreach.config import API_PREFIX
from tests.crash.mailcounter import Mail

# The deployment as it would run for real, so that `doctor` passes its mailbox checks: a From
# domain that is no placeholder, a DKIM key, a public base URL (nothing here looks any of them
# up: the recipients are `.test` sites and the SMTP server is on loopback).
SENDER = "outreach@mail.agency-outreach.net"
PUBLIC_BASE_URL = "https://outreach.agency-outreach.net"
_DKIM_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
DKIM_PEM = _DKIM_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
CLI = [sys.executable, "-m", "backlink_outreach"]


def process_env(
    database_url: str, public_key_pem: str, smtp_port: int, folder: Path
) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(folder / "data"),
        "AUTH_MODE": "clerk",
        "CLERK_JWT_KEY": public_key_pem,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_FROM_EMAIL": SENDER,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "DKIM_PRIVATE_KEY": DKIM_PEM,
        "DKIM_SELECTOR": "crash",
        "DKIM_DOMAIN": SENDER.rpartition("@")[2],
        "SENDER_POSTAL_ADDRESS": "Sender Ltd, 1 Example Street, 10115 Berlin",
        "UNSUBSCRIBE_SECRET": "shared-by-every-process",
        # Caps raised: every send of the burst is allowed, so every outcome is the crash's doing.
        "POLICY_SENDER_DAILY_CAP": "10000",
        "POLICY_DOMAIN_DAILY_CAP": "10000",
        "POLICY_WORKSPACE_DAILY_CAP": "10000",
        "LOG_LEVEL": "WARNING",
    }


class Client:
    """The API of one server process, as one user."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str) -> None:
        self.http = http
        self.base = base_url + API_PREFIX
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, path: str) -> Any:
        response = await self.http.get(self.base + path, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await self.http.post(self.base + path, json=body, headers=self.headers)

    async def campaign_with_leads(self, count: int, **fields: Any) -> tuple[str, list[str]]:
        created = await self.post("/campaigns", {"name": "Crash", **fields})
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]
        entries = [
            {"website_url": f"https://site{i}.test", "contact_email": f"editor@site{i}.test"}
            for i in range(count)
        ]
        added = await self.post(f"/campaigns/{campaign_id}/leads/bulk", entries)
        assert added.status_code in (200, 201) and added.json()["added"] == count, added.text
        detail = await self.get(f"/campaigns/{campaign_id}")
        return campaign_id, [lead["id"] for lead in detail["leads"]]

    async def send(self, campaign_id: str, lead_id: str) -> httpx.Response:
        body = {
            "campaign_id": campaign_id,
            "lead_id": lead_id,
            "subject": "Guest post",
            "body": "Hi",
        }
        return await self.post("/outreach/send", body)


# --- the CLI, as an operator runs it -------------------------------------------------------


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """`backlink-outreach worker` (the loop, not --once) in a child process."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [*CLI, "worker"], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )


async def run_cli(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [*CLI, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class DoctorReport:
    exit_code: int
    stuck_ids: set[str] = field(default_factory=set)
    stuck_count: int = -1
    overdue_follow_ups: int = 0
    failed_checks: list[str] = field(default_factory=list)


async def doctor(env: dict[str, str]) -> DoctorReport:
    """`backlink-outreach doctor --stuck-after-seconds 0`: every `sending` attempt, at once."""
    done = await run_cli(env, "doctor", "--stuck-after-seconds", "0")
    report = DoctorReport(done.returncode)
    for line in done.stdout.splitlines():
        if match := re.match(r"attempts stuck in 'sending': (\d+)$", line):
            report.stuck_count = int(match.group(1))
        elif match := re.match(r"\s+(att_\S+) campaign=", line):
            report.stuck_ids.add(match.group(1))
        elif match := re.match(r"warning: (\d+) follow-ups are overdue", line):
            report.overdue_follow_ups = int(match.group(1))
        elif line.startswith("check failed: "):
            report.failed_checks.append(line.removeprefix("check failed: "))
    assert report.stuck_count >= 0, done.stdout + done.stderr
    # The mailbox (the deployment's, on the test's SMTP server) passes every check, so the
    # exit code is the stuck attempts' doing.
    assert report.failed_checks == [], done.stdout
    return report


# --- the ledger against the mail server ----------------------------------------------------


@dataclass
class Ledger:
    sent: int
    sending: int
    failed: int
    received: int
    statuses: dict[str, str]  # attempt id -> status


def check_ledger(attempts: list[dict[str, Any]], mails: list[Mail]) -> Ledger:
    """Every rule of the issue, for one kind of message (initials, or follow-ups):

    - every attempt is `sent`, `failed` or `sending`;
    - no recipient received two messages, and no Message-ID arrived twice;
    - every message received is one of our attempts, `sent` or `sending` (a `sending` one the
      crash cut off after the server had it), never `failed`, and it went to that attempt's
      recipient;
    - every `sent` attempt was received;
    - so received == sent + at most the `sending` ones.
    """
    statuses = Counter(a["status"] for a in attempts)
    assert set(statuses) <= {"sent", "failed", "sending"}, statuses
    by_message_id = {a["message_id"]: a for a in attempts}
    assert len(by_message_id) == len(attempts), "two attempts share a Message-ID"

    twice = {r: n for r, n in Counter(r for m in mails for r in m.recipients).items() if n > 1}
    assert not twice, f"recipients that received a message twice: {twice}"
    ids = Counter(m.message_id for m in mails)
    assert all(n == 1 for n in ids.values()), "a Message-ID arrived twice"

    for mail in mails:
        attempt = by_message_id.get(mail.message_id)
        assert attempt is not None, f"received {mail.message_id}, which no attempt sent"
        assert attempt["status"] in ("sent", "sending"), attempt
        assert mail.recipients == (attempt["recipient_email"],)
    missing = [a["id"] for a in attempts if a["status"] == "sent" and a["message_id"] not in ids]
    assert not missing, f"{len(missing)} recorded sent but never received, e.g. {missing[:3]}"

    ledger = Ledger(
        sent=statuses["sent"],
        sending=statuses["sending"],
        failed=statuses["failed"],
        received=len(mails),
        statuses={a["id"]: a["status"] for a in attempts},
    )
    assert ledger.sent <= ledger.received <= ledger.sent + ledger.sending, ledger
    return ledger
