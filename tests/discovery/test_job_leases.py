"""Who runs a discovery job: claims never overlap, a held lease is respected, an expired one
(its worker died) is taken again, a worker killed with SIGKILL mid-crawl leaves a job that
the next worker finishes, and a stale worker's writes no longer land."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update

from backlink_outreach.config import Settings
from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import utcnow
from backlink_outreach.discovery import job_runner
from backlink_outreach.models import DiscoveryJob
from tests.conftest import Api
from tests.discovery.conftest import crawl_settings
from tests.discovery.fixture_server import FixtureWeb
from tests.discovery.job_web import EXPECTED_NAMES, KEYWORD, job_sites
from tests.support.database import Database
from tests.support.tokens import public_pem

MakeApi = Callable[..., contextlib.AbstractAsyncContextManager[Api]]


@pytest.fixture(scope="module")
def job_web() -> Iterator[FixtureWeb]:
    server = FixtureWeb(job_sites()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def crawl_web() -> Iterator[FixtureWeb]:
    """Every answer 1 s late: a job's crawl lasts long enough to kill its worker mid-way."""
    server = FixtureWeb(job_sites(), delay=1.0).start()
    yield server
    server.stop()


async def _queue(api: Api, **body: Any) -> str:
    response = await api.post("/discover/jobs", json={"keyword": KEYWORD, **body})
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


async def _row(db: Database, job_id: str) -> DiscoveryJob:
    async with AppDatabase(db.engine).read() as session:
        job = await session.scalar(select(DiscoveryJob).where(DiscoveryJob.id == job_id))
    assert job is not None
    return job


async def _expire_lease(db: Database, job_id: str) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            update(DiscoveryJob)
            .where(DiscoveryJob.id == job_id)
            .values(next_run_at=utcnow() - timedelta(seconds=1))
        )


async def test_two_workers_never_claim_the_same_job(
    make_api: MakeApi, make_settings: Callable[..., Settings], job_web: FixtureWeb, db: Database
) -> None:
    settings = make_settings(**crawl_settings(job_web))
    async with make_api(**crawl_settings(job_web)) as api:
        ids = {await _queue(api, max_results=1) for _ in range(6)}
    # Two processes' worth of engines, claiming at the same moment.
    first, second = AppDatabase.open(db.url), AppDatabase.open(db.url)
    try:
        a, b = await asyncio.gather(
            job_runner.claim(first, settings, "wrk_a", limit=3),
            job_runner.claim(second, settings, "wrk_b", limit=3),
        )
    finally:
        await first.dispose()
        await second.dispose()
    taken_a, taken_b = {j.id for j in a}, {j.id for j in b}
    assert not taken_a & taken_b
    assert taken_a | taken_b == ids and len(a) == len(b) == 3
    for job_id in taken_a:
        row = await _row(db, job_id)
        assert row.status == "running" and row.lease_owner == "wrk_a" and row.attempts == 1


async def test_an_expired_lease_is_run_again_and_the_stale_worker_is_shut_out(
    make_api: MakeApi, make_settings: Callable[..., Settings], job_web: FixtureWeb, db: Database
) -> None:
    settings = make_settings(**crawl_settings(job_web))
    database = AppDatabase(db.engine)
    async with make_api(**crawl_settings(job_web)) as api:
        job_id = await _queue(api)
        [dead] = await job_runner.claim(database, settings, "wrk_dead")  # ...and then it died
        assert await job_runner.run_due_jobs(database, settings) == 0  # its lease still holds
        assert (await _row(db, job_id)).status == "running"
        await _expire_lease(db, job_id)
        assert await job_runner.run_due_jobs(database, settings) == 1
        done = (await api.get(f"/discover/jobs/{job_id}")).json()
    assert done["status"] == "done", done
    assert {r["domain"] for r in done["results"]} == set(EXPECTED_NAMES)
    row = await _row(db, job_id)
    assert row.attempts == 2 and row.lease_owner is None and row.next_run_at is None
    # The first worker wakes up: its progress and its outcome no longer land.
    progress = {"queries_done": 1, "queries_total": 8}
    assert not await job_runner.write_progress(database, settings, job_id, "wrk_dead", progress)
    assert not await job_runner.run_job(database, settings, dead, "wrk_dead")
    again = await _row(db, job_id)
    assert again.status == "done" and again.progress == done["progress"]


