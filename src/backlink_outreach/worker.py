"""The background loop: work that carries its own due time in the domain tables.

There is no job queue. Each duty claims its due rows itself (`FOR UPDATE SKIP LOCKED` on
PostgreSQL), so any number of workers can run side by side; `serve` embeds one by default.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .config import Settings

log = structlog.get_logger(__name__)


@dataclass
class WorkerContext:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]


Duty = Callable[[WorkerContext], Awaitable[int]]


def duties() -> list[tuple[str, Duty]]:
    """Every domain's due work, in the order it runs in one pass. Each returns how much it did."""
    found: list[tuple[str, Duty]] = []
    from .outreach.followup_sender import send_due as send_due_follow_ups

    found.append(("follow_ups", send_due_follow_ups))
    from .replies.service import poll_duty as poll_mailbox

    found.append(("mailbox_poll", poll_mailbox))
    return found


async def run_once(ctx: WorkerContext) -> dict[str, int]:
    """One pass over every duty. A failing duty is logged and does not stop the others."""
    done: dict[str, int] = {}
    for name, duty in duties():
        try:
            done[name] = await duty(ctx)
        except Exception as exc:  # the loop must survive any one duty
            log.error("worker_duty_failed", duty=name, error_type=type(exc).__name__, exc_info=exc)
            done[name] = 0
    return done


async def run_forever(ctx: WorkerContext, stop: asyncio.Event) -> None:
    log.info("worker_started", interval_seconds=ctx.settings.worker_interval_seconds)
    while not stop.is_set():
        done = await run_once(ctx)
        if any(done.values()):
            log.info("worker_pass", **done)
        try:
            await asyncio.wait_for(stop.wait(), timeout=ctx.settings.worker_interval_seconds)
        except TimeoutError:
            pass
    log.info("worker_stopped")
