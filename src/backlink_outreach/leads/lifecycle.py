"""The lead lifecycle: what each event does to a lead's status, its pending follow-ups and the
suppression list. The only writer of `Lead.status`, of follow-up cancellation and postponement,
and of the suppression entries that events cause.

Every path reports what happened as events (a send, an SMTP refusal, an unsubscribe click, a
filed reply, a user's PATCH) and calls `apply`. The rules live in `RULES`, one row per event:

| event          | status       | may not overwrite | pending steps        | suppressed |
|----------------|--------------|-------------------|----------------------|------------|
| sent           | contacted    | all but discovered | -                   | -          |
| hard_bounce    | bounced      | placed            | stop "bounced"       | yes        |
| final_failure  | bounced      | placed            | stop "bounced"       | -          |
| unsubscribed   | lost         | placed            | stop "unsubscribed"  | yes        |
| not_interested | lost         | placed            | stop "not interested"| -          |
| replied        | replied      | placed            | stop "lead replied"  | -          |
| away           | -            | -                 | postponed            | -          |
| placed         | placed       | -                 | stop "lead placed"   | -          |
| link_lost      | -            | -                 | -                    | -          |
| stopped        | -            | -                 | stop "stopped"       | -          |
| status_set     | the event's  | -                 | stop when it ends one| -          |

A placed lead is a won deal: no later bounce, refusal, reply or unsubscribe turns it back (only
the user may, explicitly). The suppression source (`bounce`, `unsubscribe`, `reply`,
`complaint`) comes with the event.

`apply` is set-based: the events are folded per lead, in order, into what they do to each of
the six statuses the lead could be in, so a batch needs no read of the leads and costs a few
`UPDATE ... SET status = CASE status ...` statements, whatever its size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    case,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import in_batches
from ..integrations import lead_events
from ..mailboxes import health
from ..models import (
    LEAD_STATUSES,
    FollowUp,
    Lead,
    LeadStatus,
    OutreachAttempt,
    Placement,
    SequenceStep,
    Suppression,
)
from ..suppression import service as suppression
from ..suppression.schemas import SuppressionSource

EventKind = Literal[
    "sent",
    "hard_bounce",
    "final_failure",
    "unsubscribed",
    "not_interested",
    "replied",
    "away",
    "placed",
    "link_lost",
    "stopped",
    "status_set",
]

_WON: frozenset[LeadStatus] = frozenset({"placed"})


@dataclass(frozen=True)
class Rule:
    target: LeadStatus | None = None  # None: the status does not change
    only_from: frozenset[LeadStatus] | None = None  # the statuses it moves; None: all
    keeps: frozenset[LeadStatus] = frozenset()  # statuses it may not overwrite
    stop: str | None = None  # pending steps are cancelled with this reason
    suppresses: bool = False  # the event's address goes on the suppression list

    def moves(self, status: LeadStatus) -> LeadStatus:
        if self.target is None or status in self.keeps:
            return status
        if self.only_from is not None and status not in self.only_from:
            return status
        return self.target


RULES: dict[EventKind, Rule] = {
    "sent": Rule("contacted", only_from=frozenset({"discovered"})),
    "hard_bounce": Rule("bounced", keeps=_WON, stop="bounced", suppresses=True),
    "final_failure": Rule("bounced", keeps=_WON, stop="bounced"),
    "unsubscribed": Rule("lost", keeps=_WON, stop="unsubscribed", suppresses=True),
    "not_interested": Rule("lost", keeps=_WON, stop="not interested"),
    "replied": Rule("replied", keeps=_WON, stop="lead replied"),
    "away": Rule(),
    "placed": Rule("placed", stop="lead placed"),
    "link_lost": Rule(),
    "stopped": Rule(stop="stopped"),
    "status_set": Rule(),  # the target is the event's own `status`
}

# A lead in one of these statuses gets no more steps: a status set to one of them stops the
# pending ones at once, and the senders also cancel, when due, any step of such a lead.
SEQUENCE_ENDS: dict[LeadStatus, str] = {
    "replied": "lead replied",
    "bounced": "lead bounced",
    "lost": "lead lost",
    "placed": "lead placed",
}


@dataclass(frozen=True)
class Suppress:
    workspace_id: str
    address: str
    source: SuppressionSource
    reason: str


@dataclass(frozen=True)
class Event:
    kind: EventKind
    lead_id: str | None  # None: an event about an address with no lead (suppression only)
    suppress: Suppress | None = None  # required by the events whose rule suppresses
    until: datetime | None = None  # away: no pending step is due before this
    status: LeadStatus | None = None  # status_set: the explicit target
    # hard_bounce: the attempt that bounced, for its mailbox's bounce breaker (when None, the
    # lead's latest sent attempt is taken as the one that bounced).
    attempt_id: str | None = None
    # What caused it (a reply's id): stored on the steps it cancels (`cancelled_by`), so a
    # correction of that reply restores exactly those.
    cause: str | None = None

    def __post_init__(self) -> None:
        rule = RULES[self.kind]
        if rule.suppresses and self.suppress is None:
            raise ValueError(f"a {self.kind} event needs the address to suppress")
        if self.kind == "away" and self.until is None:
            raise ValueError("an away event needs `until`")
        if self.kind == "status_set" and self.status is None:
            raise ValueError("a status_set event needs `status`")


_IDENTITY: tuple[LeadStatus, ...] = LEAD_STATUSES


@dataclass
class _LeadPlan:
    """The net effect of a lead's events: each starting status's end status, and its steps."""

    ends: tuple[LeadStatus, ...] = _IDENTITY  # ends[i] is where LEAD_STATUSES[i] ends up
    stop_reason: str | None = None
    stop_cause: str | None = None
    postpone_until: datetime | None = None

    def add(self, event: Event) -> None:
        rule = RULES[event.kind]
        if event.kind == "status_set":
            assert event.status is not None
            self.ends = tuple(event.status for _ in self.ends)
        elif rule.target is not None:
            self.ends = tuple(rule.moves(status) for status in self.ends)
        if rule.stop is not None and self.stop_reason is None:
            # Once stopped, later stops find nothing pending and postponements do nothing.
            self.stop_reason = rule.stop
            self.stop_cause = event.cause
        elif (
            event.kind == "status_set"
            and event.status in SEQUENCE_ENDS
            and self.stop_reason is None
        ):
            self.stop_reason = SEQUENCE_ENDS[event.status]
        if event.kind == "away" and self.stop_reason is None:
            assert event.until is not None
            # Postponing twice keeps the later date.
            self.postpone_until = max(self.postpone_until or event.until, event.until)


@dataclass
class _Plan:
    leads: dict[str, _LeadPlan] = field(default_factory=lambda: defaultdict(_LeadPlan))
    suppress: dict[tuple[str, str], Suppress] = field(default_factory=dict)


def plan(events: list[Event]) -> _Plan:
    result = _Plan()
    for event in events:
        if event.suppress is not None and RULES[event.kind].suppresses:
            key = (event.suppress.workspace_id, event.suppress.address)
            # The first entry for an address wins, as an existing one does.
            result.suppress.setdefault(key, event.suppress)
        if event.lead_id is not None:
            result.leads[event.lead_id].add(event)
    return result


async def apply(
    session: AsyncSession, events: list[Event], now: datetime, *, statuses: bool = True
) -> None:
    """Apply the events, in list order, with a few set-based statements. `statuses=False`
    leaves the leads' statuses alone (a correction sets them from the history itself)."""
    if not events:
        return
    net = plan(events)
    if not statuses:
        for lead in net.leads.values():
            lead.ends = _IDENTITY
    # The outbox (webhooks) in this transaction, before the statuses change: it reads the
    # leads' current statuses when an endpoint wants them.
    await lead_events.record_lead_changes(
        session,
        {i: p.ends for i, p in net.leads.items() if p.ends != _IDENTITY},
        _notices(events),
        now,
    )
    if net.suppress:
        await suppression.insert_entries(
            session,
            [
                suppression.Entry(s.workspace_id, s.address, s.source, s.reason[:500])
                for s in net.suppress.values()
            ],
            now,
        )
    await _set_statuses(session, net, now)
    await _postpone(session, net, now)
    await _stop(session, net, now)
    await _count_bounces(session, events)


