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
from ..models import InboundMessage, Lead, OutreachAttempt, Reply
from . import effects, soft_bounces, threading
from .classify import Result, classify, referral
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
# The inbox keeps the text and the whole plain text (`GET /replies/{id}`); a message bigger
# than this is kept cut (the size limit of a fetch is larger, and nobody reads further).
KEPT_TEXT_CHARS = 100_000
SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID")
HEADER_CHARS = 998
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
    status: str  # filed | failed | ignored | own | unmatched
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
    reply_mailbox_id: str | None = None,
) -> list[Outcome]:
    """File a batch with a few set-based statements. With `isolate`, each message's reply and
    effects get their own savepoint, so one that fails while filing becomes `failed` without
    losing the others (the slow path, used only when the batch as a whole failed).

    With `workspace_id` (a workspace's own mailbox), only that workspace's messages are matched,
    so nothing is ever filed into another workspace; a message that answers none of them is kept
    as that workspace's unmatched mail (once: the same message again is not kept twice) but not
    remembered as seen, so another workspace's mailbox (or `mbx_default`) holding the same
    message may still file it there. `reply_mailbox_id` (the mailbox's id) goes on the
    replies."""
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
    where = _Where(workspace_id, reply_mailbox_id, own_addresses)
    decided = [(item, *_decide(item, index, leads, where, now)) for item in fresh]
    kept = await _already_kept(session, workspace_id, [r for _, _, r in decided if r])
    others = await _answers_to_others(session, workspace_id, decided)
    for item, outcome, reply in decided:
        outcomes.append(outcome)
        if reply is None:
            continue
        if reply.row.unmatched and (reply.row.message_id in kept or item.key in others):
            # Kept from an earlier read of the same mail, or an answer to another
            # workspace's message (that workspace's own mailbox or `mbx_default` files it).
            outcome.status = "ignored"
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
        if workspace_id is None or outcome.status not in ("ignored", "unmatched")
    ]
    if rows:
        await session.execute(cast(Table, InboundMessage.__table__).insert(), rows)
    return outcomes


@dataclass(frozen=True)
class _Where:
    """The mailbox a batch comes from: its workspace (None: `mbx_default`), id, addresses."""

    workspace_id: str | None
    mailbox_id: str | None
    own_addresses: set[str]


def _decide(
    item: Prepared,
    index: threading.AttemptIndex,
    leads: set[str],
    where: _Where,
    now: datetime,
) -> tuple[Outcome, Filed | None]:
    parsed = item.parsed
    if parsed is None:
        return Outcome("failed"), None
    if threading.is_own_copy(parsed, index, where.own_addresses):
        return Outcome("own"), None
    found = threading.match(parsed, item.result, index)
    if found is None:
        if where.workspace_id is None or item.error or item.result is None:
            # The default mailbox's mail that answers nothing stays invisible (part 1).
            return Outcome("ignored"), None
        row = _unmatched(item, item.result, parsed, where, now)
        return Outcome("unmatched", where.workspace_id), Filed(row, "")
    attempt = found.attempt
    outcome = Outcome("filed", attempt.workspace_id, attempt.campaign_id)
    if item.error or item.result is None or attempt.lead_id not in leads:
        outcome.status = "failed"
        return outcome, None
    row = _reply(item.result, parsed, found, where, now)
    return outcome, Filed(row, attempt.recipient_email, item.result.complaint)


def _unmatched(
    item: Prepared, result: Result, parsed: Parsed, where: _Where, now: datetime
) -> ReplyRow:
    assert where.workspace_id is not None
    row = _row(result, parsed, where, now, where.workspace_id, item.key)
    row.unmatched = True
    row.reasons = [*result.reasons, "answers none of our messages"]
    return row


def _reply(
    result: Result, parsed: Parsed, found: threading.Match, where: _Where, now: datetime
) -> ReplyRow:
    attempt = found.attempt
    row = _row(result, parsed, where, now, attempt.workspace_id, parsed.message_id)
    row.campaign_id, row.lead_id, row.attempt_id = (
        attempt.campaign_id,
        attempt.lead_id,
        attempt.id,
    )
    row.reasons.append(f"matched by {found.method.replace('_', ' ')}")
    if found.low_confidence:
        row.confidence = min(row.confidence, 0.45)
        row.reasons.append("sender is another address on the lead's domain (a colleague)")
    row.referral_email = _referral(result, parsed, where, attempt.recipient_email)
    if result.bounce is not None and result.classification == "bounce":
        line = result.bounce.for_address(attempt.recipient_email)
        row.bounce_type = "hard" if line and line.hard else "soft"
        row.bounce_status = (line.status if line else None) or None
        row.bounce_recipient = attempt.recipient_email
        detail = " ".join((line.diagnostic if line else "").split())
        row.snippet = detail[:SNIPPET_CHARS]
    return row


