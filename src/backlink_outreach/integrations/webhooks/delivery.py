"""The webhook delivery duty: claim due deliveries, post them signed, record how each went.

0. Fan out (`fanout.py`): the deliveries of events recorded since, one per endpoint.
1. Claim (one short transaction): due pending deliveries of enabled endpoints, locked with
   `FOR UPDATE SKIP LOCKED` on PostgreSQL, get `next_attempt_at` pushed a lease ahead. Nothing
   else changes, so a worker killed from here on leaves them pending: they fall due again when
   the lease runs out and go out with the same `webhook-id` (the event's id). At least once.
2. Post, outside any transaction, up to `WEBHOOK_CONCURRENCY` at once and at most
   `ENDPOINT_CONCURRENCY` to any one endpoint (so a slow endpoint cannot take every slot and
   hold back the others), each with its own timestamp and signature and a 10 s timeout; every
   hop through the SSRF guard unless `WEBHOOK_ALLOW_PRIVATE_NETWORKS`.
3. Record (one transaction): delivered, or due again after 5 s, 30 s, 2 min, 10 min, 1 h, 6 h,
   then given up; one log row per attempt; 20 give-ups in a row disable the endpoint.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
import structlog
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ...config import Settings
from ...database import Database
from ...db import utcnow
from ...discovery.ssrf import BlockedURL, check_url, guarded_transport
from ...ids import new_id
from ...mailboxes import secrets as sealing
from ...models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .. import events as outbox
from .fanout import fan_out
from .signer import Signer

log = structlog.get_logger(__name__)

# After the n-th failed attempt the next one is due this long after it; after the last, give up.
RETRY_AFTER = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
GIVE_UPS_TO_DISABLE = 20
# Posts in flight to one endpoint. More buys nothing from a healthy receiver (keep-alive
# connections are reused) and costs the client: httpcore scans every pooled connection on each
# request, so on loopback 32 connections deliver at a third of the rate of 4 (bench_webhooks).
ENDPOINT_CONCURRENCY = 4
DISABLED_REASON = f"{GIVE_UPS_TO_DISABLE} deliveries given up in a row"
# One duty call drains what is due, but yields to the other duties after this long.
PASS_SECONDS = 30.0
USER_AGENT = "backlink-outreach-webhooks/1"

_D = cast(Table, WebhookDelivery.__table__)
_E = cast(Table, WebhookEndpoint.__table__)
_EV = cast(Table, OutboxEvent.__table__)
_ATTEMPTS = cast(Table, WebhookAttempt.__table__)


@dataclass
class Claimed:
    delivery_id: str | None  # None: a test delivery (no queue row)
    event_id: str
    endpoint_id: str
    attempt: int  # this attempt's number, from 1
    type: str
    payload: str
    url: str
    secret_sealed: str


@dataclass
class Result:
    item: Claimed
    delivered: bool
    status_code: int | None
    error: str | None
    finished: float


def client(settings: Settings) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=settings.webhook_concurrency,
        max_keepalive_connections=settings.webhook_concurrency,
    )
    transport = (
        httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
        if settings.webhook_allow_private_networks
        else guarded_transport(limits)
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=settings.webhook_timeout_seconds,
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": USER_AGENT, "content-type": "application/json"},
    )


async def deliver_due(db: Database, settings: Settings) -> int:
    """The duty: deliver everything due (a batch at a time); how many attempts were made."""
    done = 0
    started = time.monotonic()
    http: httpx.AsyncClient | None = None
    try:
        while time.monotonic() - started < PASS_SECONDS:
            await fan_out(db)
            claimed = await claim(db, settings)
            if not claimed:
                break
            http = http or client(settings)
            # Every post starts in the lease's first half, so it ends (10 s timeout) before
            # another worker may claim the row again.
            start_by = time.monotonic() + settings.webhook_lease_seconds / 2
            results = await post_all(http, settings, claimed, start_by)
            async with db.write() as session:
                await record(session, results)
            done += len(claimed)
            if len(claimed) < settings.webhook_batch_size:
                break
    finally:
        if http is not None:
            await http.aclose()
    return done


async def claim(db: Database, settings: Settings) -> list[Claimed]:
    async with db.write() as session:
        now = utcnow()
        due = (
            select(_D.c.id)
            .join(_E, _E.c.id == _D.c.endpoint_id)
            .where(_D.c.status == "pending", _D.c.next_attempt_at <= now, _E.c.status == "enabled")
            .order_by(_D.c.next_attempt_at)
            .limit(settings.webhook_batch_size)
            .with_for_update(skip_locked=True, of=_D)
        )
        ids = list((await session.execute(due)).scalars())
        if not ids:
            return []
        lease_until = now + timedelta(seconds=settings.webhook_lease_seconds)
        await session.execute(
            update(_D).where(_D.c.id.in_(ids)).values(next_attempt_at=lease_until)
        )
        rows = await session.execute(
            select(
                _D.c.id,
                _D.c.event_id,
                _D.c.endpoint_id,
                _D.c.attempts,
                _EV.c.type,
                _EV.c.payload,
                _E.c.url,
                _E.c.secret_sealed,
            )
            .join(_EV, _EV.c.id == _D.c.event_id)
            .join(_E, _E.c.id == _D.c.endpoint_id)
            .where(_D.c.id.in_(ids))
        )
        return [
            Claimed(
                r.id,
                r.event_id,
                r.endpoint_id,
                r.attempts + 1,
                r.type,
                r.payload,
                r.url,
                r.secret_sealed,
            )
            for r in rows
        ]


async def post_all(
    http: httpx.AsyncClient,
    settings: Settings,
    claimed: list[Claimed],
    start_by: float | None = None,
) -> list[Result]:
    """Post every claimed delivery; one whose turn comes after `start_by` (monotonic time) is
    left untried: its row keeps its lease and falls due again when the lease runs out, so a
    slow endpoint's backlog never outlives the lease and gets posted twice."""
    key = sealing.secrets_key(settings)
    signers: dict[str, Signer | None] = {}
    endpoint_gates: dict[str, asyncio.Semaphore] = {}
    for item in claimed:
        if item.endpoint_id not in signers:
            try:
                secret = sealing.unseal(key, item.secret_sealed, item.endpoint_id)
                signers[item.endpoint_id] = Signer(secret)
            except sealing.UnsealError:
                signers[item.endpoint_id] = None
            endpoint_gates[item.endpoint_id] = asyncio.Semaphore(ENDPOINT_CONCURRENCY)
    gate = asyncio.Semaphore(settings.webhook_concurrency)

    async def one(item: Claimed) -> Result | None:
        # The endpoint's slot first: a post waiting for a busy endpoint holds no global slot.
        async with endpoint_gates[item.endpoint_id], gate:
            if start_by is not None and time.monotonic() > start_by:
                return None
            return await post(http, settings, item, signers[item.endpoint_id])

    results = await asyncio.gather(*(one(item) for item in claimed))
    return [result for result in results if result is not None]


