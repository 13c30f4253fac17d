"""Which of our sent messages an inbound message answers.

Order of evidence: `In-Reply-To`, then `References` from last to first (agreeing with the
subject), then for bounces the original message embedded in the report or, when the report
quotes none of our Message-IDs, the failed recipient (the address the message was sent to
before any forwarding or alias address the report names; the latest attempt to it within 30
days, an address we never wrote to matching nothing), then the sender's address (a lead we
contacted in the last 60 days), then, flagged as low confidence, another address on that
lead's domain (a colleague), only when exactly one workspace contacted it. Lookups are
batched: one poll batch costs a few queries, not a few per message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import in_batches
from ..domains import registrable_domain
from ..models import Lead, OutreachAttempt
from ..subjects import subject_key
from .classify import Result
from .parsing import Parsed

CONTACT_WINDOW = timedelta(days=60)
# A bounce arrives within minutes, or days when the server retried: a report about an address
# we last wrote to more than 30 days ago is not about that attempt.
BOUNCE_WINDOW = timedelta(days=30)


@dataclass(slots=True)
class SentRef:
    """The columns of a sent attempt that matching and filing read; loading whole ORM objects
    (with bodies, into the identity map) cost more than the matching itself."""

    id: str
    workspace_id: str
    campaign_id: str
    lead_id: str
    recipient_email: str
    recipient_domain: str
    subject: str
    message_id: str
    sent_at: datetime | None = None


SENT_COLUMNS = (
    OutreachAttempt.id,
    OutreachAttempt.workspace_id,
    OutreachAttempt.campaign_id,
    OutreachAttempt.lead_id,
    OutreachAttempt.recipient_email,
    OutreachAttempt.recipient_domain,
    OutreachAttempt.subject,
    OutreachAttempt.message_id,
    OutreachAttempt.sent_at,
)


@dataclass
class Match:
    attempt: SentRef
    method: str
    low_confidence: bool = False


@dataclass
class Needs:
    """What one message could match on; gathered for a whole batch before any query."""

    message_ids: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)


@dataclass
class AttemptIndex:
    by_message_id: dict[str, SentRef] = field(default_factory=dict)
    by_recipient: dict[str, list[SentRef]] = field(default_factory=dict)
    by_domain: dict[str, list[SentRef]] = field(default_factory=dict)
    loaded_at: datetime | None = None  # `now` when loaded: the bounce window ends here


def domain_of(address: str) -> str:
    try:
        return registrable_domain(address.rsplit("@", 1)[-1])
    except Exception:  # noqa: BLE001 - a malformed address simply has no domain
        return ""


def needs_of(parsed: Parsed, result: Result | None) -> Needs:
    needs = Needs()
    needs.message_ids.update(parsed.in_reply_to)
    needs.message_ids.update(parsed.references)
    if parsed.message_id:
        needs.message_ids.add(parsed.message_id)
    if result is not None and result.bounce is not None:
        needs.message_ids.update(result.bounce.original_message_ids)
        needs.addresses.update(a for r in result.bounce.recipients for a in r.addresses())
        needs.addresses.update(result.bounce.sent_to)
    if parsed.from_email:
        needs.addresses.add(parsed.from_email)
        domain = domain_of(parsed.from_email)
        if domain:
            needs.domains.add(domain)
    return needs


async def load_index(
    session: AsyncSession,
    needs: Iterable[Needs],
    now: datetime,
    *,
    workspace_id: str | None = None,
) -> AttemptIndex:
    """Our sent attempts that the batch's messages could answer; only `workspace_id`'s when
    given (a workspace's own mailbox never matches another workspace's messages)."""
    ids: set[str] = set()
    addresses: set[str] = set()
    domains: set[str] = set()
    for need in needs:
        ids |= need.message_ids
        addresses |= need.addresses
        domains |= need.domains
    # Attempts outlive their lead (the send ledger keeps them): one whose lead was deleted is
    # nobody's message any more, so a reply to it is filed under no lead.
    lead_exists = exists().where(Lead.id == OutreachAttempt.lead_id)
    scope: tuple[ColumnElement[bool], ...] = (lead_exists,)
    if workspace_id is not None:
        scope += (OutreachAttempt.workspace_id == workspace_id,)
    index = AttemptIndex(loaded_at=now)
    for chunk in in_batches(sorted(ids)):
        rows = await session.execute(
            select(*SENT_COLUMNS).where(OutreachAttempt.message_id.in_(chunk), *scope)
        )
        index.by_message_id.update({row.message_id: SentRef(*row) for row in rows})
    since = now - CONTACT_WINDOW
    recent = OutreachAttempt.status == "sent", OutreachAttempt.sent_at >= since, *scope
    by_recipient: dict[str, list[SentRef]] = defaultdict(list)
    by_domain: dict[str, list[SentRef]] = defaultdict(list)
    addr_chunks = in_batches(sorted(addresses))
    dom_chunks = in_batches(sorted(domains))
    for a_chunk, d_chunk in _zip_longest(addr_chunks, dom_chunks):
        rows = await session.execute(
            select(*SENT_COLUMNS)
            .where(
                or_(
                    OutreachAttempt.recipient_email.in_(a_chunk),
                    OutreachAttempt.recipient_domain.in_(d_chunk),
                ),
                *recent,
            )
            .order_by(OutreachAttempt.sent_at, OutreachAttempt.id)
        )
        for row in rows:
            attempt = SentRef(*row)
            by_recipient[attempt.recipient_email.lower()].append(attempt)
            by_domain[attempt.recipient_domain.lower()].append(attempt)
    index.by_recipient = dict(by_recipient)
    index.by_domain = dict(by_domain)
    return index


def is_own_copy(parsed: Parsed, index: AttemptIndex, own_addresses: set[str]) -> bool:
    """A copy of a message we sent (a Sent folder, a BCC to ourselves) is never a reply."""
    if parsed.message_id and parsed.message_id in index.by_message_id:
        return True
    return bool(parsed.from_email) and parsed.from_email in own_addresses


def match(parsed: Parsed, result: Result | None, index: AttemptIndex) -> Match | None:
    for message_id in parsed.in_reply_to:
        if message_id in index.by_message_id:
            return Match(index.by_message_id[message_id], "in_reply_to")
    bounce = result.bounce if result is not None else None
    for message_id in reversed(parsed.references):
        attempt = index.by_message_id.get(message_id)
        if attempt is not None and (bounce is not None or _same_subject(parsed, attempt)):
            return Match(attempt, "references")
    if bounce is not None:
        for message_id in bounce.original_message_ids:
            if message_id in index.by_message_id:
                return Match(index.by_message_id[message_id], "bounce_original")
        # The returned original's To first (the address the message went to), then each
        # failed recipient with the address it was forwarded from before the forwarding one.
        candidates = [
            *bounce.sent_to,
            *(a for recipient in bounce.recipients for a in recipient.addresses()),
        ]
        for address in dict.fromkeys(candidates):
            found = _single_workspace(_recent(index, index.by_recipient.get(address, [])))
            if found is not None:
                return Match(found, "bounce_recipient")
        # A bounce comes from a mail server, not from the lead: no sender-based matching.
        return None
    if not parsed.from_email:
        return None
    found = _single_workspace(index.by_recipient.get(parsed.from_email, []))
    if found is not None:
        return Match(found, "sender")
    domain = domain_of(parsed.from_email)
    found = _single_workspace(index.by_domain.get(domain, [])) if domain else None
    if found is not None:
        return Match(found, "colleague", low_confidence=True)
    return None


def _same_subject(parsed: Parsed, attempt: SentRef) -> bool:
    ours, theirs = subject_key(attempt.subject), subject_key(parsed.subject)
    return bool(ours) and bool(theirs) and (ours in theirs or theirs in ours)


def _recent(index: AttemptIndex, attempts: list[SentRef]) -> list[SentRef]:
    if index.loaded_at is None:
        return attempts
    since = index.loaded_at - BOUNCE_WINDOW
    return [a for a in attempts if a.sent_at is None or _aware(a.sent_at) >= since]


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for UTC columns on some paths.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _single_workspace(attempts: list[SentRef]) -> SentRef | None:
    """The latest attempt, when they all belong to one workspace; otherwise nobody's."""
    if not attempts or len({a.workspace_id for a in attempts}) != 1:
        return None
    return attempts[-1]


def _zip_longest(
    a: list[Sequence[str]], b: list[Sequence[str]]
) -> list[tuple[Sequence[str], Sequence[str]]]:
    length = max(len(a), len(b))
    return [(a[i] if i < len(a) else [], b[i] if i < len(b) else []) for i in range(length)]