async def _count_bounces(session: AsyncSession, events: list[Event]) -> None:
    """Hard bounces count against the mailbox that sent the message (its bounce breaker)."""
    bounced = [event for event in events if event.kind == "hard_bounce"]
    if bounced:
        await health.mark_hard_bounces(
            session,
            [e.attempt_id for e in bounced if e.attempt_id is not None],
            [e.lead_id for e in bounced if e.attempt_id is None and e.lead_id is not None],
        )


_NOTICES: dict[EventKind, Literal["bounce.received", "unsubscribe"]] = {
    "hard_bounce": "bounce.received",
    "unsubscribed": "unsubscribe",
}


def _notices(events: list[Event]) -> list[lead_events.AddressNotice]:
    """One notice per (kind, workspace, address), with the leads of the batch that have it."""
    grouped: dict[tuple[str, str, str], tuple[Suppress, list[str]]] = {}
    for event in events:
        if event.kind in _NOTICES and event.suppress is not None:
            key = (event.kind, event.suppress.workspace_id, event.suppress.address)
            _, lead_ids = grouped.setdefault(key, (event.suppress, []))
            if event.lead_id is not None and event.lead_id not in lead_ids:
                lead_ids.append(event.lead_id)
    return [
        lead_events.AddressNotice(
            _NOTICES[cast(EventKind, kind)],
            entry.workspace_id,
            entry.address,
            entry.source,
            entry.reason[:500],
            tuple(lead_ids),
        )
        for (kind, _, _), (entry, lead_ids) in grouped.items()
    ]


