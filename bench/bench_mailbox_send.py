"""A send from a mailbox with 10,000 earlier sends costs no more than from a new one (issue 13).

Two mailboxes of one workspace on one local aiosmtpd: "old" has 10,000 earlier sent attempts
(over the last 20 days) and a full breaker ring, "new" has none. The same number of API sends
from each, interleaved in rounds so both see the same database and machine; the figure is the
old mailbox's sends/s against the new one's. Target: ratio <= 1.1 (the breaker and the caps read
counters and today's slots, not the history). SQLite, in-process API.
"""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import insert, update

from backlink_outreach.logs import configure_logging
from backlink_outreach.models import MailboxHealth, MailboxRecentSend, OutreachAttempt
from bench.bench_send import _free_port, _Sink
from bench.common import bench_api, bench_database
from bench.report import Figure

HISTORY = 10_000
PER_MAILBOX = 300
ROUND = 25
CONCURRENCY = 4
KEY = base64.b64encode(bytes(range(32))).decode()


def _mailbox(name: str, port: int) -> dict[str, Any]:
    return {
        "name": name,
        "from_email": f"{name}@bench.test",
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
        "daily_cap": 2000,
    }


async def _seed_history(db: Any, mailbox_id: str, campaign_id: str, lead_ids: list[str]) -> None:
    now = datetime.now(UTC)
    rows = []
    for i in range(HISTORY):
        day = (now - timedelta(days=1 + i % 20)).replace(microsecond=0)
        rows.append(
            {
                "id": f"att_hist{i:08d}",
                "workspace_id": "bench",
                "campaign_id": campaign_id,
                "lead_id": lead_ids[i % len(lead_ids)],
                "kind": "initial",
                "step": 0,
                "sender_email": "old@bench.test",
                "recipient_email": f"editor@hist{i}.test",
                "recipient_domain": f"hist{i}.test",
                "subject": "Earlier",
                "subject_key": f"earlier {i}",
                "body": "Hi",
                "message_id": f"<hist{i}@bench.test>",
                "status": "sent",
                "permanent_failure": False,
                "send_day": day.date(),
                "created_at": day,
                "sent_at": day,
                "mailbox_id": mailbox_id,
                "delivery": "smtp",
            }
        )
    async with db.engine.begin() as conn:
        for start in range(0, HISTORY, 1000):
            await conn.execute(insert(OutreachAttempt), rows[start : start + 1000])
        await conn.execute(
            update(MailboxHealth)
            .where(MailboxHealth.mailbox_id == mailbox_id)
            .values(sends_recorded=HISTORY)
        )
        await conn.execute(
            insert(MailboxRecentSend),
            [
                {
                    "mailbox_id": mailbox_id,
                    "slot": (HISTORY - k) % 50,
                    "seq": HISTORY - k,
                    "attempt_id": f"att_hist{HISTORY - 1 - k:08d}",
                    "hard_bounce": k == 7,
                }
                for k in range(50)
            ],
        )


async def _sends(client: Any, campaign_id: str, mailbox_id: str, leads: list[str]) -> float:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for lead in leads:
        queue.put_nowait(lead)
    failures: list[str] = []

    async def worker() -> None:
        while not queue.empty():
            body = {
                "campaign_id": campaign_id,
                "lead_id": queue.get_nowait(),
                "subject": "Guest post for {website_title}",
                "body": "Hi {first_name}, from {sender_name}.",
                "mailbox_id": mailbox_id,
            }
            response = await client.post("/outreach/send", json=body)
            if response.status_code != 200:
                failures.append(response.text[:200])

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    if failures:
        raise RuntimeError(f"{len(failures)} sends failed, e.g. {failures[0]}")
    return time.perf_counter() - started


async def run() -> list[Figure]:
    configure_logging("WARNING")
    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings = {
        "secrets_key": KEY,
        "unsubscribe_secret": "bench",
        "policy_domain_daily_cap": 10_000,
        "policy_workspace_daily_cap": 10_000,
    }
    try:
        async with bench_database("sqlite") as db, bench_api(db, **settings) as client:
            old = (await client.post("/mailboxes", json=_mailbox("old", port))).json()
            new = (await client.post("/mailboxes", json=_mailbox("new", port))).json()
            history = (await client.post("/campaigns", json={"name": "History"})).json()
            entries = [{"website_url": f"https://h{i}.test/"} for i in range(100)]
            await client.post(f"/campaigns/{history['id']}/leads/bulk", json=entries)
            detail = (await client.get(f"/campaigns/{history['id']}")).json()
            await _seed_history(db, old["id"], history["id"], [x["id"] for x in detail["leads"]])
            campaign = (await client.post("/campaigns", json={"name": "Bench"})).json()
            entries = [
                {"website_url": f"https://site{i}.test/", "contact_email": f"editor@site{i}.test"}
                for i in range(2 * PER_MAILBOX)
            ]
            await client.post(f"/campaigns/{campaign['id']}/leads/bulk", json=entries)
            leads = [
                x["id"] for x in (await client.get(f"/campaigns/{campaign['id']}")).json()["leads"]
            ]
            old_leads, new_leads = leads[:PER_MAILBOX], leads[PER_MAILBOX:]
            timings = {"old": 0.0, "new": 0.0}
            for start in range(0, PER_MAILBOX, ROUND):
                order = [("old", old, old_leads), ("new", new, new_leads)]
                if (start // ROUND) % 2:
                    order.reverse()
                for label, mailbox, pool in order:
                    chunk = pool[start : start + ROUND]
                    timings[label] += await _sends(client, campaign["id"], mailbox["id"], chunk)
    finally:
        controller.stop()
    if sink.count != 2 * PER_MAILBOX:
        raise RuntimeError(f"the SMTP server received {sink.count}, expected {2 * PER_MAILBOX}")
    return [
        Figure(
            bench=f"send from a mailbox with {HISTORY:,} earlier sends vs a new one (sqlite)",
            metric="sends/s",
            value=PER_MAILBOX / timings["old"],
            baseline=PER_MAILBOX / timings["new"],
            target="ratio <= 1.1",
            higher_is_better=True,
        )
    ]
