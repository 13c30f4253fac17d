"""Turning fetched messages into replies: parse and classify (pure, in a thread), then file a
batch in one transaction: dedupe, match, store, apply effects, remember what was seen."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

import structlog
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import in_batches
from ..ids import new_id
from ..integrations import events as outbox
from ..integrations import payloads
from ..leads import lifecycle
from ..models import InboundMessage, Lead, Reply
from . import effects, soft_bounces, threading
from .classify import Result, classify
from .effects import Filed, ReplyRow
from .imap import Fetched
from .parsing import Parsed, parse

log = structlog.get_logger(__name__)

# Defects that make a human reply unreadable; a bounce is still understood without them.
FATAL_DEFECTS = {
    "no_from": "missing_headers",
    "undecodable_text": "undecodable_text",
    "broken_multipart": "broken_mime",
}
SNIPPET_CHARS = 300
_REPLIES = cast(Table, Reply.__table__)


@dataclass
class Prepared:
    uid: int
    key: str
    parsed: Parsed | None
    result: Result | None
    error: str | None = None


@dataclass
class Outcome:
    status: str  # filed | failed | ignored | own
    workspace_id: str | None = None
    campaign_id: str | None = None


def prepare(item: Fetched, today: date) -> Prepared:
    """Parse and classify one message. Never raises: a problem becomes `error`."""
    raw = item.raw if item.raw is not None else (item.header or b"")
    if item.raw is None:
        parsed = _headers_only(raw)
        return Prepared(item.uid, _key(parsed, raw), parsed, None, "too_large")
    try:
        parsed = parse(raw)
    except Exception as exc:  # noqa: BLE001 - hostile input must not stop the poll
        parsed = _headers_only(raw)
        return Prepared(item.uid, _key(parsed, raw), parsed, None, _error("parse", exc))
    try:
        result = classify(parsed, today=today)
    except Exception as exc:  # noqa: BLE001
        return Prepared(item.uid, _key(parsed, raw), parsed, None, _error("classify", exc))
    error = None
    if result.classification != "bounce":
        fatal = [FATAL_DEFECTS[d] for d in parsed.defects if d in FATAL_DEFECTS]
        error = fatal[0] if fatal else None
    return Prepared(item.uid, _key(parsed, raw), parsed, result, error)


def _error(stage: str, exc: Exception) -> str:
    log.warning("reply_unreadable", stage=stage, error_type=type(exc).__name__)
    return f"{stage}_error"


def _key(parsed: Parsed | None, raw: bytes) -> str:
    """The dedupe key: the Message-ID, or a hash of the bytes for mail without one."""
    if parsed and parsed.message_id:
        return parsed.message_id[:998]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _headers_only(raw: bytes) -> Parsed | None:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    try:
        return parse(head + b"\r\n\r\n")
    except Exception:  # noqa: BLE001 - not even the headers can be read
        return None


async def file_batch(
    session: AsyncSession,
    mailbox_id: str,
    batch: list[Prepared],
    own_addresses: set[str],
    now: datetime,
    *,
    isolate: bool = False,
    workspace_id: str | None = None,
) -> list[Outcome]:
    """File a batch with a few set-based statements. With `isolate`, each message's reply and
    effects get their own savepoint, so one that fails while filing becomes `failed` without
    losing the others (the slow path, used only when the batch as a whole failed).

    With `workspace_id` (a workspace's own mailbox), only that workspace's messages are matched,
    so nothing is ever filed into another workspace; a message that answers none of them is not
    remembered as seen, so another workspace's mailbox (or `mbx_default`) holding the same
    message may still file it there."""
    keys = list({p.key for p in batch})
    seen: set[str] = set()
    for chunk in in_batches(keys):
        seen.update(
            await session.scalars(
                select(InboundMessage.message_key).where(InboundMessage.message_key.in_(chunk))
            )
        )
    fresh: list[Prepared] = []
    for item in batch:
        if item.key not in seen:
            seen.add(item.key)
            fresh.append(item)
    index = await threading.load_index(
        session,
        [threading.needs_of(p.parsed, p.result) for p in fresh if p.parsed],
        now,
        workspace_id=workspace_id,
    )
    lead_ids = {a.lead_id for a in index.by_message_id.values()}
    lead_ids |= {a.lead_id for group in index.by_recipient.values() for a in group}
    lead_ids |= {a.lead_id for group in index.by_domain.values() for a in group}
    leads: set[str] = set()
    for chunk in in_batches(sorted(lead_ids)):
        leads.update(await session.scalars(select(Lead.id).where(Lead.id.in_(chunk))))
    outcomes: list[Outcome] = []
    filed: list[Filed] = []
    for item in fresh:
        outcome, reply = _decide(item, index, leads, own_addresses, now)
        outcomes.append(outcome)
        if reply is None:
            continue
        if not isolate:
            filed.append(reply)
            continue
        try:
            async with session.begin_nested():
                await _file(session, [reply], now)
        except Exception as exc:  # one bad message must not lose the batch
            log.error("reply_filing_failed", error_type=type(exc).__name__, exc_info=exc)
            item.error = "filing_error"
            outcome.status = "failed"
    await _file(session, filed, now)
    rows = [
        {
            "message_key": item.key,
            "mailbox_id": mailbox_id,
            "uid": item.uid,
            "status": outcome.status,
            "tries": 1,
            "workspace_id": outcome.workspace_id,
            "campaign_id": outcome.campaign_id,
            "error": item.error if outcome.status == "failed" else None,
            "created_at": now,
        }
        for item, outcome in zip(fresh, outcomes, strict=True)
        if workspace_id is None or outcome.status != "ignored"
    ]
    if rows:
        await session.execute(cast(Table, InboundMessage.__table__).insert(), rows)
    return outcomes


def _decide(
    item: Prepared,
    index: threading.AttemptIndex,
    leads: set[str],
    own_addresses: set[str],
    now: datetime,
) -> tuple[Outcome, Filed | None]:
    parsed = item.parsed
    if parsed is None:
        return Outcome("failed"), None
    if threading.is_own_copy(parsed, index, own_addresses):
        return Outcome("own"), None
    found = threading.match(parsed, item.result, index)
    if found is None:
        return Outcome("ignored"), None
    attempt = found.attempt
    outcome = Outcome("filed", attempt.workspace_id, attempt.campaign_id)
    if item.error or item.result is None or attempt.lead_id not in leads:
        outcome.status = "failed"
        return outcome, None
    row = _reply(item.result, parsed, found, now)
    return outcome, Filed(row, attempt.recipient_email, item.result.complaint)


def _reply(result: Result, parsed: Parsed, found: threading.Match, now: datetime) -> ReplyRow:
    attempt = found.attempt
    reasons = [*result.reasons, f"matched by {found.method.replace('_', ' ')}"]
    confidence = result.confidence
    if found.low_confidence:
        confidence = min(confidence, 0.45)
        reasons.append("sender is another address on the lead's domain (a colleague)")
    received = parsed.date if parsed.date and parsed.date <= now + timedelta(days=1) else now
    row = ReplyRow(
        id=new_id("rpl"),
        workspace_id=attempt.workspace_id,
        campaign_id=attempt.campaign_id,
        lead_id=attempt.lead_id,
        attempt_id=attempt.id,
        message_id=parsed.message_id,
        from_email=(parsed.from_email or parsed.header("From"))[:320],
        subject=parsed.subject[:1000],
        snippet=" ".join(result.new_text.split())[:SNIPPET_CHARS],
        received_at=received,
        classification=result.classification,
        confidence=round(confidence, 3),
        reasons=reasons,
        bounce_type=None,
        bounce_status=None,
        bounce_recipient=None,
        return_date=result.return_date,
        created_at=now,
    )
    if result.bounce is not None and result.classification == "bounce":
        line = result.bounce.for_address(attempt.recipient_email)
        row.bounce_type = "hard" if line and line.hard else "soft"
        row.bounce_status = (line.status if line else None) or None
        row.bounce_recipient = attempt.recipient_email
        detail = " ".join((line.diagnostic if line else "").split())
        row.snippet = detail[:SNIPPET_CHARS]
    return row


async def _file(session: AsyncSession, filed: list[Filed], now: datetime) -> None:
    """Insert the replies and apply their effects, as if filed one by one in list order."""
    if not filed:
        return
    rows = [item.row for item in filed]
    await soft_bounces.upgrade_repeated(session, rows)
    await session.execute(_REPLIES.insert(), [row.values() for row in rows])
    await lifecycle.apply(session, effects.events_for(filed), now)
    await outbox.record_many(
        session,
        [
            (row.workspace_id, "reply.received", functools.partial(payloads.reply, row))
            for row in rows
        ],
        now,
    )
