"""The worker's side of discovery jobs: claim, run with live progress, finish.

- Claim: due rows (`next_run_at <= now`: queued ones, and running ones whose lease ran out
  because their worker died) are taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so
  workers side by side take different jobs; on SQLite the claim is a write transaction
  (`BEGIN IMMEDIATE`, behind the process's writer queue), which serializes claims across
  processes too. Claiming sets `running`, this worker as `lease_owner`, and `next_run_at` a
  lease ahead.
- Run: the discovery is the same as `/discover/deep`'s, outside any transaction. Every
  PROGRESS_EVERY seconds the progress is written when it moved, and at least every third of
  a lease when it did not; each write renews the lease and lands only while this worker
  still holds it. A write that finds the lease gone (the job was taken by another worker
  after this one stalled) stops the run: the other worker's outcome stands.
- Finish: results, the save to the campaign, and `done` in one transaction, so a crash leaves
  either nothing saved and the job due again, or everything. A failure is `failed` with its
  words in `error`, never a stack trace. A job whose workers died MAX_ATTEMPTS times is
  given up.

The duty runs the jobs it claims to the end (a pass takes as long as a crawl), at most
JOBS_PER_PASS at once: each has a crawler of its own, with DISCOVERY_CONCURRENCY fetches.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..campaigns.service import get_campaign
from ..config import Settings
from ..database import Database
from ..db import utcnow
from ..errors import NotConfigured, NotFound, ServiceUnavailable
from ..ids import new_id
from ..models import DiscoveryJob
from .service import Discovery, Tally, discover, save_results, to_result

log = structlog.get_logger(__name__)

JOBS_PER_PASS = 2
PROGRESS_EVERY = 0.5  # seconds between progress writes, at most
MAX_ATTEMPTS = 3
GIVEN_UP = (
    f"The worker running this job stopped {MAX_ATTEMPTS} times before it finished; "
    "the job was given up. Queue it again to retry."
)
CAMPAIGN_GONE = "The campaign was deleted before the results could be saved."
UNEXPECTED = "Discovery stopped on an unexpected error. Queue the job again to retry."
_J = DiscoveryJob


@dataclass(frozen=True)
class ClaimedJob:
    id: str
    workspace_id: str
    keyword: str
    campaign_id: str | None
    max_results: int
    min_score: float
    save_to_campaign: bool
    attempts: int


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.discovery_job_lease_seconds)


async def claim(
    db: Database, settings: Settings, owner: str, limit: int = JOBS_PER_PASS
) -> list[ClaimedJob]:
    """Take up to `limit` due jobs for `owner`; jobs past MAX_ATTEMPTS are failed instead."""
    async with db.write() as session:
        now = utcnow()
        due = (
            select(_J.id)
            .where(_J.next_run_at <= now)
            .order_by(_J.next_run_at, _J.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await session.execute(due)).scalars())
        if not ids:
            return []
        rows = await session.execute(
            update(_J)
            .where(_J.id.in_(ids))
            .values(
                status="running",
                lease_owner=owner,
                next_run_at=now + _lease(settings),
                attempts=_J.attempts + 1,
                started_at=func.coalesce(_J.started_at, now),
                updated_at=now,
            )
            .returning(
                _J.id,
                _J.workspace_id,
                _J.keyword,
                _J.campaign_id,
                _J.max_results,
                _J.min_score,
                _J.save_to_campaign,
                _J.attempts,
            )
        )
        claimed = [ClaimedJob(**row._mapping) for row in rows]
        spent = [job.id for job in claimed if job.attempts > MAX_ATTEMPTS]
        if spent:
            await session.execute(
                update(_J).where(_J.id.in_(spent)).values(**_ended("failed", GIVEN_UP))
            )
            log.warning("discovery_jobs_given_up", jobs=len(spent))
    return sorted((job for job in claimed if job.id not in spent), key=lambda job: job.id)


def _ended(status: str, error: str | None) -> dict[str, Any]:
    now = utcnow()
    return {
        "status": status,
        "error": error,
        "lease_owner": None,
        "next_run_at": None,
        "finished_at": now,
        "updated_at": now,
    }


def _held(job_id: str, owner: str) -> Any:
    return update(_J).where(_J.id == job_id, _J.lease_owner == owner, _J.status == "running")


async def write_progress(
    db: Database, settings: Settings, job_id: str, owner: str, progress: dict[str, int]
) -> bool:
    """Record the progress and renew the lease; False when this worker no longer holds it."""
    async with db.statement() as session:
        now = utcnow()
        result = await session.execute(
            _held(job_id, owner).values(
                progress=progress, next_run_at=now + _lease(settings), updated_at=now
            )
        )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


async def run_due_jobs(db: Database, settings: Settings) -> int:
    """The worker duty: claim due jobs and run them to the end; returns how many ended."""
    owner = new_id("wrk")
    claimed = await claim(db, settings, owner)
    if not claimed:
        return 0
    ended = await asyncio.gather(*(run_job(db, settings, job, owner) for job in claimed))
    return sum(ended)


# The jobs this process runs in the background. A crawl takes minutes, and the worker's pass
# must not wait for it: sends, polls and webhooks fall due meanwhile. A process that dies takes
# its tasks with it and leaves leases that expire, so another worker picks the jobs up.
_running: set[asyncio.Task[bool]] = set()


async def start_due_jobs(db: Database, settings: Settings) -> int:
    """The worker duty: claim due jobs, up to JOBS_PER_PASS running at once in this process,
    and start them in the background; returns how many were started."""
    room = JOBS_PER_PASS - len(_running)
    if room <= 0:
        return 0
    owner = new_id("wrk")
    claimed = await claim(db, settings, owner, limit=room)
    for job in claimed:
        task = asyncio.create_task(run_job(db, settings, job, owner))
        _running.add(task)
        task.add_done_callback(_running.discard)
    return len(claimed)


async def wait_for_running() -> None:
    """Until every job this process started has ended (tests, and a graceful stop)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)


