"""A lead's steps: storing the campaign's sequence, reading a step's text when it is sent, and
moving a lead's step rows along (created on enrollment or on a first API send, each later step
timed when the one before it is sent, the rest ended when one is skipped or fails).

Step rows are the scheduler's queue (`SequenceStep`): all of a lead's steps exist from the
start, step 0 with its `not_before`, later ones with none until the step before is sent, so
that stopping, skipping or cancelling them is visible at once. Cancellation by lifecycle
events (a reply, a bounce, a stop) is `leads/lifecycle.py`'s.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import Unprocessable
from ..ids import new_id
from ..models import Campaign, EmailTemplate, Lead, SequenceStep
from .schemas import SequenceStep as StepSpec
from .windows import Window, place

RNG = random.Random()
REMOVED = "the step was removed from the campaign's sequence"
EARLIER_SKIPPED = "an earlier step was skipped"
EARLIER_FAILED = "an earlier step failed"


def stored(sequence: Sequence[StepSpec] | None) -> list[dict[str, Any]] | None:
    """The sequence as the campaign row keeps it (null: part 1's `follow_up_days`)."""
    if sequence is None:
        return None
    return [step.model_dump(mode="json") for step in sequence]


async def check_templates(
    session: AsyncSession, workspace_id: str, sequence: Sequence[StepSpec] | None
) -> None:
    """Every template a step names is one of the workspace's: 422 naming the step otherwise."""
    named = {i: s.template_id for i, s in enumerate(sequence or []) if s.template_id}
    if not named:
        return
    found = set(
        await session.scalars(
            select(EmailTemplate.id).where(
                EmailTemplate.id.in_(sorted(set(named.values()))),
                EmailTemplate.workspace_id == workspace_id,
            )
        )
    )
    for index, template_id in named.items():
        if template_id not in found:
            raise Unprocessable(
                f"Step {index} names template {template_id}, which this workspace does not have.",
                "value_error",
                ["body", "sequence", index, "template_id"],
            )


def window_of(campaign: Campaign) -> Window:
    return Window.of(campaign.send_window, campaign.timezone)


def has_sequence(campaign: Campaign) -> bool:
    return bool(campaign.sequence)


@dataclass(frozen=True)
class StepText:
    """A step's subject and body as written (placeholders not rendered yet); an empty subject
    on a later step means `Re: <step 0's subject>`."""

    subject: str
    body: str


async def text_for(session: AsyncSession, campaign: Campaign, index: int) -> StepText | None:
    """What step `index` says now (an edit changes what has not gone out); None when the
    sequence no longer has that step or its template was deleted."""
    spec = (campaign.sequence or [])[index] if index < len(campaign.sequence or []) else None
    if spec is None:
        return None
    template_id = spec.get("template_id")
    if template_id:
        template = await session.get(EmailTemplate, template_id)
        if template is None or template.workspace_id != campaign.workspace_id:
            return None
        return StepText(template.subject, template.body)
    return StepText(spec.get("subject") or "", spec.get("body") or "")


def delay_of(campaign: Campaign, index: int) -> int | None:
    sequence = campaign.sequence or []
    return int(sequence[index].get("delay_days") or 0) if index < len(sequence) else None


def new_steps(
    campaign: Campaign, lead_id: str, first_at: datetime | None, now: datetime
) -> list[SequenceStep]:
    """A lead's step rows: step 0 due at `first_at`, the later ones waiting on it."""
    return [
        SequenceStep(
            id=new_id("stp"),
            workspace_id=campaign.workspace_id,
            campaign_id=campaign.id,
            lead_id=lead_id,
            step=index,
            status="scheduled",
            not_before=first_at if index == 0 else None,
            created_at=now,
            updated_at=now,
        )
        for index in range(len(campaign.sequence or []))
    ]


async def started_by_send(
    session: AsyncSession,
    campaign: Campaign,
    *,
    lead_id: str,
    attempt_id: str,
    mailbox_id: str | None,
    sent_at: datetime,
    jitter_seconds: int,
) -> None:
    """An API send of an initial message in a campaign with a sequence is its step 0: the
    lead's rows are added with step 0 `sent`, and step 1 timed from it. Nothing when the lead
    was deleted while its message was on the wire (its attempt stays, settled; the lock makes
    a delete that comes now wait for this transaction)."""
    exists = select(Lead.id).where(Lead.id == lead_id).with_for_update(key_share=True)
    if (await session.execute(exists)).first() is None:
        return
    rows = new_steps(campaign, lead_id, None, sent_at)
    rows[0].status, rows[0].attempt_id, rows[0].mailbox_id = "sent", attempt_id, mailbox_id
    session.add_all(rows)
    await session.flush()
    await _time_next(session, campaign, _Done(lead_id, 0, mailbox_id), sent_at, jitter_seconds)


@dataclass(frozen=True)
class _Done:
    """A step that was just sent: whose, which, and from which mailbox."""

    lead_id: str
    step: int
    mailbox_id: str | None


async def settle_sent(
    session: AsyncSession,
    step_id: str,
    sent_at: datetime,
    jitter_seconds: int,
    campaign: Campaign | None = None,
) -> None:
    """The step went out: the next one is due `delay_days` after it, in the window. Two
    UPDATEs on the common path (`campaign`, when the caller has it, saves reading it)."""
    done = (
        await session.execute(
            update(SequenceStep)
            .where(SequenceStep.id == step_id)
            .values(status="sent", reason=None, updated_at=sent_at)
            .returning(SequenceStep.lead_id, SequenceStep.step, SequenceStep.mailbox_id)
        )
    ).first()
    if done is None:  # its campaign or lead was deleted meanwhile
        return
    if campaign is None:
        campaign = await session.scalar(
            select(Campaign)
            .join(SequenceStep, SequenceStep.campaign_id == Campaign.id)
            .where(SequenceStep.id == step_id)
        )
        if campaign is None:
            return
    await _time_next(session, campaign, _Done(*done), sent_at, jitter_seconds)


async def _time_next(
    session: AsyncSession,
    campaign: Campaign,
    sent: _Done,
    sent_at: datetime,
    jitter_seconds: int,
) -> None:
    index = sent.step + 1
    delay = delay_of(campaign, index)
    if delay is None:
        # The last step, or the sequence was shortened since: nothing more goes out.
        await end_after(session, campaign.id, sent.lead_id, sent.step, REMOVED, sent_at)
        return
    due = place(window_of(campaign), sent_at + timedelta(days=delay), jitter_seconds, RNG)
    timed = await session.execute(
        update(SequenceStep)
        .where(
            SequenceStep.lead_id == sent.lead_id,
            SequenceStep.campaign_id == campaign.id,
            SequenceStep.step == index,
            SequenceStep.status == "scheduled",
        )
        .values(not_before=due, mailbox_id=sent.mailbox_id, updated_at=sent_at)
    )
    if getattr(timed, "rowcount", 0) or await _has_step(session, campaign.id, sent.lead_id, index):
        return  # timed; or it was cancelled (a reply, a stop) and stays so
    # The sequence grew since this lead was enrolled.
    session.add(
        SequenceStep(
            id=new_id("stp"),
            workspace_id=campaign.workspace_id,
            campaign_id=campaign.id,
            lead_id=sent.lead_id,
            step=index,
            status="scheduled",
            not_before=due,
            mailbox_id=sent.mailbox_id,
            created_at=sent_at,
            updated_at=sent_at,
        )
    )


async def _has_step(session: AsyncSession, campaign_id: str, lead_id: str, index: int) -> bool:
    found = await session.scalar(
        select(SequenceStep.id).where(
            SequenceStep.lead_id == lead_id,
            SequenceStep.campaign_id == campaign_id,
            SequenceStep.step == index,
        )
    )
    return found is not None


async def end_after(
    session: AsyncSession, campaign_id: str, lead_id: str, step: int, reason: str, now: datetime
) -> None:
    """Cancel the lead's pending steps after `step`."""
    await session.execute(
        update(SequenceStep)
        .where(
            SequenceStep.lead_id == lead_id,
            SequenceStep.campaign_id == campaign_id,
            SequenceStep.step > step,
            SequenceStep.status == "scheduled",
        )
        .values(status="cancelled", reason=reason, updated_at=now)
    )


async def _end_after(session: AsyncSession, step: SequenceStep, reason: str, now: datetime) -> None:
    await end_after(session, step.campaign_id, step.lead_id, step.step, reason, now)


async def settle_failed(session: AsyncSession, step_id: str, error: str, now: datetime) -> None:
    """The step's delivery failed: it is `failed`, and the sequence ends there (a later step
    would follow up on a message that never arrived)."""
    step = await session.get(SequenceStep, step_id)
    if step is None:
        return
    step.status, step.reason, step.updated_at = "failed", error[:300], now
    await _end_after(session, step, EARLIER_FAILED, now)


async def skip(session: AsyncSession, step: SequenceStep, reason: str, now: datetime) -> None:
    """Policy blocked the step when it was due: it is `skipped` with the reason and the rest of
    the sequence `cancelled`; never retried."""
    step.status, step.reason, step.updated_at = "skipped", reason, now
    await _end_after(session, step, EARLIER_SKIPPED, now)


async def cancel(session: AsyncSession, step: SequenceStep, reason: str, now: datetime) -> None:
    step.status, step.reason, step.updated_at = "cancelled", reason, now
    await _end_after(session, step, reason, now)


async def resume(session: AsyncSession, campaign: Campaign, now: datetime) -> int:
    """Resuming a paused campaign: its overdue steps go in the next window, not all at once
    the moment it resumes (they are spaced further by each mailbox's interval and caps)."""
    window = window_of(campaign)
    opens = place(window, now, 0, RNG)
    result = await session.execute(
        update(SequenceStep)
        .where(
            SequenceStep.campaign_id == campaign.id,
            SequenceStep.status == "scheduled",
            SequenceStep.not_before < opens,
        )
        .values(not_before=opens, updated_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
