"""The send ledger: what policy needs to know (counts, duplicates, suppression), and the lock
that makes reserving a cap slot atomic.

`reserve` is step 1 of every send; how a delivery ended is recorded by `delivery.py`.
A cap slot is an `outreach_attempts` row in status `sending` or `sent` on that UTC day; a
`failed` row frees it. Counting and inserting happen in one transaction that first takes the
sender's day lock, so concurrent requests, in any number of processes, queue on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..db import insert_for
from ..ids import new_id
from ..mailboxes import health
from ..models import (
    DEFAULT_MAILBOX_ID,
    AttemptKind,
    FollowUp,
    Lead,
    OutreachAttempt,
    SendCounter,
    SequenceStep,
)
from ..sender import Sender
from ..subjects import subject_key
from ..suppression import service as suppression
from . import decisions, message, policy

HOLDING = ("sending", "sent")


def utc_day(now: datetime) -> date:
    return now.date()


def next_utc_day(now: datetime) -> datetime:
    """When the day caps count afresh: the next UTC midnight."""
    return datetime.combine(utc_day(now) + timedelta(days=1), time(), tzinfo=UTC)


# A send whose mailbox cannot send now (paused, or mbx_default unconfigured) is tried again
# after this long, by the follow-up sender and the scheduler alike.
PAUSED_RETRY = timedelta(hours=1)


def limits(settings: Settings, sender_cap: int | None = None) -> policy.Limits:
    """The limits of a send; `sender_cap` is the mailbox's cap today (its own `daily_cap`, or
    its warm-up ramp), None for the deployment's POLICY_SENDER_DAILY_CAP."""
    return policy.Limits(
        sender_day=settings.policy_sender_daily_cap if sender_cap is None else sender_cap,
        recipient_domain_day=settings.policy_domain_daily_cap,
        workspace_day=settings.policy_workspace_daily_cap,
    )


async def lock_sender_day(session: AsyncSession, sender: str, day: date) -> None:
    """Serialize reservations for one sender and day.

    PostgreSQL: make sure the counter row exists, then `SELECT ... FOR UPDATE` it; a concurrent
    transaction waits here until ours commits and then counts our attempt. The row is only the
    lock: slots are counted from `outreach_attempts`, so a failure frees its slot. SQLite: the
    transaction began with `BEGIN IMMEDIATE`, which already admits one writer at a time.
    """
    if session.get_bind().dialect.name == "sqlite":
        return
    await session.execute(
        insert_for(session, SendCounter)
        .values(sender_email=sender, day=day, reserved=0)
        .on_conflict_do_nothing(index_elements=["sender_email", "day"])
    )
    await session.execute(
        select(SendCounter.reserved)
        .where(SendCounter.sender_email == sender, SendCounter.day == day)
        .with_for_update()
    )


def _holding(status: Any) -> ColumnElement[bool]:
    """`status IN ('sending', 'sent')` as two fixed parameters: IN over a Python tuple is an
    "expanding" parameter, which re-renders the SQL on every execution (a sixth of a policy
    check's CPU)."""
    result: ColumnElement[bool] = status.in_([literal(value) for value in HOLDING])
    return result


def _count(*conditions: ColumnElement[bool]) -> ScalarSelect[int]:
    return (
        select(func.count())
        .select_from(OutreachAttempt)
        .where(_holding(OutreachAttempt.status), *conditions)
        .scalar_subquery()
    )


def _running_sequence() -> ColumnElement[bool]:
    """The lead has a sequence that is still going: pending sequence steps (unless the send
    is one of them: `:steps_count` false), or a scheduled part 1 follow-up."""
    lead: BindParameter[str] = bindparam("lead")
    s, f = SequenceStep, FollowUp
    step_pending = s.status.in_([literal("scheduled"), literal("sending")])
    counts_steps: BindParameter[bool] = bindparam("steps_count", type_=Boolean())
    return or_(
        and_(counts_steps, exists().where(s.lead_id == lead, step_pending)),
        exists().where(f.lead_id == lead, f.status == literal("scheduled")),
    )