async def run_job(db: Database, settings: Settings, job: ClaimedJob, owner: str) -> bool:
    """Run one claimed job; True when this worker recorded its end (done or failed)."""
    tally = Tally()
    work = asyncio.create_task(_discover(db, settings, job, tally))
    try:
        if not await _report_until_done(db, settings, job, owner, tally, work):
            log.warning("discovery_job_lease_lost", job=job.id)
            return False
        found = work.result()
    except asyncio.CancelledError:
        raise
    except NotFound:
        return await _fail(db, job, owner, tally, "The campaign no longer exists.")
    except NotConfigured as exc:
        return await _fail(db, job, owner, tally, exc.msg)
    except ServiceUnavailable:
        return await _fail(db, job, owner, tally, "Search provider unavailable.")
    except Exception as exc:  # the job fails in words; the worker carries on
        log.error("discovery_job_failed", job=job.id, error_type=type(exc).__name__, exc_info=exc)
        return await _fail(db, job, owner, tally, UNEXPECTED)
    finally:
        if not work.done():  # we were cancelled, or lost the lease: the crawl stops too
            work.cancel()
            with contextlib.suppress(BaseException):
                await work
    return await _finish(db, job, owner, tally, found)


async def _report_until_done(
    db: Database,
    settings: Settings,
    job: ClaimedJob,
    owner: str,
    tally: Tally,
    work: asyncio.Task[Discovery],
) -> bool:
    """Write progress while `work` runs; False (and the work cancelled) if the lease is lost."""
    written: dict[str, int] | None = None
    written_at = time.monotonic()
    renew_every = settings.discovery_job_lease_seconds / 3
    while True:
        done, _ = await asyncio.wait({work}, timeout=PROGRESS_EVERY)
        if done:
            return True
        progress = tally.snapshot()
        if progress == written and time.monotonic() - written_at < renew_every:
            continue
        try:
            held = await write_progress(db, settings, job.id, owner, progress)
        except Exception as exc:  # noqa: BLE001 - progress is a report; the next tick retries
            log.warning("discovery_progress_not_written", job=job.id, error=type(exc).__name__)
            continue
        if not held:
            work.cancel()
            return False
        written, written_at = progress, time.monotonic()


async def _discover(db: Database, settings: Settings, job: ClaimedJob, tally: Tally) -> Discovery:
    keywords: list[str] = []
    if job.campaign_id:
        async with db.read() as session:
            campaign = await get_campaign(session, _acting(job), job.campaign_id)
            keywords = list(campaign.keywords or [])
    found = await discover(
        settings, job.keyword, max_results=job.max_results, campaign_keywords=keywords, tally=tally
    )
    # Sorted by score, best first: what falls below the bar is the tail.
    found.results = [r for r in found.results if r.combined >= job.min_score]
    return found


def _acting(job: ClaimedJob) -> Principal:
    """The job acts in its own workspace, which the API checked was the caller's."""
    return Principal(user_id=job.workspace_id)


async def _still_held(session: AsyncSession, job: ClaimedJob, owner: str) -> bool:
    # Locks the row (PostgreSQL) until the transaction ends, so the lease cannot pass to
    # another worker between this check and the final write.
    row = await session.execute(_held(job.id, owner).values(updated_at=utcnow()).returning(_J.id))
    return row.first() is not None


async def _finish(
    db: Database, job: ClaimedJob, owner: str, tally: Tally, found: Discovery
) -> bool:
    results = [to_result(item).model_dump(mode="json") for item in found.results]
    try:
        async with db.write() as session:
            if not await _still_held(session, job, owner):
                return False
            saved = skipped = failed = 0
            if job.save_to_campaign and job.campaign_id:
                campaign = await get_campaign(session, _acting(job), job.campaign_id)
                saved, skipped, failed = await save_results(session, campaign, found, job.keyword)
            await session.execute(
                _held(job.id, owner).values(
                    **_ended("done", None),
                    progress=tally.snapshot(),
                    results=results,
                    saved_to_campaign=saved,
                    already_in_campaign=skipped,
                    save_failed=failed,
                )
            )
    except NotFound:
        return await _fail(db, job, owner, tally, CAMPAIGN_GONE, results)
    log.info("discovery_job_done", job=job.id, results=len(results), saved=saved)
    return True


async def _fail(
    db: Database,
    job: ClaimedJob,
    owner: str,
    tally: Tally,
    error: str,
    results: list[dict[str, Any]] | None = None,
) -> bool:
    async with db.write() as session:
        result = await session.execute(
            _held(job.id, owner).values(
                **_ended("failed", error), progress=tally.snapshot(), results=results or []
            )
        )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]