async def post(
    http: httpx.AsyncClient, settings: Settings, item: Claimed, signer: Signer | None
) -> Result:
    def done(delivered: bool, status: int | None, error: str | None) -> Result:
        return Result(item, delivered, status, error, time.monotonic())

    if signer is None:
        return done(False, None, "the signing secret cannot be decrypted with this SECRETS_KEY")
    try:
        check_url(item.url, allow_private=settings.webhook_allow_private_networks)
    except BlockedURL as exc:
        return done(False, None, f"refused: {exc}")
    body = item.payload.encode()
    headers = signer.headers(item.event_id, int(time.time()), body)
    try:
        response = await http.post(item.url, content=body, headers=headers)
    except BlockedURL as exc:
        return done(False, None, f"refused: {exc}")
    except httpx.TimeoutException:
        return done(False, None, "timed out")
    except httpx.ConnectError:
        return done(False, None, "connection refused or unreachable")
    except httpx.HTTPError as exc:
        return done(False, None, f"HTTP error: {type(exc).__name__}")
    if 200 <= response.status_code < 300:
        return done(True, response.status_code, None)
    return done(False, response.status_code, f"HTTP {response.status_code}")


_SETTLE = (
    update(_D)
    .where(_D.c.id == bindparam("d_id"), _D.c.status == "pending")
    .values(
        status=bindparam("d_status"),
        attempts=bindparam("d_attempts"),
        next_attempt_at=bindparam("d_next"),
        updated_at=bindparam("d_now"),
    )
)