def _recently_contacted() -> ColumnElement[bool]:
    """The lead's site got an initial message from this workspace since `:recontact_since`
    (deleted campaigns and leads included: attempts outlive them)."""
    a = OutreachAttempt
    return exists().where(
        a.workspace_id == bindparam("workspace"),
        a.lead_domain == bindparam("lead_domain"),
        a.kind == literal("initial"),
        _holding(a.status),
        a.created_at >= bindparam("recontact_since"),
    )


def _facts_query(*, recipient: bool, duplicate: bool, initial: bool = False) -> Select[Any]:
    """The facts query, built once per shape with bound parameters: composing it per call was
    most of a policy check's CPU. `initial`: an initial message to a lead, which also asks
    whether the lead has a running sequence and whether its site was contacted recently."""
    a = OutreachAttempt
    sender: BindParameter[str] = bindparam("sender")
    day: BindParameter[date] = bindparam("day")
    workspace: BindParameter[str] = bindparam("workspace")
    columns: list[Any] = [
        _count(a.sender_email == sender, a.send_day == day),
        _count(a.workspace_id == workspace, a.send_day == day),
    ]
    if recipient:
        domain: BindParameter[str] = bindparam("domain")
        columns.append(
            _count(a.sender_email == sender, a.send_day == day, a.recipient_domain == domain)
        )
        columns.append(
            suppression.listed(
                workspace,
                bindparam("address"),
                bindparam("any_at_domain"),
                bindparam("address_hash"),
            )
        )
    if duplicate:
        columns.append(
            exists().where(
                a.workspace_id == workspace,
                a.recipient_email == bindparam("address"),
                a.subject_key == bindparam("subject_key"),
                _holding(a.status),
                a.created_at >= bindparam("since"),
            )
        )
    if initial:
        if not duplicate:
            columns.append(literal(False))  # keeps the positions of the two below
        columns += [_running_sequence(), _recently_contacted()]
    return select(*columns)


_FACTS = {
    (recipient, duplicate, initial): _facts_query(
        recipient=recipient, duplicate=duplicate, initial=initial
    )
    for recipient, duplicate, initial in [
        (False, False, False),
        (True, False, False),
        (True, True, False),
        (True, False, True),
        (True, True, True),
    ]
}


@dataclass(frozen=True)
class LeadChecks:
    """An initial message's lead: its running sequence and its site's recent contacts are
    policy facts too. `scheduled`: the message is step 0 of the lead's own sequence, whose
    pending steps do not count against it (a lead is enrolled once)."""

    lead_id: str
    site_domain: str
    scheduled: bool = False


async def facts(
    session: AsyncSession,
    settings: Settings,
    *,
    workspace_id: str,
    sender: str,
    recipient: policy.Recipient,
    site_domain: str | None,
    lead_consent: bool,
    subject: str | None,
    now: datetime,
    sender_cap: int | None = None,
    mailbox_paused: bool = False,
    lead_checks: LeadChecks | None = None,
) -> policy.Facts:
    """Everything `policy.evaluate` reads, in one round trip. `subject=None` skips the duplicate
    check (follow-ups: the same thread is not a duplicate; a validate call without a subject);
    `lead_checks` (initial messages to a lead) adds the sequence and recontact checks."""
    params: dict[str, Any] = {"sender": sender, "day": utc_day(now), "workspace": workspace_id}
    address, domain = recipient.address, recipient.domain
    usable = recipient.reason is None and address is not None and domain is not None
    window = settings.policy_duplicate_window_days
    duplicate = usable and subject is not None and window > 0
    initial = usable and lead_checks is not None
    if usable and address is not None:  # (usable implies it; mypy cannot see through it)
        params.update(
            domain=domain,
            address=address,
            any_at_domain=f"*@{domain}",
            address_hash=suppression.hashed(address),
        )
    if duplicate:
        assert subject is not None
        params.update(subject_key=subject_key(subject), since=now - timedelta(days=window))
    if initial:
        assert lead_checks is not None
        recontact = settings.policy_recontact_days
        params.update(
            lead=lead_checks.lead_id,
            steps_count=not lead_checks.scheduled,
            lead_domain=lead_checks.site_domain,
            # 0 turns the cool-down off: a time no attempt is created after.
            recontact_since=now - timedelta(days=recontact) if recontact > 0 else _NEVER,
        )
    row = (await session.execute(_FACTS[usable, duplicate, initial], params)).one()
    # Columns: sender day, workspace day, then per shape domain day, suppressed, duplicate,
    # running sequence, recently contacted; the ones a shape leaves out are 0 / False.
    values = list(row) + [0, False, False, False, False][len(row) - 2 :]
    return policy.Facts(
        recipient=recipient,
        site_domain=site_domain,
        lead_consent=lead_consent,
        suppressed=bool(values[3]),
        duplicate=bool(values[4]),
        counts=policy.Counts(int(values[0]), int(values[2]), int(values[1])),
        limits=limits(settings, sender_cap),
        mailbox_paused=mailbox_paused,
        sequence_active=bool(values[5]),
        recently_contacted=bool(values[6]),
    )