_LEADS = cast(Table, Lead.__table__)
_FOLLOW_UPS = cast(Table, FollowUp.__table__)
_STEPS = cast(Table, SequenceStep.__table__)


def _fixed(values: list[str]) -> list[Any]:
    # Literals, not one expanding parameter: an expanding IN re-renders the SQL per execution.
    return [literal(value) for value in values]


def _among(column: Any, chunk: Sequence[str]) -> ColumnElement[bool]:
    # `=` for one id: the send path's statement then renders once and is cached.
    result: ColumnElement[bool] = column == chunk[0] if len(chunk) == 1 else column.in_(chunk)
    return result


async def _set_statuses(session: AsyncSession, net: _Plan, now: datetime) -> None:
    by_ends: dict[tuple[LeadStatus, ...], list[str]] = defaultdict(list)
    for lead_id, lead in net.leads.items():
        if lead.ends != _IDENTITY:
            by_ends[lead.ends].append(lead_id)
    for ends, lead_ids in sorted(by_ends.items()):
        changes = [(s, e) for s, e in zip(_IDENTITY, ends, strict=True) if s != e]
        status = _LEADS.c.status
        if len({e for _, e in changes}) == 1:
            target: Any = changes[0][1]
        else:
            target = case({s: e for s, e in changes}, value=status)
        for chunk in in_batches(sorted(lead_ids)):
            await session.execute(
                update(_LEADS)
                .where(_among(_LEADS.c.id, chunk), status.in_(_fixed([s for s, _ in changes])))
                .values(status=target, updated_at=now)
            )


async def _postpone(session: AsyncSession, net: _Plan, now: datetime) -> None:
    """Shift each lead's pending steps (part 1 follow-ups and sequence steps alike) so the first
    is due no earlier than its date, keeping the spacing between them. A sequence step waiting
    on the one before it (no `not_before` yet) moves with it."""
    until = {i: p.postpone_until for i, p in net.leads.items() if p.postpone_until is not None}
    if not until:
        return
    for table, due in ((_FOLLOW_UPS, _FOLLOW_UPS.c.scheduled_for), (_STEPS, _STEPS.c.not_before)):
        pending: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
        for chunk in in_batches(sorted(until)):
            rows = await session.execute(
                select(table.c.id, table.c.lead_id, due).where(
                    table.c.lead_id.in_(chunk), table.c.status == "scheduled", due.is_not(None)
                )
            )
            for row_id, lead_id, at in rows:
                pending[lead_id].append((row_id, at))
        moves: list[dict[str, Any]] = []
        for lead_id, items in pending.items():
            first = min(at for _, at in items)
            if first >= until[lead_id]:
                continue
            delta = until[lead_id] - first
            moves += [{"row_id": i, "row_at": at + delta, "row_from": at} for i, at in items]
        if moves:
            # The first move's starting point is kept: a correction of the reply goes back to it.
            first_due = func.coalesce(table.c.postponed_from, bindparam("row_from", type_=due.type))
            await session.execute(
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values(
                    {due.key: bindparam("row_at"), "postponed_from": first_due, "updated_at": now}
                ),
                moves,
            )


