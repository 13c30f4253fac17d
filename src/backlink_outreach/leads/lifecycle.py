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
| status_set     | the event's  | -                 | - (stopped when due) | -          |

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
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, Table, bindparam, case, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import in_batches
from ..integrations import lead_events
from ..mailboxes import health
from ..models import LEAD_STATUSES, FollowUp, Lead, LeadStatus
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

# A lead in one of these statuses gets no more follow-ups; the reason is stored on each one
# cancelled when it falls due (a status set by PATCH stops the sequence lazily, as in part 1).
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


async def apply(session: AsyncSession, events: list[Event], now: datetime) -> None:
    """Apply the events, in list order, with a few set-based statements."""
    if not events:
        return
    net = plan(events)
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
    """Shift each lead's scheduled follow-ups so the first is due no earlier than its date,
    keeping the spacing between steps."""
    until = {i: p.postpone_until for i, p in net.leads.items() if p.postpone_until is not None}
    if not until:
        return
    pending: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for chunk in in_batches(sorted(until)):
        rows = await session.execute(
            select(FollowUp.id, FollowUp.lead_id, FollowUp.scheduled_for).where(
                FollowUp.lead_id.in_(chunk), FollowUp.status == "scheduled"
            )
        )
        for follow_up_id, lead_id, scheduled_for in rows:
            pending[lead_id].append((follow_up_id, scheduled_for))
    moves: list[dict[str, Any]] = []
    for lead_id, items in pending.items():
        first = min(at for _, at in items)
        if first >= until[lead_id]:
            continue
        delta = until[lead_id] - first
        moves += [{"fu_id": i, "fu_at": at + delta} for i, at in items]
    if moves:
        await session.execute(
            update(_FOLLOW_UPS)
            .where(_FOLLOW_UPS.c.id == bindparam("fu_id"))
            .values(scheduled_for=bindparam("fu_at"), updated_at=now),
            moves,
        )


async def _stop(session: AsyncSession, net: _Plan, now: datetime) -> None:
    by_reason: dict[str, list[str]] = defaultdict(list)
    for lead_id, lead in net.leads.items():
        if lead.stop_reason is not None:
            by_reason[lead.stop_reason].append(lead_id)
    for reason, lead_ids in sorted(by_reason.items()):
        for chunk in in_batches(sorted(lead_ids)):
            await session.execute(
                update(_FOLLOW_UPS)
                .where(_among(_FOLLOW_UPS.c.lead_id, chunk), _FOLLOW_UPS.c.status == "scheduled")
                .values(status="cancelled", reason=reason, updated_at=now)
            )


def explicit_status_update() -> Any:
    """The UPDATE behind a user's explicit status change (`status_set` for one statement that
    callers narrow with their own WHERE and RETURNING): any status may be set, nothing else
    changes; follow-ups of a lead set to a `SEQUENCE_ENDS` status are cancelled when due."""
    return update(_LEADS).values(status=bindparam("new_status"), updated_at=bindparam("now"))
