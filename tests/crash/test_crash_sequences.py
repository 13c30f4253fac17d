"""Crash safety of scheduled sending, with real processes on PostgreSQL: two `backlink-outreach
worker` processes share 500 due sequence steps (`SKIP LOCKED`), one is killed with SIGKILL
mid-pass, then the other, then `worker --once` finishes the work. Afterwards every step was
sent exactly once, failed, or is left `sending` with its attempt (listed by `doctor`, never
re-sent blindly); no recipient was reached twice.

Skipped without TEST_DATABASE_URL: the multi-process deployment is the PostgreSQL one.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from backlink_outreach.models import SequenceStep
from tests.crash.harness import Client, check_ledger, doctor, process_env, run_cli, start_worker
from tests.crash.mailcounter import CountingMailServer
from tests.support.database import Database, close_database, open_database
from tests.support.servers import client_limits, start_server
from tests.support.tokens import make_token, public_pem

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)

STEPS = 500
SMTP_DELAY = 0.02
KILL_FIRST_AFTER = 60
KILL_SECOND_AFTER = 300
ALWAYS_OPEN = {
    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "start": "00:00",
    "end": "24:00",
}


@pytest.fixture(scope="module")
async def pg(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    database = await open_database("postgresql", tmp_path_factory.mktemp("crash-seq"))
    yield database
    await close_database(database)


async def test_workers_killed_mid_pass_send_no_step_twice(
    pg: Database, signing_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    await pg.reset()
    token = make_token(signing_key, "user_crash", ttl=900)
    with CountingMailServer() as mail:
        env = {
            **process_env(pg.plain_url, public_pem(signing_key), mail.port, tmp_path),
            "SEND_JITTER_SECONDS": "0",
            "WORKER_INTERVAL_SECONDS": "0.2",
        }
        server = await asyncio.to_thread(start_server, env, tmp_path / "server.log")
        try:
            async with httpx.AsyncClient(timeout=60, limits=client_limits()) as http:
                api = Client(http, server.base_url, token)
                sequence = [{"subject": "Guest post", "body": "Hi {first_name}"}]
                campaign_id, lead_ids = await api.campaign_with_leads(
                    STEPS, sequence=sequence, send_window=ALWAYS_OPEN
                )
                enrolled = await api.post(
                    f"/campaigns/{campaign_id}/enroll", {"all_eligible": True}
                )
                assert enrolled.status_code == 200 and enrolled.json()["enrolled"] == STEPS

                mail.handler.delay = SMTP_DELAY
                first = start_worker(env, tmp_path / "worker1.log")
                second = start_worker(env, tmp_path / "worker2.log")
                try:
                    cut = await asyncio.to_thread(mail.handler.wait_for, KILL_FIRST_AFTER, 60)
                    first.kill()
                    cut = cut and await asyncio.to_thread(
                        mail.handler.wait_for, KILL_SECOND_AFTER, 60
                    )
                finally:
                    first.kill()
                    second.kill()
                    first.wait()
                    second.wait()
                logs = (tmp_path / "worker1.log").read_text()[-1500:]
                assert cut, logs + (tmp_path / "worker2.log").read_text()[-1500:]
                mail.handler.delay = 0.0
                async with pg.engine.connect() as conn:
                    at_kill = dict(
                        (await conn.execute(select(SequenceStep.id, SequenceStep.status))).all()
                    )
                # Both kills landed mid-pass: work was left for the next worker.
                assert Counter(at_kill.values())["scheduled"] > 0, Counter(at_kill.values())

                once = await run_cli(env, "worker", "--once", timeout=300)
                assert once.returncode == 0, once.stderr
                attempts = await api.get(f"/campaigns/{campaign_id}/attempts")
                async with pg.engine.connect() as conn:
                    rows = (
                        await conn.execute(
                            select(SequenceStep.id, SequenceStep.status, SequenceStep.attempt_id)
                        )
                    ).all()
                report = await doctor(env)
        finally:
            server.stop()

    ledger = check_ledger(attempts, mail.mails())
    assert ledger.sent + ledger.sending + ledger.failed == STEPS
    assert ledger.sending <= 2, ledger  # one SMTP connection in each killed worker
    # One attempt per step, ever: a step claimed twice would leave a second attempt.
    by_attempt = {str(attempt_id): status for _, status, attempt_id in rows if attempt_id}
    assert len(rows) == len(by_attempt) == STEPS  # every step was taken, by exactly one attempt
    assert set(by_attempt) == {a["id"] for a in attempts}
    for attempt_id, status in by_attempt.items():
        assert status == ledger.statuses[attempt_id], (attempt_id, status)
    sending = {i for i, s in ledger.statuses.items() if s == "sending"}
    assert report.stuck_ids == sending and report.stuck_count == len(sending)
