"""Enrolling, stopping and looking ahead: the sequence endpoints' work."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..campaigns.service import get_campaign
from ..config import Settings
from ..db import utcnow
from ..errors import NotConfigured
from ..leads import lifecycle
from ..leads.service import get_lead
from ..mailboxes import routing
from ..models import DEFAULT_MAILBOX_ID, Campaign, OutreachAttempt, SequenceStep
from . import enrollment, forecast, steps
from .schemas import EnrollRequest, EnrollResult, QueuedStep, Schedule, StopResult

QUEUE_SHOWN = 1000
STOPPED_BY_USER = "stopped"


async def enroll(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    campaign_id: str,
    data: EnrollRequest,
) -> EnrollResult:
    campaign = await get_campaign(session, principal, campaign_id, for_update=True)
    return await enrollment.enroll(session, settings, campaign, data, utcnow())


async def stop_lead(
    session: AsyncSession, principal: Principal, campaign_id: str, lead_id: str
) -> StopResult:
    """The lead's pending steps (and part 1 follow-ups) are cancelled now, reason `stopped`."""
    campaign = await get_campaign(session, principal, campaign_id)
    lead = await get_lead(session, campaign, lead_id)
    pending = await session.scalar(
        select(func.count())
        .select_from(SequenceStep)
        .where(SequenceStep.lead_id == lead.id, SequenceStep.status == "scheduled")
    )
    await lifecycle.apply(session, [lifecycle.Event("stopped", lead.id)], utcnow())
    return StopResult(lead_id=lead.id, cancelled=int(pending or 0))


_S = SequenceStep
BY_STEP_CREATED = pages.Keyset("created_at", _S.created_at, _S.id)


async def list_steps(
    session: AsyncSession,
    principal: Principal,
    campaign_id: str,
    page: pages.Page,
    *,
    lead_id: str | None,
    status: str | None,
) -> list[SequenceStep]:
    campaign = await get_campaign(session, principal, campaign_id)
    statement = select(_S).where(_S.campaign_id == campaign.id)
    if lead_id is not None:
        statement = statement.where(_S.lead_id == lead_id)
    if status is not None:
        statement = statement.where(_S.status == status)
    return list(await session.scalars(BY_STEP_CREATED.apply(statement, page)))


_PENDING = _S.status.in_([literal("scheduled"), literal("sending")])


async def schedule(
    session: AsyncSession, settings: Settings, principal: Principal, campaign_id: str
) -> Schedule:
    """The queue (soonest first, at most `QUEUE_SHOWN`) and the forecast of when all of it
    should go out. Two reads of the steps: the queue's page through the campaign's
    `(campaign_id, status, not_before)` index, and one pass over every pending step as plain
    tuples for the forecast."""
    campaign = await get_campaign(session, principal, campaign_id)
    now = utcnow()
    columns = (_S.lead_id, _S.step, _S.mailbox_id, _S.not_before)
    shown = await session.execute(
        select(*columns)
        .where(_S.campaign_id == campaign.id, _PENDING)
        .order_by(_S.not_before.is_(None), _S.not_before, _S.lead_id, _S.step)
        .limit(QUEUE_SHOWN)
    )
    queued = [
        QueuedStep(lead_id=lead, step=step, mailbox_id=mailbox, not_before=at)
        for lead, step, mailbox, at in shown
    ]
    rows = await session.execute(
        select(*columns)
        .where(_S.campaign_id == campaign.id, _PENDING)
        .order_by(_S.lead_id, _S.step)
    )
    pending, paces, sent_today = await _simulation_inputs(session, settings, campaign, rows, now)
    result = forecast.forecast(
        steps.window_of(campaign),
        pending,
        paces,
        settings.policy_workspace_daily_cap,
        sent_today,
        now,
    )
    return Schedule(queued=queued, forecast=result)


async def _simulation_inputs(
    session: AsyncSession,
    settings: Settings,
    campaign: Campaign,
    rows: Iterable[Any],
    now: datetime,
) -> tuple[list[forecast.Pending], dict[str, forecast.MailboxPace], int]:
    """Each lead's next pending step (when it is ready, its mailbox, the delays of the steps
    after it), each mailbox's pace, and what the workspace has sent today."""
    delays = [int(s.get("delay_days") or 0) for s in campaign.sequence or []]
    try:
        routes = await routing.candidates(session, settings, campaign, None, now)
    except NotConfigured:
        routes = []
    room = await routing.rooms(session, settings, routes, now) if routes else {}
    paces: dict[str, forecast.MailboxPace] = {}
    for route in routes:
        cap = route.sender.daily_cap
        cap = settings.policy_sender_daily_cap if cap is None else cap
        paces[route.mailbox_id] = forecast.MailboxPace(
            cap=cap,
            sent_today=max(0, cap - room.get(route.mailbox_id, cap)),
            interval_seconds=route.sender.min_interval_seconds,
        )
    rotation = [r.mailbox_id for r in routes] or [DEFAULT_MAILBOX_ID]
    pending: list[forecast.Pending] = []
    lead: str | None = None
    first: Any = None
    later: list[int] = []

    def close() -> None:
        if first is None:
            return
        _, step, mailbox_id, ready = first
        if ready is None:  # the step before it is on its way now
            ready = now + _days(delays, step)
        mailbox_id = mailbox_id or rotation[len(pending) % len(rotation)]
        pending.append(forecast.Pending(ready, mailbox_id, tuple(later)))

    for row in rows:  # ordered by lead, then step
        if row[0] != lead:
            close()
            lead, first, later = row[0], row, []
        elif row[1] < len(delays):
            later.append(delays[row[1]])
    close()
    workspace_sent = await session.scalar(
        select(func.count())
        .select_from(OutreachAttempt)
        .where(
            OutreachAttempt.workspace_id == campaign.workspace_id,
            OutreachAttempt.send_day == now.date(),
            OutreachAttempt.status.in_([literal("sending"), literal("sent")]),
        )
    )
    return pending, paces, int(workspace_sent or 0)


def _days(delays: list[int], step: int) -> timedelta:
    return timedelta(days=delays[step] if step < len(delays) else 0)