async def test_a_job_whose_workers_keep_dying_is_given_up(
    make_api: MakeApi, make_settings: Callable[..., Settings], job_web: FixtureWeb, db: Database
) -> None:
    settings = make_settings(**crawl_settings(job_web))
    database = AppDatabase(db.engine)
    async with make_api(**crawl_settings(job_web)) as api:
        job_id = await _queue(api)
        for n in range(job_runner.MAX_ATTEMPTS):
            assert [j.id for j in await job_runner.claim(database, settings, f"wrk_{n}")] == [
                job_id
            ]
            await _expire_lease(db, job_id)
        assert await job_runner.claim(database, settings, "wrk_last") == []
        failed = (await api.get(f"/discover/jobs/{job_id}")).json()
    assert failed["status"] == "failed" and failed["error"] == job_runner.GIVEN_UP
    assert failed["finished_at"] is not None


async def test_a_failure_is_recorded_in_words(
    make_api: MakeApi, make_settings: Callable[..., Settings], job_web: FixtureWeb, db: Database
) -> None:
    async with make_api(**crawl_settings(job_web)) as api:
        job_id = await _queue(api)
    # The search provider went away after the job was queued: every query fails.
    gone = make_settings(**crawl_settings(job_web, searxng_url="http://127.0.0.1:9"))
    assert await job_runner.run_due_jobs(AppDatabase(db.engine), gone) == 1
    row = await _row(db, job_id)
    assert row.status == "failed" and row.error == "Search provider unavailable."
    assert row.finished_at is not None and row.next_run_at is None


def _worker_env(
    db: Database, web: FixtureWeb, key: rsa.RSAPrivateKey, folder: Path
) -> dict[str, str]:
    return {
        "DATABASE_URL": db.plain_url,
        "DATA_DIR": str(folder / "data"),
        "AUTH_MODE": "clerk",
        "CLERK_JWT_KEY": public_pem(key),
        "SEARXNG_URL": web.url,
        "DISCOVERY_HTTP_PROXY": web.url,
        "DISCOVERY_PAGE_TIMEOUT_SECONDS": "8",
        "DISCOVERY_JOB_LEASE_SECONDS": "3",
        "WORKER_INTERVAL_SECONDS": "0.2",
        "LOG_LEVEL": "WARNING",
    }


async def test_a_worker_killed_mid_crawl_leaves_a_job_the_next_worker_finishes(
    make_api: MakeApi,
    make_settings: Callable[..., Settings],
    crawl_web: FixtureWeb,
    db: Database,
    signing_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    async with make_api(**crawl_settings(crawl_web)) as api:
        job_id = await _queue(api)
    env = {**os.environ, **_worker_env(db, crawl_web, signing_key, tmp_path)}
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "backlink_outreach", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            row = await _row(db, job_id)
            if row.status == "running" and row.progress.get("pages_fetched", 0) > 0:
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the worker never started the job")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    killed = await _row(db, job_id)
    assert killed.status == "running" and killed.lease_owner is not None, killed.status
    assert killed.progress["sites_scored"] < killed.progress["sites_found"] or (
        killed.progress["sites_found"] == 0
    )
    settings = make_settings(**crawl_settings(crawl_web, discovery_job_lease_seconds=3))
    database = AppDatabase(db.engine)
    assert await job_runner.run_due_jobs(database, settings) == 0  # the dead one's lease holds
    deadline = time.monotonic() + 30
    while not await job_runner.run_due_jobs(database, settings):
        assert time.monotonic() < deadline, "the job never came due again"
        await asyncio.sleep(0.2)
    done = await _row(db, job_id)
    assert done.status == "done" and done.attempts == 2, (done.status, done.error)
    assert {r["domain"] for r in done.results} == set(EXPECTED_NAMES)
    assert done.progress["sites_scored"] == len(EXPECTED_NAMES)
