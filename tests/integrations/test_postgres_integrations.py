"""Across processes on PostgreSQL: a revoked API key stops on every server as soon as its DELETE
answers, and a worker killed with SIGKILL while delivering 1,000 events loses none (each is
delivered later, with its original webhook-id). Skipped without TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from backlink_outreach.config import API_PREFIX
from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import utcnow
from backlink_outreach.integrations import events
from backlink_outreach.models import WebhookDelivery
from tests.integrations.conftest import SECRETS_KEY
from tests.integrations.receiver import Receiver
from tests.support.database import Database
from tests.support.servers import ServerProcess, client_limits, start_servers
from tests.support.tokens import make_token, public_pem

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)


def _env(database: Database, signing_key: rsa.RSAPrivateKey, folder: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database.plain_url,
        "DATA_DIR": str(folder / "data"),
        "AUTH_MODE": "clerk",
        "CLERK_JWT_KEY": public_pem(signing_key),
        "SECRETS_KEY": SECRETS_KEY,
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
async def servers(
    db: Database, signing_key: rsa.RSAPrivateKey, tmp_path: Path
) -> AsyncIterator[list[ServerProcess]]:
    if db.backend != "postgresql":
        pytest.skip("multi-process test runs on PostgreSQL")
    env = _env(db, signing_key, tmp_path)
    started = await start_servers(env, tmp_path)
    yield started
    for server in started:
        server.stop()


async def test_a_revoked_key_stops_on_every_process_at_once(
    servers: list[ServerProcess], signing_key: rsa.RSAPrivateKey
) -> None:
    a, b = (s.base_url + API_PREFIX for s in servers)
    session = {"Authorization": f"Bearer {make_token(signing_key, 'user_a')}"}
    async with httpx.AsyncClient(timeout=10, limits=client_limits()) as http:
        made = await http.post(
            f"{a}/api-keys", json={"name": "cron", "scopes": ["read"]}, headers=session
        )
        assert made.status_code == 201, made.text
        key = {"Authorization": f"Bearer {made.json()['key']}"}
        for base in (a, b):
            assert (await http.get(f"{base}/campaigns", headers=key)).status_code == 200
        deleted = await http.delete(f"{a}/api-keys/{made.json()['id']}", headers=session)
        assert deleted.status_code == 204
        for base in (b, a):
            refused = await http.get(f"{base}/campaigns", headers=key)
            assert refused.status_code == 401, (base, refused.text)


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "backlink_outreach", "worker"],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def _pending(engine: AppDatabase) -> int:
    async with engine.read() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.status != "delivered")
        )
    return int(count or 0)


async def test_a_worker_killed_mid_delivery_loses_no_event(
    servers: list[ServerProcess], db: Database, signing_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    base = servers[0].base_url + API_PREFIX
    session = {"Authorization": f"Bearer {make_token(signing_key, 'user_a')}"}
    with Receiver(delay=0.01) as receiver:
        async with httpx.AsyncClient(timeout=10, limits=client_limits()) as http:
            made = await http.post(
                f"{base}/webhooks",
                json={"url": receiver.url, "events": ["send.sent"]},
                headers=session,
            )
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
        app_db = AppDatabase.open(db.url)
        try:
            async with app_db.write() as unit:
                ids = await events.record_many(
                    unit, [("user_a", "send.sent", {"n": n}) for n in range(1000)], utcnow()
                )
            expected = {i for i in ids if i is not None}
            assert len(expected) == 1000
            env = {
                **_env(db, signing_key, tmp_path),
                "WEBHOOK_LEASE_SECONDS": "3",
                "WEBHOOK_BATCH_SIZE": "50",
                "WEBHOOK_CONCURRENCY": "4",
                "WORKER_INTERVAL_SECONDS": "0.2",
            }
            first = _worker(env, tmp_path / "worker1.log")
            deadline = time.monotonic() + 60
            while len(receiver.received) < 150 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            first.kill()  # SIGKILL, mid-delivery
            first.wait()
            left = await _pending(app_db)
            assert 0 < left < 1000, left
            second = _worker(env, tmp_path / "worker2.log")
            try:
                deadline = time.monotonic() + 90
                while await _pending(app_db) and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
            finally:
                second.terminate()
                second.wait(timeout=20)
            assert await _pending(app_db) == 0
        finally:
            await app_db.dispose()
        verifier = Webhook(secret)
        got = [r.headers["webhook-id"] for r in receiver.received]
        for item in receiver.received:
            verifier.verify(item.body, item.headers)
        assert set(got) == expected  # none lost, and every id is an original one
