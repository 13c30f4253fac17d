"""What the outbox write adds to a send (issue 18): API sends (to the `.eml` outbox, no SMTP) in
a workspace with a webhook endpoint subscribed to `send.sent` and `lead.status_changed` (each
send then writes two events) against the same sends in a workspace without one.

Both apps run side by side in one process, each on its own database (SQLite, then PostgreSQL
when it is available), and the sends
alternate in rounds (the order flipping each round) so that both see the same machine: on a
shared machine, two runs one after the other measure the neighbours as much as the code.
Target: ratio <= 1.1, and under 0.2 ms added per send.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import bench_api, bench_database, postgres_available
from bench.report import Figure

SENDS = 400
ROUND = 20
KEY = "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI="  # base64 of 32 bytes
HOOK = {"url": "http://127.0.0.1:9/", "events": ["send.sent", "lead.status_changed"]}


async def _prepare(api: httpx.AsyncClient, subscribed: bool) -> tuple[str, list[str]]:
    if subscribed:
        assert (await api.post("/webhooks", json=HOOK)).status_code == 201
    campaign = (await api.post("/campaigns", json={"name": "b"})).json()["id"]
    leads = [
        {"website_url": f"https://s{n}.test", "contact_email": f"e@s{n}.test"} for n in range(SENDS)
    ]
    await api.post(f"/campaigns/{campaign}/leads/bulk", json=leads)
    ids = [lead["id"] for lead in (await api.get(f"/campaigns/{campaign}")).json()["leads"]]
    return campaign, ids


async def _round(api: httpx.AsyncClient, campaign: str, lead_ids: list[str]) -> float:
    started = time.perf_counter()
    for lead_id in lead_ids:
        body = {"campaign_id": campaign, "lead_id": lead_id, "subject": "Hi", "body": "Hello"}
        response = await api.post("/outreach/send", json=body)
        assert response.status_code == 200, response.text
    return time.perf_counter() - started


async def run() -> list[Figure]:
    figures = await _measure("sqlite")
    if await postgres_available():
        figures += await _measure("postgresql")
    return figures


async def _measure(backend: str) -> list[Figure]:
    with tempfile.TemporaryDirectory() as outbox:
        settings: dict[str, Any] = {
            "mail_outbox_dir": Path(outbox),
            "smtp_from_email": "bench@sender.test",
            "sender_postal_address": "1 Bench Street",
            "secrets_key": KEY,
            "webhook_allow_private_networks": True,
            "policy_sender_daily_cap": 100_000,
            "policy_domain_daily_cap": 100_000,
            "policy_workspace_daily_cap": 100_000,
        }
        async with contextlib.AsyncExitStack() as stack:
            plain_db = await stack.enter_async_context(bench_database(backend))
            hooked_db = await stack.enter_async_context(bench_database(backend))
            plain = await stack.enter_async_context(bench_api(plain_db, **settings))
            hooked = await stack.enter_async_context(bench_api(hooked_db, **settings))
            sides = {
                "without": (plain, *await _prepare(plain, False)),
                "with": (hooked, *await _prepare(hooked, True)),
            }
            # A warm-up round each (first-use costs: statement caches, imports).
            warm = {name: leads[:ROUND] for name, (_, _, leads) in sides.items()}
            for name, (api, campaign, _) in sides.items():
                await _round(api, campaign, warm[name])
            seconds = {"without": 0.0, "with": 0.0}
            for start in range(ROUND, SENDS, ROUND):
                order = ["without", "with"] if (start // ROUND) % 2 else ["with", "without"]
                for name in order:
                    api, campaign, leads = sides[name]
                    seconds[name] += await _round(api, campaign, leads[start : start + ROUND])
            async with hooked_db.engine.connect() as conn:
                written = (await conn.exec_driver_sql("SELECT count(*) FROM events")).scalar()
    timed = SENDS - ROUND
    if written != 2 * SENDS:
        raise RuntimeError(f"{written} events written for {SENDS} sends, expected {2 * SENDS}")
    with_ms, without_ms = seconds["with"] * 1000 / timed, seconds["without"] * 1000 / timed
    name = f"send path, {timed} sends, interleaved ({backend})"
    return [
        Figure(name, "ms/send with endpoint", with_ms, without_ms, "ratio <= 1.1 (without)"),
        Figure(name, "ms added per send", with_ms - without_ms, None, "< 0.2"),
    ]
