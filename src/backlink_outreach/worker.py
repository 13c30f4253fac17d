"""The background loop: work that carries its own due time in the domain tables.

There is no job queue. Each duty claims its due rows itself (`FOR UPDATE SKIP LOCKED` on
PostgreSQL), so any number of workers can run side by side; `serve` embeds one by default.
The loop knows no domain: the composition root (`duties.py`) hands it the list of duties.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import structlog

from .config import Settings
from .database import Database

log = structlog.get_logger(__name__)

# A duty does the work that is due and returns how much it did.
Duty = Callable[[Database, Settings], Awaitable[int]]
Duties = Sequence[tuple[str, Duty]]


async def run_once(db: Database, settings: Settings, duties: Duties) -> dict[str, int]:
    """One pass over every duty. A failing duty is logged and does not stop the others."""
    done: dict[str, int] = {}
    for name, duty in duties:
        try:
            done[name] = await duty(db, settings)
        except Exception as exc:  # the loop must survive any one duty
            log.error("worker_duty_failed", duty=name, error_type=type(exc).__name__, exc_info=exc)
            done[name] = 0
    return done


async def run_forever(
    db: Database, settings: Settings, duties: Duties, stop: asyncio.Event
) -> None:
    log.info("worker_started", interval_seconds=settings.worker_interval_seconds)
    while not stop.is_set():
        done = await run_once(db, settings, duties)
        if any(done.values()):
            log.info("worker_pass", **done)
        try:
            await asyncio.wait_for(stop.wait(), timeout=settings.worker_interval_seconds)
        except TimeoutError:
            pass
    log.info("worker_stopped")
