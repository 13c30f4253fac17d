"""Enrolling leads in their campaign's sequence: each gets its step rows, step 0 due at the
window's next opening (no earlier than an out-of-office lead is back), spread by jitter.

A lead is skipped, with the reason, when it is not this campaign's (`not_found`), has no
contact address (`missing_recipient`), was already enrolled (`already_enrolled`), has a running
part 1 sequence (`sequence_active`: follow-ups scheduled), or was already contacted another way
(`already_contacted`). Policy itself is checked when each step is sent, not here. The
campaign row is locked for the enrollment, so two enrollments of the same lead cannot both
add steps.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..db import in_batches
from ..errors import Unprocessable
from ..models import Campaign, FollowUp, Lead, Reply, SequenceStep
from ..replies.effects import away_until
from . import steps
from .schemas import EnrollRequest, EnrollResult, Skipped
from .windows import place

_STEPS = cast(Table, SequenceStep.__table__)
NO_SEQUENCE = "The campaign has no sequence: set one with PATCH /campaigns/{id} first."


async def enroll(
    session: AsyncSession,
    settings: Settings,
    campaign: Campaign,
    data: EnrollRequest,
    now: datetime,
    rng: random.Random = steps.RNG,
) -> EnrollResult:
    if not steps.has_sequence(campaign):
        raise Unprocessable(NO_SEQUENCE, "value_error", ["body"])
    leads = await _leads(session, campaign, data)
    skipped: list[Skipped] = []
    if data.lead_ids is not None:
        found = {lead_id for lead_id, *_ in leads}
        skipped += [
            Skipped(lead_id=i, reason="not_found")
            for i in dict.fromkeys(data.lead_ids)
            if i not in found
        ]
    ids = [lead_id for lead_id, *_ in leads]
    enrolled_before = await _with_steps(session, ids)
    following_up = await _with_follow_ups(session, ids)
    back = await _away(session, ids, now)
    window = steps.window_of(campaign)
    rows: list[dict[str, Any]] = []
    enrolled = 0
    for lead_id, email, status in leads:
        reason = _reason(lead_id, email, status, enrolled_before, following_up)
        if reason is not None:
            if data.lead_ids is not None:  # all_eligible names only the eligible
                skipped.append(Skipped(lead_id=lead_id, reason=reason))
            continue
        first_at = place(
            window, max(now, back.get(lead_id, now)), settings.send_jitter_seconds, rng
        )
        rows += [
            {c.key: getattr(row, c.key) for c in _STEPS.columns}
            for row in steps.new_steps(campaign, lead_id, first_at, now)
        ]
        enrolled += 1
    for chunk in in_batches(rows, 1000):
        await session.execute(insert(_STEPS), list(chunk))
    return EnrollResult(enrolled=enrolled, skipped=skipped)


def _reason(
    lead_id: str,
    email: str | None,
    status: str,
    enrolled_before: set[str],
    following_up: set[str],
) -> str | None:
    if not email:
        return "missing_recipient"
    if lead_id in enrolled_before:
        return "already_enrolled"
    if lead_id in following_up:
        return "sequence_active"
    if status != "discovered":
        return "already_contacted"
    return None


async def _leads(
    session: AsyncSession, campaign: Campaign, data: EnrollRequest
) -> list[tuple[str, str | None, str]]:
    base = select(Lead.id, Lead.contact_email, Lead.status).where(Lead.campaign_id == campaign.id)
    if data.lead_ids is None:
        rows = await session.execute(
            base.where(Lead.status == "discovered", Lead.contact_email.is_not(None)).order_by(
                Lead.created_at, Lead.id
            )
        )
        return [(i, e, s) for i, e, s in rows]
    found: dict[str, tuple[str, str | None, str]] = {}
    for chunk in in_batches(list(dict.fromkeys(data.lead_ids))):
        for i, e, s in await session.execute(base.where(Lead.id.in_(chunk))):
            found[i] = (i, e, s)
    return [found[i] for i in dict.fromkeys(data.lead_ids) if i in found]


async def _with_steps(session: AsyncSession, lead_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in in_batches(list(lead_ids)):
        found.update(
            await session.scalars(
                select(SequenceStep.lead_id).where(SequenceStep.lead_id.in_(chunk)).distinct()
            )
        )
    return found


async def _with_follow_ups(session: AsyncSession, lead_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in in_batches(list(lead_ids)):
        found.update(
            await session.scalars(
                select(FollowUp.lead_id)
                .where(FollowUp.lead_id.in_(chunk), FollowUp.status == "scheduled")
                .distinct()
            )
        )
    return found


async def _away(
    session: AsyncSession, lead_ids: Sequence[str], now: datetime
) -> dict[str, datetime]:
    """When each lead that sent an out-of-office reply is back, if that is still ahead: its
    sequence starts no earlier (the postponement applies to new enrollments too)."""
    back: dict[str, datetime] = {}
    for chunk in in_batches(list(lead_ids)):
        latest = (
            select(Reply.lead_id, func.max(Reply.received_at).label("at"))
            .where(Reply.lead_id.in_(chunk), Reply.classification == "out_of_office")
            .group_by(Reply.lead_id)
            .subquery()
        )
        rows = await session.execute(
            select(Reply.lead_id, Reply.return_date, Reply.received_at).join(
                latest, (latest.c.lead_id == Reply.lead_id) & (latest.c.at == Reply.received_at)
            )
        )
        for lead_id, return_date, received_at in rows:
            until = away_until(return_date, received_at)
            if lead_id is not None and until > now:
                back[lead_id] = max(back.get(lead_id, until), until)
    return back