async def record(session: AsyncSession, results: list[Result]) -> None:
    now = utcnow()
    settle: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    by_endpoint: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        item = result.item
        gave_up = not result.delivered and item.attempt >= MAX_ATTEMPTS
        next_at: datetime | None = None
        if not result.delivered and not gave_up:
            next_at = now + RETRY_AFTER[item.attempt - 1]
        status = "delivered" if result.delivered else "failed" if gave_up else "pending"
        settle.append(
            {
                "d_id": item.delivery_id,
                "d_status": status,
                "d_attempts": item.attempt,
                "d_next": next_at or now,
                "d_now": now,
            }
        )
        attempts.append(attempt_row(result, now, next_at))
        if result.delivered or gave_up:
            by_endpoint[item.endpoint_id].append(result)
    await session.execute(_SETTLE, settle)
    await session.execute(insert(_ATTEMPTS), attempts)
    await _count_give_ups(session, by_endpoint, now)


def attempt_row(result: Result, now: datetime, next_at: datetime | None) -> dict[str, Any]:
    item = result.item
    return {
        "id": new_id("wha"),
        "endpoint_id": item.endpoint_id,
        "delivery_id": item.delivery_id,
        "event_id": item.event_id,
        "type": item.type,
        "attempt": item.attempt,
        "status_code": result.status_code,
        "error": result.error[:300] if result.error else None,
        "at": now,
        "next_retry_at": next_at,
        "delivered": result.delivered,
    }


async def _count_give_ups(
    session: AsyncSession, by_endpoint: dict[str, list[Result]], now: datetime
) -> None:
    """Give-ups in a row per endpoint, in the order the attempts ended; a success resets."""
    for endpoint_id, outcomes in by_endpoint.items():
        outcomes.sort(key=lambda r: r.finished)
        last_success = max((i for i, r in enumerate(outcomes) if r.delivered), default=-1)
        trailing = len(outcomes) - last_success - 1
        if last_success >= 0:
            count: Any = trailing
        elif trailing:
            count = _E.c.give_ups_in_a_row + trailing
        else:
            continue
        await session.execute(
            update(_E).where(_E.c.id == endpoint_id).values(give_ups_in_a_row=count)
        )
        if trailing:
            disabled = await session.execute(
                update(_E)
                .where(
                    _E.c.id == endpoint_id,
                    _E.c.status == "enabled",
                    _E.c.give_ups_in_a_row >= GIVE_UPS_TO_DISABLE,
                )
                .values(status="disabled", disabled_reason=DISABLED_REASON, updated_at=now)
                .returning(_E.c.id)
            )
            if disabled.first() is not None:
                log.warning("webhook_endpoint_disabled", endpoint_id=endpoint_id)


async def send_test(db: Database, settings: Settings, endpoint: WebhookEndpoint) -> dict[str, Any]:
    """`POST /webhooks/{id}/test`: one signed `webhook.test` event, posted now (outside any
    transaction), logged like any attempt, never retried and never counted as a give-up."""
    now = utcnow()
    event_id = new_id("evt")
    data = {"webhook_id": endpoint.id, "message": "a test event from Backlink Outreach"}
    item = Claimed(
        None,
        event_id,
        endpoint.id,
        1,
        outbox.TEST_EVENT,
        outbox.body(outbox.TEST_EVENT, now, data),
        endpoint.url,
        endpoint.secret_sealed,
    )
    async with client(settings) as http:
        (result,) = await post_all(http, settings, [item])
    row = attempt_row(result, utcnow(), None)
    async with db.write() as session:
        await session.execute(insert(_ATTEMPTS), [row])
    return row
