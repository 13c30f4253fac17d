"""Crash safety of sending (issue 8, part 2), with real processes on PostgreSQL.

A real `backlink-outreach serve` process sends a burst through a real, slow SMTP server (in a
thread of this test process, so it outlives what we kill) and is killed with SIGKILL mid-burst;
then a real `backlink-outreach worker` is killed the same way mid-batch of follow-ups. After
each crash the API, `backlink-outreach doctor` and the SMTP server's own count must agree: every
attempt `sent`, `failed` or still `sending`, nothing re-sent by a restart or a worker pass, no
recipient reached twice, received == sent + at most the `sending` ones.

Skipped without TEST_DATABASE_URL: the multi-process deployment these crashes model is the
PostgreSQL one.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import update

from backlink_outreach.db import utcnow
from backlink_outreach.models import FollowUp
from tests.crash.harness import Client, check_ledger, doctor, process_env, run_cli, start_worker
from tests.crash.mailcounter import CountingMailServer
from tests.support.database import Database, close_database, open_database
from tests.support.servers import client_limits, start_server
from tests.support.tokens import make_token, public_pem

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)

BURST = 200  # sends in flight when the server dies
FOLLOW_UPS = 120  # due follow-ups when the worker dies (one worker pass takes up to 100)
# Each message takes this long to be acknowledged, so a burst lasts seconds and "kill after
# the Nth message" lands in its middle however fast the machine is.
SMTP_DELAY = 0.05
KILL_AFTER = 40
CONNECTIONS = 1  # SMTP connections of one server or worker process to one server and login


@pytest.fixture(scope="module")
async def pg(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    database = await open_database("postgresql", tmp_path_factory.mktemp("crash"))
    yield database
    await close_database(database)


async def test_server_killed_mid_burst_sends_nothing_twice(
    pg: Database, signing_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    await pg.reset()
    token = make_token(signing_key, "user_crash", ttl=900)
    limits = client_limits(BURST)
    with CountingMailServer() as mail:
        env = process_env(pg.plain_url, public_pem(signing_key), mail.port, tmp_path)
        server = await asyncio.to_thread(start_server, env, tmp_path / "server-1.log")
        try:
            async with httpx.AsyncClient(timeout=60, limits=limits) as http:
                api = Client(http, server.base_url, token)
                campaign_id, lead_ids = await api.campaign_with_leads(BURST, follow_up_days=[])
                mail.handler.delay = SMTP_DELAY
                burst = asyncio.gather(
                    *(api.send(campaign_id, lead_id) for lead_id in lead_ids),
                    return_exceptions=True,
                )
                arrived = await asyncio.to_thread(mail.handler.wait_for, KILL_AFTER, 30)
                server.kill()
                answers = await burst
        finally:
            server.stop()  # only does something if the kill was never reached
        assert arrived, "the burst never reached the SMTP server"
        mail.handler.delay = 0.0

        # Restarted on the same database, with its embedded worker this time.
        server = await asyncio.to_thread(start_server, env, tmp_path / "server-2.log", worker=True)
        try:
            async with httpx.AsyncClient(timeout=60, limits=client_limits()) as http:
                api = Client(http, server.base_url, token)
                attempts = await api.get(f"/campaigns/{campaign_id}/attempts")
                ledger = check_ledger(attempts, mail.mails())
                # The kill landed mid-burst: some went out, the rest were never reserved.
                assert ledger.sent >= 1 and ledger.received < BURST, ledger
                # At most one message per SMTP connection is in doubt (the server process has
                # one): a send waiting for the connection had reserved nothing yet. Reserved
                # first and queued, 20-odd of the burst were left `sending` here.
                assert ledger.sending <= CONNECTIONS, ledger
                assert ledger.sent + ledger.sending == len(attempts), "a send failed"

                # What a client was told matches the ledger: every 200 is a `sent` attempt;
                # every other request died with the connection, never a 5xx or a refusal.
                for answer in answers:
                    if isinstance(answer, httpx.Response):
                        assert answer.status_code == 200, answer.text
                        assert ledger.statuses[answer.json()["id"]] == "sent"
                    else:
                        assert isinstance(answer, httpx.TransportError), repr(answer)

                report = await doctor(env)
                sending = {i for i, s in ledger.statuses.items() if s == "sending"}
                assert report.stuck_ids == sending and report.stuck_count == len(sending)
                assert report.exit_code == (1 if sending else 0)

                # Neither a worker pass nor a user retrying re-sends a cut-off attempt: the
                # retry is the same message to the same person, refused as a duplicate.
                once = await run_cli(env, "worker", "--once")
                assert once.returncode == 0, once.stderr
                # A retry of the message on the wire at the kill (when the kill found one).
                for stuck in [a for a in attempts if a["status"] == "sending"]:
                    retry = await api.send(campaign_id, stuck["lead_id"])
                    assert retry.status_code == 403 and retry.json()["reason"] == "duplicate"

                after = await api.get(f"/campaigns/{campaign_id}/attempts")
        finally:
            server.stop()
        again = check_ledger(after, mail.mails())
        assert again == ledger, "a restart, a worker pass or a retry changed what was sent"


async def test_worker_killed_mid_batch_sends_no_follow_up_twice(
    pg: Database, signing_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    await pg.reset()
    token = make_token(signing_key, "user_crash", ttl=900)
    with CountingMailServer() as mail:
        env = process_env(pg.plain_url, public_pem(signing_key), mail.port, tmp_path)
        server = await asyncio.to_thread(start_server, env, tmp_path / "server.log")
        try:
            async with httpx.AsyncClient(timeout=60, limits=client_limits()) as http:
                api = Client(http, server.base_url, token)
                campaign_id, lead_ids = await api.campaign_with_leads(
                    FOLLOW_UPS, follow_up_days=[1]
                )
                sends = await asyncio.gather(*(api.send(campaign_id, i) for i in lead_ids))
                assert Counter(r.status_code for r in sends) == {200: FOLLOW_UPS}
                # A child process cannot be moved in time: move the schedule instead.
                async with pg.engine.begin() as conn:
                    moved = await conn.execute(
                        update(FollowUp).values(scheduled_for=utcnow() - timedelta(minutes=1))
                    )
                assert moved.rowcount == FOLLOW_UPS

                mail.handler.delay = SMTP_DELAY
                worker = start_worker(env, tmp_path / "worker.log")
                try:
                    arrived = await asyncio.to_thread(
                        mail.handler.wait_for, FOLLOW_UPS + KILL_AFTER, 30
                    )
                finally:
                    worker.kill()
                    worker.wait()
                assert arrived, (tmp_path / "worker.log").read_text()[-2000:]
                mail.handler.delay = 0.0

                path = f"/campaigns/{campaign_id}"
                cut = await api.get(f"{path}/follow-ups")
                claimed_at_kill = {
                    f["id"]: f["sent_attempt_id"] for f in cut if f["sent_attempt_id"]
                }
                # The kill landed mid-batch: some follow-ups were never claimed.
                assert KILL_AFTER <= len(claimed_at_kill) < FOLLOW_UPS

                once = await run_cli(env, "worker", "--once")
                assert once.returncode == 0, once.stderr
                follow_ups = await api.get(f"{path}/follow-ups")
                attempts = await api.get(f"{path}/attempts")
                report = await doctor(env)
        finally:
            server.stop()

    mails = mail.mails()
    initials = check_ledger(
        [a for a in attempts if a["kind"] == "initial"], [m for m in mails if not m.in_reply_to]
    )
    assert initials.sent == FOLLOW_UPS
    later = [a for a in attempts if a["kind"] == "follow_up"]
    ledger = check_ledger(later, [m for m in mails if m.in_reply_to])
    assert ledger.sent + ledger.sending + ledger.failed == FOLLOW_UPS
    assert ledger.sending <= CONNECTIONS, ledger  # the worker's one connection

    # One attempt per follow-up, ever: a follow-up claimed again would leave a second attempt.
    by_attempt = {f["sent_attempt_id"]: f for f in follow_ups}
    assert len(by_attempt) == len(follow_ups) == FOLLOW_UPS
    assert {a["id"] for a in later} == set(by_attempt)
    for follow_up in follow_ups:
        if follow_up["id"] in claimed_at_kill:
            assert follow_up["sent_attempt_id"] == claimed_at_kill[follow_up["id"]]
    # The ones the crash cut off stay as they were, for a person to check: still `scheduled`
    # with an attempt still `sending`, reported by doctor, and not counted as overdue work.
    for follow_up in follow_ups:
        status = ledger.statuses[follow_up["sent_attempt_id"]]
        expected = {"sent": "sent", "failed": "failed", "sending": "scheduled"}[status]
        assert follow_up["status"] == expected, follow_up
    sending = {i for i, s in ledger.statuses.items() if s == "sending"}
    assert report.stuck_ids == sending and report.stuck_count == len(sending)
    assert report.exit_code == (1 if sending else 0)
    assert report.overdue_follow_ups == 0