async def _stop(session: AsyncSession, net: _Plan, now: datetime) -> None:
    """Cancel the pending steps (follow-ups and sequence steps) of the leads whose events stop
    them, with the reason and the cause. A step already `sending` is in flight: it ends as
    its delivery does."""
    by_reason: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    for lead_id, lead in net.leads.items():
        if lead.stop_reason is not None:
            by_reason[lead.stop_reason, lead.stop_cause].append(lead_id)
    for (reason, cause), lead_ids in sorted(
        by_reason.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        for chunk in in_batches(sorted(lead_ids)):
            for table in (_FOLLOW_UPS, _STEPS):
                await session.execute(
                    update(table)
                    .where(_among(table.c.lead_id, chunk), table.c.status == "scheduled")
                    .values(status="cancelled", reason=reason, cancelled_by=cause, updated_at=now)
                )


def explicit_status_update() -> Any:
    """The UPDATE behind a user's explicit status change (`status_set` for one statement that
    callers narrow with their own WHERE and RETURNING): any status may be set. The caller then
    calls `status_was_set`, which stops the steps of a lead set to a `SEQUENCE_ENDS` status."""
    return update(_LEADS).values(status=bindparam("new_status"), updated_at=bindparam("now"))


async def status_was_set(
    session: AsyncSession, lead_ids: Sequence[str], status: LeadStatus, now: datetime
) -> None:
    """After `explicit_status_update`: a lead set to `replied`, `bounced`, `lost` or `placed`
    has its pending steps cancelled at once, visibly (the senders would also skip them when
    due, which covers a crash between the two statements)."""
    if status in SEQUENCE_ENDS and lead_ids:
        stopped = _Plan()
        for lead_id in lead_ids:
            stopped.leads[lead_id].stop_reason = SEQUENCE_ENDS[status]
        await _stop(session, stopped, now)


# Corrections (API.md part 2, "Inbox"): re-filing what one cause (a reply) did, so that a reply
# filed again under another class (or, unmatched, under a lead) leaves the lead as if it had
# been filed that way at first.


@dataclass(frozen=True)
class Refiling:
    """What re-filing one cause on one lead needs. The caller (the reply's owner) knows what the
    cause's old and new events are and what the lead's other replies say; this module decides
    what that means for the status, the steps and the suppression list."""

    cause: str  # the reply's id, as stored in `cancelled_by`
    lead_id: str
    at: datetime  # when the cause happened: its place in the lead's history
    # The cause's event from now on (None: it has none, e.g. an auto reply).
    event: Event | None
    # The lead's other replies' events with their times, in any order: the history the status
    # is recomputed from, with the lead's sends and placement.
    history: list[tuple[datetime, Event]] = field(default_factory=list)
    # The suppression entry the cause's old event wrote (None: it wrote none), when the cause
    # was filed (an entry older than that is not its own), and whether another reply still
    # suppresses that address (the entry then stays).
    withdrawn_entry: Suppress | None = None
    entry_since: datetime | None = None
    entry_held: bool = False
    # The cause's old event (None: it had none): a withdrawn out-of-office postponement or
    # hard bounce is undone.
    withdrawn: Event | None = None


async def refile(session: AsyncSession, change: Refiling, now: datetime) -> LeadStatus | None:
    """Undo the cause's old effects and apply its new event: the old suppression entry removed
    unless another source holds it; the steps the cause cancelled restored when the rest of the
    history lets the sequence run; the new event's suppression, postponement and stop applied
    as `apply` does; and the status recomputed from the history with the new event in its
    place (not on top: a later refusal still wins over an earlier reply corrected to
    `interested`). Returns the lead's status (None: no such lead).

    A withdrawn postponement (out of office) puts the lead's steps back where they were before
    any out-of-office reply moved them, then moves them again for the other out-of-office
    replies still in the history. A withdrawn hard bounce no longer counts against its
    mailbox's bounce breaker, unless another reply says the same send bounced (a mailbox the
    breaker already paused stays paused: a person resumes it)."""
    if change.withdrawn_entry is not None and not change.entry_held:
        await _remove_entry(session, change.withdrawn_entry, change.entry_since)
    current = await session.scalar(select(Lead.status).where(Lead.id == change.lead_id))
    if current is None:
        return None
    withdrawn = change.withdrawn
    if withdrawn is not None and withdrawn.kind == "away":
        await _undo_postponements(session, change.lead_id, change.history, now)
    if withdrawn is not None and withdrawn.kind == "hard_bounce":
        still = any(
            e.kind == "hard_bounce" and e.attempt_id == withdrawn.attempt_id
            for _, e in change.history
        )
        if not still:
            await health.unmark_hard_bounce(session, withdrawn.attempt_id, change.lead_id)
    timeline = await _timeline(session, change.lead_id, change.history)
    without = _folded(current, timeline)
    if without not in SEQUENCE_ENDS:
        for table in (_FOLLOW_UPS, _STEPS):
            await session.execute(
                update(table)
                .where(
                    table.c.lead_id == change.lead_id,
                    table.c.cancelled_by == change.cause,
                    table.c.status == "cancelled",
                )
                .values(status="scheduled", reason=None, cancelled_by=None, updated_at=now)
            )
    status = without
    if change.event is not None:
        await apply(session, [change.event], now, statuses=False)
        status = _folded(current, [*timeline, (_utc(change.at), 1, change.event)])
    if status != current:
        ends = tuple(status for _ in LEAD_STATUSES)
        await lead_events.record_lead_changes(session, {change.lead_id: ends}, [], now)
        await session.execute(
            update(_LEADS)
            .where(_LEADS.c.id == change.lead_id)
            .values(status=status, updated_at=now)
        )
    return status


async def _undo_postponements(
    session: AsyncSession, lead_id: str, history: list[tuple[datetime, Event]], now: datetime
) -> None:
    """Every pending (or cancelled, which a correction may restore) step of the lead back to
    its due time before the first postponement, then postponed for the away events left."""
    for table, due in ((_FOLLOW_UPS, _FOLLOW_UPS.c.scheduled_for), (_STEPS, _STEPS.c.not_before)):
        await session.execute(
            update(table)
            .where(
                table.c.lead_id == lead_id,
                table.c.status.in_(("scheduled", "cancelled")),
                table.c.postponed_from.is_not(None),
            )
            .values({due.key: table.c.postponed_from, "postponed_from": None, "updated_at": now})
        )
    remaining = _Plan()
    for _, event in history:
        if event.kind == "away" and event.lead_id == lead_id:
            remaining.leads[lead_id].add(event)
    await _postpone(session, remaining, now)


async def _remove_entry(session: AsyncSession, entry: Suppress, since: datetime | None) -> None:
    """Delete the entry the cause wrote: same address, same source (another source's entry, a
    manual one or an unsubscribe click, is not the cause's), not older than the cause."""
    conditions = [
        Suppression.workspace_id == entry.workspace_id,
        Suppression.email == entry.address,
        Suppression.source == entry.source,
    ]
    if since is not None:
        conditions.append(Suppression.created_at >= since)
    await session.execute(delete(Suppression).where(*conditions))


async def _timeline(
    session: AsyncSession, lead_id: str, replies: list[tuple[datetime, Event]]
) -> list[tuple[datetime, int, Event]]:
    """The lead's history as events in time order: its first send, the replies' events and
    its placement (a link first seen); at equal times a send comes first, a placement last."""
    timeline: list[tuple[datetime, int, Event]] = []
    first_sent = await session.scalar(
        select(func.min(OutreachAttempt.sent_at)).where(
            OutreachAttempt.lead_id == lead_id, OutreachAttempt.status == "sent"
        )
    )
    if first_sent is not None:
        timeline.append((_utc(first_sent), 0, Event("sent", lead_id)))
    placed_at = await session.scalar(
        select(Placement.first_seen_at).where(
            Placement.lead_id == lead_id, Placement.first_seen_at.is_not(None)
        )
    )
    if placed_at is not None:
        timeline.append((_utc(placed_at), 2, Event("placed", lead_id)))
    timeline += [(_utc(at), 1, event) for at, event in replies if event.lead_id == lead_id]
    return timeline


def _folded(current: LeadStatus, timeline: list[tuple[datetime, int, Event]]) -> LeadStatus:
    """The status the history gives, from `discovered`, folded through `RULES`. A lead that is
    `placed` stays placed: only the user turns a won deal back."""
    if current in _WON:
        return current
    lead = _LeadPlan()
    for _, _, event in sorted(timeline, key=lambda item: (item[0], item[1])):
        lead.add(event)
    return lead.ends[LEAD_STATUSES.index("discovered")]


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for UTC columns on some paths.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