def _referral(result: Result, parsed: Parsed, where: _Where, recipient: str | None) -> str | None:
    """The address the message points to, never ours nor the sender's. Looked for in every
    human reply (shown only while it is classed `wrong_person`), so a correction to
    `wrong_person` has it."""
    found = result.referral_email
    if found is None and result.bounce is None and not result.automatic:
        found = referral(result.new_text, parsed, recipient)
    if found is None:
        return None
    found = found.lower()
    ours = {a.lower() for a in where.own_addresses}
    if found in ours or found == parsed.from_email.lower() or found == (recipient or "").lower():
        return None
    return found[:320]


def _row(
    result: Result,
    parsed: Parsed,
    where: _Where,
    now: datetime,
    workspace_id: str,
    message_id: str | None,
) -> ReplyRow:
    """The reply's row without a lead: what the message itself says."""
    received = parsed.date if parsed.date and parsed.date <= now + timedelta(days=1) else now
    return ReplyRow(
        id=new_id("rpl"),
        workspace_id=workspace_id,
        campaign_id=None,
        lead_id=None,
        attempt_id=None,
        message_id=message_id,
        from_email=(parsed.from_email or parsed.header("From"))[:320],
        subject=parsed.subject[:1000],
        snippet=" ".join(result.new_text.split())[:SNIPPET_CHARS],
        received_at=received,
        classification=result.classification,
        confidence=round(result.confidence, 3),
        reasons=list(result.reasons),
        bounce_type=None,
        bounce_status=None,
        bounce_recipient=None,
        return_date=result.return_date,
        created_at=now,
        text=_kept(result.new_text, KEPT_TEXT_CHARS),
        body=_kept(parsed.text, KEPT_TEXT_CHARS),
        headers={
            name: _kept(parsed.header(name), HEADER_CHARS)
            for name in SHOWN_HEADERS
            if parsed.header(name)
        },
        mailbox_id=where.mailbox_id,
    )


def _kept(value: str, limit: int) -> str:
    # PostgreSQL refuses NUL in text: hostile mail must not fail its batch.
    return value.replace("\x00", "")[:limit]


def _answered_ids(item: Prepared) -> set[str]:
    """The Message-IDs a message says it answers (threading headers, a report's original)."""
    ids: set[str] = set()
    if item.parsed is not None:
        ids.update(item.parsed.in_reply_to, item.parsed.references)
    if item.result is not None and item.result.bounce is not None:
        ids.update(item.result.bounce.original_message_ids)
    return ids


async def _answers_to_others(
    session: AsyncSession,
    workspace_id: str | None,
    decided: list[tuple[Prepared, Outcome, Filed | None]],
) -> set[str]:
    """The keys of the batch's unmatched messages that answer another workspace's message:
    they are ours, only not this workspace's, so they are not its unmatched mail."""
    wanted = {
        item.key: _answered_ids(item)
        for item, _, reply in decided
        if reply is not None and reply.row.unmatched
    }
    ids = sorted(set().union(*wanted.values())) if wanted else []
    if workspace_id is None or not ids:
        return set()
    known: set[str] = set()
    for chunk in in_batches(ids):
        known.update(
            await session.scalars(
                select(OutreachAttempt.message_id).where(
                    OutreachAttempt.message_id.in_(chunk),
                    OutreachAttempt.workspace_id != workspace_id,
                )
            )
        )
    return {key for key, answered in wanted.items() if answered & known}


async def _already_kept(
    session: AsyncSession, workspace_id: str | None, filed: list[Filed]
) -> set[str]:
    """The unmatched messages of the batch that the workspace already keeps (read again
    from another of its mailboxes, or after a mailbox was reset)."""
    keys = sorted({f.row.message_id for f in filed if f.row.unmatched and f.row.message_id})
    kept: set[str] = set()
    if workspace_id is None or not keys:
        return kept
    for chunk in in_batches(keys):
        found = await session.scalars(
            select(Reply.message_id).where(
                Reply.workspace_id == workspace_id,
                Reply.unmatched.is_(True),
                Reply.message_id.in_(chunk),
            )
        )
        kept.update(m for m in found if m is not None)
    return kept


async def _file(session: AsyncSession, filed: list[Filed], now: datetime) -> None:
    """Insert the replies and apply their effects, as if filed one by one in list order."""
    if not filed:
        return
    rows = [item.row for item in filed]
    await soft_bounces.upgrade_repeated(session, rows)
    await session.execute(_REPLIES.insert(), [row.values() for row in rows])
    # Their events (status changes, bounces, `reply.received`) in one INSERT.
    async with outbox.batch(session):
        await lifecycle.apply(session, effects.events_for(filed), now)
        # Unmatched mail is nobody's reply yet: no `reply.received` until it is filed under a lead.
        await outbox.record_many(
            session,
            [
                (row.workspace_id, "reply.received", functools.partial(payloads.reply, row))
                for row in rows
                if not row.unmatched
            ],
            now,
        )