_NEVER = datetime.max.replace(tzinfo=UTC)


async def decide(
    session: AsyncSession,
    settings: Settings,
    *,
    workspace_id: str,
    sender: str,
    recipient: policy.Recipient,
    lead: Lead,
    subject: str | None,
    now: datetime,
    identity: Sender | None = None,
    lead_checks: LeadChecks | None = None,
) -> tuple[policy.Decision, policy.Facts]:
    """The check every send makes: take the sender's day lock, then load the facts and
    evaluate them, so a concurrent send counts only after this one has committed. With the
    sending mailbox (`identity`), its cap today applies and its breaker is checked (a paused
    mailbox sends nothing)."""
    await lock_sender_day(session, sender, utc_day(now))
    paused = False
    if identity is not None:
        state = await health.check_breaker(
            session, identity.mailbox_id, settings.bounce_breaker_percent, now
        )
        paused = state.status == "paused"
    found = await facts(
        session,
        settings,
        workspace_id=workspace_id,
        sender=sender,
        recipient=recipient,
        site_domain=lead.domain,
        lead_consent=lead.consent,
        subject=subject,
        now=now,
        sender_cap=identity.daily_cap if identity is not None else None,
        mailbox_paused=paused,
        lead_checks=lead_checks,
    )
    return policy.evaluate(found), found


async def reserve(
    session: AsyncSession,
    settings: Settings,
    *,
    sender: str,
    lead: Lead,
    recipient: policy.Recipient,
    kind: AttemptKind,
    step: int,
    subject: str,
    body: str,
    now: datetime,
    in_reply_to: str | None = None,
    identity: Sender | None = None,
    scheduled: bool = False,
) -> tuple[policy.Decision, OutreachAttempt | None]:
    """Step 1 of every send: decide under the sender's day lock, log the decision, and, when
    allowed, add the attempt as `sending` (holding its cap slot) with its Message-ID, its
    mailbox and how it will leave (from `identity`, the sending mailbox's Sender). A follow-up
    is never a duplicate of its own thread and never starts a sequence, so only an initial
    message gets the duplicate, running-sequence and recontact checks (`scheduled`: it is a
    step of the lead's own sequence, which does not count as a running one)."""
    initial = kind == "initial"
    decision, found = await decide(
        session,
        settings,
        workspace_id=lead.workspace_id,
        sender=sender,
        recipient=recipient,
        lead=lead,
        subject=subject if initial else None,
        now=now,
        identity=identity,
        lead_checks=LeadChecks(lead.id, lead.domain, scheduled) if initial else None,
    )
    mailbox_id = identity.mailbox_id if identity is not None else DEFAULT_MAILBOX_ID
    decisions.record(session, lead, mailbox_id, recipient, decision, found, now)
    if not decision.allowed:
        return decision, None
    assert recipient.address is not None and recipient.domain is not None
    attempt = OutreachAttempt(
        id=new_id("att"),
        workspace_id=lead.workspace_id,
        campaign_id=lead.campaign_id,
        lead_id=lead.id,
        lead_domain=lead.domain,
        kind=kind,
        step=step,
        sender_email=sender,
        recipient_email=recipient.address,
        recipient_domain=recipient.domain,
        subject=subject,
        subject_key=subject_key(subject),
        body=body,
        message_id=message.new_message_id(sender),
        in_reply_to=in_reply_to,
        status="sending",
        legal_basis=decision.legal_basis,
        send_day=utc_day(now),
        created_at=now,
        permanent_failure=False,
        mailbox_id=mailbox_id,
        delivery=identity.delivery if identity is not None else None,
    )
    session.add(attempt)
    return decision, attempt
