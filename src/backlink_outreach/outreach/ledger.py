"""The send ledger: what policy needs to know (counts, duplicates, suppression), and the lock
that makes reserving a cap slot atomic.

`reserve` is step 1 of every send; how a delivery ended is recorded by `delivery.py`.
A cap slot is an `outreach_attempts` row in status `sending` or `sent` on that UTC day; a
`failed` row frees it. Counting and inserting happen in one transaction that first takes the
sender's day lock, so concurrent requests, in any number of processes, queue on it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    ScalarSelect,
    Select,
    bindparam,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..db import insert_for
from ..ids import new_id
from ..mailboxes import health
from ..models import DEFAULT_MAILBOX_ID, AttemptKind, Lead, OutreachAttempt, SendCounter
from ..sender import Sender
from ..subjects import subject_key
from ..suppression import service as suppression
from . import message, policy

HOLDING = ("sending", "sent")


def utc_day(now: datetime) -> date:
    return now.date()


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


def _facts_query(*, recipient: bool, duplicate: bool) -> Select[Any]:
    """The facts query, built once per shape with bound parameters: composing it per call was
    most of a policy check's CPU."""
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
            suppression.listed(workspace, bindparam("address"), bindparam("any_at_domain"))
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
    return select(*columns)


_FACTS = {
    (False, False): _facts_query(recipient=False, duplicate=False),
    (True, False): _facts_query(recipient=True, duplicate=False),
    (True, True): _facts_query(recipient=True, duplicate=True),
}


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
) -> policy.Facts:
    """Everything `policy.evaluate` reads, in one round trip. `subject=None` skips the duplicate
    check (follow-ups: the same thread is not a duplicate; a validate call without a subject)."""
    params: dict[str, Any] = {"sender": sender, "day": utc_day(now), "workspace": workspace_id}
    address, domain = recipient.address, recipient.domain
    usable = recipient.reason is None and address is not None and domain is not None
    window = settings.policy_duplicate_window_days
    duplicate = usable and subject is not None and window > 0
    if usable:
        params.update(domain=domain, address=address, any_at_domain=f"*@{domain}")
    if duplicate:
        assert subject is not None
        params.update(subject_key=subject_key(subject), since=now - timedelta(days=window))
    row = (await session.execute(_FACTS[usable, duplicate], params)).one()
    values = list(row) + [0, False, False][len(row) - 2 :]
    return policy.Facts(
        recipient=recipient,
        site_domain=site_domain,
        lead_consent=lead_consent,
        suppressed=bool(values[3]),
        duplicate=bool(values[4]),
        counts=policy.Counts(int(values[0]), int(values[2]), int(values[1])),
        limits=limits(settings, sender_cap),
        mailbox_paused=mailbox_paused,
    )


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
) -> policy.Decision:
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
    )
    return policy.evaluate(found)


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
) -> tuple[policy.Decision, OutreachAttempt | None]:
    """Step 1 of every send: decide under the sender's day lock and, when allowed, add the
    attempt as `sending` (holding its cap slot) with its Message-ID, its mailbox and how it
    will leave (from `identity`, the sending mailbox's Sender). A follow-up is never a
    duplicate of its own thread, so only an initial message gets the duplicate check."""
    decision = await decide(
        session,
        settings,
        workspace_id=lead.workspace_id,
        sender=sender,
        recipient=recipient,
        lead=lead,
        subject=subject if kind == "initial" else None,
        now=now,
        identity=identity,
    )
    if not decision.allowed:
        return decision, None
    assert recipient.address is not None and recipient.domain is not None
    attempt = OutreachAttempt(
        id=new_id("att"),
        workspace_id=lead.workspace_id,
        campaign_id=lead.campaign_id,
        lead_id=lead.id,
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
        mailbox_id=identity.mailbox_id if identity is not None else DEFAULT_MAILBOX_ID,
        delivery=identity.delivery if identity is not None else None,
    )
    session.add(attempt)
    return decision, attempt
