"""Webhooks (issue 18).

- 10,000 events delivered by two `backlink-outreach worker` processes to a loopback receiver
  (its own process), against a raw httpx loop posting the same bodies to it one by one. On
  SQLite, and on PostgreSQL too when it is reachable (`TEST_DATABASE_URL`, see `common.py`),
  where the two workers claim side by side with `FOR UPDATE SKIP LOCKED`.

The outbox write's cost on the send path is `bench_outbox_write.py`.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import tempfile
import time

import httpx

from backlink_outreach.database import Database
from backlink_outreach.db import utcnow
from backlink_outreach.integrations import events
from backlink_outreach.mailboxes import secrets as sealing
from backlink_outreach.models import WebhookEndpoint
from bench.common import bench_database, postgres_available
from bench.report import Figure

EVENTS = 10_000
SENDS = 300
KEY = base64.b64encode(b"b" * 32).decode()


def _port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _count(http: httpx.AsyncClient, port: int) -> int:
    return int((await http.get(f"http://127.0.0.1:{port}/count")).text)


async def _receiver() -> tuple[subprocess.Popen[bytes], int]:
    port = _port()
    process = subprocess.Popen([sys.executable, "-m", "bench.webhook_receiver", str(port)])
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                await _count(http, port)
                return process, port
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
    raise RuntimeError("receiver did not start")


async def _delivery(backend: str) -> list[Figure]:
    receiver, port = await _receiver()
    url = f"http://127.0.0.1:{port}/hook"
    try:
        async with bench_database(backend) as db:
            app_db = Database(db.engine)
            key = sealing.parse_key(KEY)
            async with app_db.write() as session:
                session.add(
                    WebhookEndpoint(
                        id="whk_bench",
                        workspace_id="bench",
                        url=url,
                        events=["send.sent"],
                        secret_sealed=sealing.seal(key, "whsec_" + KEY, "whk_bench"),
                        status="enabled",
                        give_ups_in_a_row=0,
                        created_at=utcnow(),
                        updated_at=utcnow(),
                    )
                )
            async with app_db.write() as session:
                items = [("bench", "send.sent", {"id": f"att_{n}", "n": n}) for n in range(EVENTS)]
                await events.record_many(session, items, utcnow())
            bodies = [
                events.body("send.sent", utcnow(), {"id": f"att_{n}", "n": n}).encode()
                for n in range(EVENTS)
            ]
            with tempfile.TemporaryDirectory() as tmp:
                env = {
                    **os.environ,
                    "DATABASE_URL": db.url.replace("+aiosqlite", "").replace("+asyncpg", ""),
                    "AUTH_MODE": "dev",
                    "DATA_DIR": tmp,
                    "SECRETS_KEY": KEY,
                    "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
                    "WORKER_INTERVAL_SECONDS": "0.05",
                    "LOG_LEVEL": "WARNING",
                }
                started = time.perf_counter()
                workers = [
                    subprocess.Popen([sys.executable, "-m", "backlink_outreach", "worker"], env=env)
                    for _ in range(2)
                ]
                async with httpx.AsyncClient() as http:
                    while await _count(http, port) < EVENTS:
                        await asyncio.sleep(0.02)
                        if time.perf_counter() - started > 120:
                            raise RuntimeError("delivery took over 120 s")
                ours = time.perf_counter() - started
                for worker in workers:
                    worker.terminate()
                    worker.wait()
            async with httpx.AsyncClient() as http:
                started = time.perf_counter()
                for body in bodies:
                    await http.post(url, content=body, headers={"content-type": "application/json"})
                raw = time.perf_counter() - started
    finally:
        receiver.terminate()
        receiver.wait()
    name = f"webhooks 10k, 2 workers ({backend})"
    return [
        Figure(name, "s", ours, raw, "ratio <= 3 (raw httpx loop)"),
        Figure(
            name,
            "deliveries/s",
            EVENTS / ours,
            EVENTS / raw,
            ">= 500",
            higher_is_better=True,
        ),
    ]


async def run() -> list[Figure]:
    figures = await _delivery("sqlite")
    if await postgres_available():
        figures += await _delivery("postgresql")
    return figures
