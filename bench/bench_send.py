"""1,000 sends through `POST /outreach/send` (distinct recipients, caps raised) to a local aiosmtpd,
against a raw aiosmtplib loop sending the same 1,000 messages over one connection, same run.

Target (issue 4): ratio at most 2 (API sends/s against raw sends/s). SQLite, in-process API.
"""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller

from backlink_outreach import sender as senders
from backlink_outreach.config import Settings
from backlink_outreach.logs import configure_logging
from backlink_outreach.outreach import message
from backlink_outreach.sender import Sender
from bench.common import bench_api, bench_database
from bench.report import Figure

N = 1_000
CONCURRENCY = 8  # clients sending at once (a UI or script firing a batch)
SENDER = "outreach@bench.test"
SUBJECT = "Guest post for {website_title}"
BODY = "Hi {first_name},\n\nI enjoyed {website} and would love to contribute an article.\n"


class _Sink:
    """Accepts everything and counts, so the server costs the same for both sides."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _raw_messages(sender: Sender) -> list[tuple[str, bytes]]:
    """The same messages the API builds (headers, footer, HTML part), built up front."""
    now = datetime.now(UTC)
    out = []
    for i in range(N):
        recipient = f"editor@site{i}.test"
        outgoing = message.Outgoing(
            sender=SENDER,
            recipient=recipient,
            subject=f"Guest post for site{i}.test",
            body=f"Hi there,\n\nI enjoyed https://site{i}.test/ and would love to contribute.\n",
            message_id=message.new_message_id(SENDER),
            unsubscribe_url=f"http://bench/unsubscribe/{'x' * 120}",
            unsubscribe_mailto=f"mailto:{SENDER}?subject=unsubscribe",
        )
        out.append((recipient, message.build(sender, outgoing, now).as_bytes()))
    return out


async def _raw(port: int, messages: list[tuple[str, bytes]]) -> float:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30, start_tls=False)
    started = time.perf_counter()
    await client.connect()
    for recipient, data in messages:
        await client.sendmail(SENDER, [recipient], data)
    await client.quit()
    return time.perf_counter() - started


async def _api(port: int) -> float:
    settings: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_from_email": SENDER,
        "unsubscribe_secret": "bench",
        "policy_sender_daily_cap": N * 2,
        "policy_domain_daily_cap": N * 2,
        "policy_workspace_daily_cap": N * 2,
    }
    async with bench_database("sqlite") as db, bench_api(db, **settings) as client:
        campaign = (await client.post("/campaigns", json={"name": "Bench"})).json()
        entries = [
            {"website_url": f"https://site{i}.test/", "contact_email": f"editor@site{i}.test"}
            for i in range(N)
        ]
        await client.post(f"/campaigns/{campaign['id']}/leads/bulk", json=entries)
        leads = (await client.get(f"/campaigns/{campaign['id']}")).json()["leads"]
        queue: asyncio.Queue[str] = asyncio.Queue()
        for lead in leads:
            queue.put_nowait(lead["id"])
        failures: list[str] = []

        async def worker() -> None:
            while not queue.empty():
                lead_id = queue.get_nowait()
                body = {
                    "campaign_id": campaign["id"],
                    "lead_id": lead_id,
                    "subject": SUBJECT,
                    "body": BODY,
                }
                response = await client.post("/outreach/send", json=body)
                if response.status_code != 200:
                    failures.append(response.text[:200])

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
        if failures:
            raise RuntimeError(f"{len(failures)} sends failed, e.g. {failures[0]}")
        return elapsed


async def run() -> list[Figure]:
    configure_logging("WARNING")
    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = Settings(_env_file=None, smtp_from_email=SENDER)
        raw_seconds = await _raw(port, _raw_messages(senders.from_settings(settings)))
        api_seconds = await _api(port)
    finally:
        controller.stop()
    if sink.count != 2 * N:
        raise RuntimeError(f"the SMTP server received {sink.count} messages, expected {2 * N}")
    return [
        Figure(
            bench=f"send {N:,} via API (sqlite, {CONCURRENCY} clients)",
            metric="sends/s",
            value=N / api_seconds,
            baseline=N / raw_seconds,
            target="ratio <= 2",
            higher_is_better=True,
        )
    ]
