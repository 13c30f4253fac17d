"""What classified replies do to their leads, follow-ups and the suppression list, for a whole
poll batch at once.

The rules, per reply, in the order the replies were read:
- hard bounce: suppressed (source `bounce`), lead `bounced`, follow-ups cancelled; a soft
  bounce that is the third for its address within 7 days counts as hard;
- unsubscribe: suppressed (source `reply`, or `complaint` for feedback reports), lead `lost`,
  follow-ups cancelled;
- not_interested: lead `lost`, follow-ups cancelled;
- out_of_office: pending follow-ups moved to the return date plus one day (7 days without one);
- other human replies: lead `replied`, follow-ups cancelled; auto_reply: nothing.
A placed lead stays placed.

Applying them one reply at a time cost several statements per message; here the batch is first
reduced in memory to its net effect per lead (the same result as applying the replies one by
one), then written with a handful of set-based statements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import in_batches, insert_for
from ..ids import new_id
from ..models import FollowUp, Lead, Reply, Suppression

SOFT_BOUNCE_WINDOW = timedelta(days=7)
SOFT_BOUNCES_AS_HARD = 3
NO_DATE_POSTPONE = timedelta(days=7)
HUMAN_STOP = ("interested", "question", "wrong_person", "payment_request", "other")

_FOLLOW_UPS = cast(Table, FollowUp.__table__)
_LEADS = cast(Table, Lead.__table__)
_REPLIES = cast(Table, Reply.__table__)


@dataclass
class Filed:
    """One reply to file: its row for the replies table and what its effects need."""

    row: dict[str, Any]  # replies columns; bounce_type and reasons may still change here
    address: str  # the address we wrote to
    complaint: bool = False


@dataclass
class _LeadPlan:
    status: str | None = None
    postpone_until: datetime | None = None
    cancel_reason: str | None = None

    def cancel(self, reason: str) -> None:
        # Once cancelled, later cancels find nothing scheduled and postpones have no effect.
        if self.cancel_reason is None:
            self.cancel_reason = reason

    def postpone(self, until: datetime) -> None:
        # Postponing twice keeps the later date: each shift makes the first due >= `until`.
        if self.cancel_reason is None:
            self.postpone_until = max(self.postpone_until or until, until)


@dataclass
class _Plan:
    leads: dict[str, _LeadPlan] = field(default_factory=lambda: defaultdict(_LeadPlan))
    suppress: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


async def apply_all(session: AsyncSession, filed: list[Filed], now: datetime) -> None:
    """Insert the replies and apply their effects, as if filed one by one in list order."""
    if not filed:
        return
    await _count_soft_bounces(session, filed)
    plan = _Plan()
    for item in filed:
        _plan_one(plan, item, now)
    await session.execute(_REPLIES.insert(), [item.row for item in filed])
    if plan.suppress:
        await session.execute(
            insert_for(session, Suppression)
            .values(list(plan.suppress.values()))
            .on_conflict_do_nothing(index_elements=["workspace_id", "email"])
        )
    await _set_statuses(session, plan)
    await _postpone(session, plan, now)
    await _cancel(session, plan, now)


def _plan_one(plan: _Plan, item: Filed, now: datetime) -> None:
    row = item.row
    kind = row["classification"]
    lead = plan.leads[row["lead_id"]]
    if kind == "bounce":
        if row["bounce_type"] == "hard":
            reason = f"hard bounce {row['bounce_status'] or ''}".strip()
            _suppress(plan, row["workspace_id"], item.address, "bounce", reason, now)
            lead.status = "bounced"
            lead.cancel("bounced")
    elif kind == "unsubscribe":
        source, why = (
            ("complaint", "spam complaint") if item.complaint else ("reply", "asked by reply")
        )
        _suppress(plan, row["workspace_id"], item.address, source, why, now)
        lead.status = "lost"
        lead.cancel("unsubscribed")
    elif kind == "not_interested":
        lead.status = "lost"
        lead.cancel("not interested")
    elif kind == "out_of_office":
        back: date | None = row["return_date"]
        if back is not None:
            until = datetime.combine(back + timedelta(days=1), time(), tzinfo=UTC)
        else:
            until = row["received_at"] + NO_DATE_POSTPONE
        lead.postpone(until)
    elif kind in HUMAN_STOP:
        lead.status = "replied"
        lead.cancel("lead replied")
    # auto_reply: an automatic answer says nothing about the lead.


def _suppress(
    plan: _Plan, workspace_id: str, address: str, source: str, reason: str, now: datetime
) -> None:
    # The first entry for an address wins, as an existing entry does (ON CONFLICT DO NOTHING).
    plan.suppress.setdefault(
        (workspace_id, address),
        {
            "id": new_id("sup"),
            "workspace_id": workspace_id,
            "email": address,
            "reason": reason,
            "source": source,
            "created_at": now,
        },
    )


async def _count_soft_bounces(session: AsyncSession, filed: list[Filed]) -> None:
    """Upgrade a soft bounce to hard when it is the third bounce for its address in the
    workspace within 7 days (counting stored replies and earlier ones of this batch)."""
    bounces = [f for f in filed if f.row["classification"] == "bounce"]
    soft = [f for f in bounces if f.row["bounce_type"] == "soft"]
    if not soft:
        return
    addresses = sorted({f.row["bounce_recipient"] for f in soft})
    since = min(f.row["received_at"] for f in soft) - SOFT_BOUNCE_WINDOW
    seen: dict[tuple[str, str | None], list[datetime]] = defaultdict(list)
    for chunk in in_batches(addresses):
        rows = await session.execute(
            select(Reply.workspace_id, Reply.bounce_recipient, Reply.received_at).where(
                Reply.bounce_recipient.in_(chunk),
                Reply.classification == "bounce",
                Reply.received_at >= since,
            )
        )
        for workspace_id, address, received in rows:
            seen[(workspace_id, address)].append(received)
    for item in bounces:
        row = item.row
        key = (row["workspace_id"], row["bounce_recipient"])
        seen[key].append(row["received_at"])
        if row["bounce_type"] != "soft":
            continue
        at = row["received_at"]
        count = sum(1 for t in seen[key] if at - SOFT_BOUNCE_WINDOW <= t <= at)
        if count >= SOFT_BOUNCES_AS_HARD:
            row["bounce_type"] = "hard"
            row["reasons"] = [*row["reasons"], "third soft bounce within 7 days: counted as hard"]


async def _set_statuses(session: AsyncSession, plan: _Plan) -> None:
    by_status: dict[str, list[str]] = defaultdict(list)
    for lead_id, lead in plan.leads.items():
        if lead.status is not None:
            by_status[lead.status].append(lead_id)
    for status, lead_ids in sorted(by_status.items()):
        for chunk in in_batches(sorted(lead_ids)):
            # A placed lead is a won deal: no later reply or bounce turns it back.
            await session.execute(
                update(_LEADS)
                .where(_LEADS.c.id.in_(chunk), _LEADS.c.status.not_in(["placed", status]))
                .values(status=status)
            )


async def _postpone(session: AsyncSession, plan: _Plan, now: datetime) -> None:
    """Shift each lead's scheduled follow-ups so the first is due no earlier than its date,
    keeping the spacing between steps."""
    until = {i: p.postpone_until for i, p in plan.leads.items() if p.postpone_until is not None}
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


async def _cancel(session: AsyncSession, plan: _Plan, now: datetime) -> None:
    by_reason: dict[str, list[str]] = defaultdict(list)
    for lead_id, lead in plan.leads.items():
        if lead.cancel_reason is not None:
            by_reason[lead.cancel_reason].append(lead_id)
    for reason, lead_ids in sorted(by_reason.items()):
        for chunk in in_batches(sorted(lead_ids)):
            await session.execute(
                update(_FOLLOW_UPS)
                .where(_FOLLOW_UPS.c.lead_id.in_(chunk), _FOLLOW_UPS.c.status == "scheduled")
                .values(status="cancelled", reason=reason, updated_at=now)
            )
