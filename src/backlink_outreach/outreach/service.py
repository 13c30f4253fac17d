"""Sending and its read side.

`send` is the three steps of ARCHITECTURE.md, each in its own session from the app's
sessionmaker (the request holds no transaction across SMTP):
1. one short transaction loads the lead, renders the text, evaluates policy, takes the sender's
   day lock, and inserts the attempt as `sending` with its Message-ID; it commits;
2. SMTP (or the outbox folder), outside any transaction;
3. a second short transaction records `sent` (lead `discovered -> contacted`, follow-ups
   scheduled) or `failed` (slot freed; a permanent recipient refusal suppresses the address).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..auth import Principal
from ..campaigns import service as campaigns
from ..config import Settings
from ..db import utcnow
from ..domains import InvalidValue, normalize_sender_email
from ..emails import fields, templates
from ..emails.service import Draft
from ..errors import DeliveryFailed, NotFound, PolicyBlocked, Unprocessable
from ..ids import new_id
from ..leads import service as leads
from ..models import Campaign, FollowUp, Lead, OutreachAttempt
from ..subjects import subject_key
from ..validation import is_single_line
from . import followups, ledger, message, policy, smtp, txn, unsubscribe
from .schemas import AttemptOut, FollowUpOut, PolicyCounts, PolicyRequest, PolicyResult, SendRequest

log = structlog.get_logger(__name__)


def sender_address(settings: Settings) -> str:
    try:
        return normalize_sender_email(settings.smtp_from_email)
    except InvalidValue:
        raise Unprocessable(
            "SMTP_FROM_EMAIL is not a valid address", "not_configured", []
        ) from None


def _render(text: str, values: dict[str, str], field: str) -> str:
    try:
        return templates.render(text, values)
    except templates.UnknownPlaceholders as exc:
        raise Unprocessable(str(exc), "unknown_placeholder", ["body", field]) from None
    except templates.TemplateSyntaxError as exc:
        raise Unprocessable(f"template syntax: {exc}", "template_syntax", ["body", field]) from None


def render_message(
    settings: Settings, lead: Lead, subject: str, body: str, topic: str = ""
) -> tuple[str, str]:
    """Render subject and body for a lead. `{topic}` is the campaign's first keyword."""
    values = fields.template_values(lead, settings, {"topic": topic} if topic else None)
    rendered_subject = _render(subject, values, "subject").strip()
    rendered_body = _render(body, values, "body")
    if not is_single_line(rendered_subject):
        raise Unprocessable(
            "The subject must be a single line (no CR or LF), also after rendering.",
            "value_error",
            ["body", "subject"],
        )
    if not rendered_subject or len(rendered_subject) > 998:
        raise Unprocessable(
            "The rendered subject must be 1 to 998 characters.", "value_error", ["body", "subject"]
        )
    return rendered_subject, rendered_body


@dataclass
class Reserved:
    attempt: OutreachAttempt
    campaign: Campaign
    lead: Lead


async def _reserve(
    session: AsyncSession, settings: Settings, principal: Principal, data: SendRequest
) -> Reserved:
    campaign = await campaigns.get_campaign(session, principal, data.campaign_id)
    if data.workspace_id not in (None, "default", campaign.workspace_id):
        raise NotFound()
    lead = await leads.get_lead(session, campaign, data.lead_id)
    topic = campaign.keywords[0] if campaign.keywords else ""
    subject, body = render_message(settings, lead, data.subject, data.body, topic)
    sender = sender_address(settings)
    recipient = policy.check_recipient(lead.contact_email)
    now = utcnow()
    if recipient.reason is not None:
        raise PolicyBlocked(recipient.reason)
    day = ledger.utc_day(now)
    decision = await ledger.decide(
        session,
        settings,
        workspace_id=campaign.workspace_id,
        sender=sender,
        recipient=recipient,
        lead=lead,
        subject=subject,
        now=now,
    )
    if not decision.allowed:
        raise PolicyBlocked(decision.reason or policy.INVALID_RECIPIENT)
    assert recipient.address is not None and recipient.domain is not None
    attempt = OutreachAttempt(
        id=new_id("att"),
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        lead_id=lead.id,
        kind="initial",
        step=0,
        sender_email=sender,
        recipient_email=recipient.address,
        recipient_domain=recipient.domain,
        subject=subject,
        subject_key=subject_key(subject),
        body=body,
        message_id=message.new_message_id(sender),
        status="sending",
        legal_basis=decision.legal_basis,
        send_day=day,
        created_at=now,
        permanent_failure=False,
    )
    session.add(attempt)
    return Reserved(attempt, campaign, lead)


def wire_bytes(
    settings: Settings,
    attempt: OutreachAttempt,
    references: tuple[str, ...] = (),
) -> bytes:
    token = unsubscribe.make_token(
        settings, attempt.workspace_id, attempt.recipient_email, attempt.send_day
    )
    outgoing = message.Outgoing(
        sender=attempt.sender_email,
        recipient=attempt.recipient_email,
        subject=attempt.subject,
        body=attempt.body,
        message_id=attempt.message_id,
        unsubscribe_url=unsubscribe.unsubscribe_url(settings, token),
        unsubscribe_mailto=unsubscribe.mailto_url(settings),
        in_reply_to=attempt.in_reply_to,
        references=references,
    )
    return message.to_bytes(settings, message.build(settings, outgoing, attempt.created_at))


async def deliver(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    mailer: smtp.Mailer,
    attempt: OutreachAttempt,
    references: tuple[str, ...] = (),
) -> smtp.DeliveryError | None:
    """Steps 2 and the failure half of 3: SMTP, then record a failure. None means delivered."""
    try:
        data = wire_bytes(settings, attempt, references)
    except Exception as exc:  # noqa: BLE001 - e.g. an unusable DKIM key: fail the attempt
        log.error("message_build_failed", attempt_id=attempt.id, error_type=type(exc).__name__)
        data = None
    try:
        if data is None:
            raise smtp.DeliveryError("permanent: the message could not be built or signed")
        await mailer.send(attempt.sender_email, attempt.recipient_email, data, attempt.id)
    except smtp.DeliveryError as failure:
        async with txn.write(sessionmaker) as session:
            await ledger.record_failed(session, attempt, failure)
        attempt.status, attempt.error = "failed", failure.error
        attempt.smtp_code, attempt.permanent_failure = (
            failure.smtp_code,
            failure.permanent_recipient,
        )
        log.warning(
            "outreach_delivery_failed",
            attempt_id=attempt.id,
            kind=attempt.kind,
            error=failure.error,
            permanent_recipient=failure.permanent_recipient,
        )
        return failure
    return None


async def record_initial_sent(
    session: AsyncSession,
    attempt: OutreachAttempt,
    sent_at: datetime,
    drafts: list[tuple[int, Draft]],
) -> None:
    """Step 3 on success: the attempt is sent, its lead `discovered -> contacted`, and the
    campaign's follow-ups are scheduled from `sent_at`."""
    await ledger.record_sent(session, attempt.id, sent_at)
    await session.execute(
        update(Lead)
        .where(Lead.id == attempt.lead_id, Lead.status == "discovered")
        .values(status="contacted", updated_at=sent_at)
    )
    await followups.schedule(session, attempt, sent_at, drafts)


async def send(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    principal: Principal,
    data: SendRequest,
) -> AttemptOut:
    smtp.check_configured(settings)
    async with txn.write(sessionmaker) as session:
        reserved = await _reserve(session, settings, principal, data)
    attempt, campaign, lead = reserved.attempt, reserved.campaign, reserved.lead

    mailer = smtp.mailer_for(settings)
    if await deliver(sessionmaker, settings, mailer, attempt) is not None:
        raise DeliveryFailed()

    # Follow-up texts may come from an LLM writer: written before the transaction opens. The
    # message is already out, so a writer failure must not turn this into an error.
    try:
        drafts = await followups.drafts_for(settings, attempt, lead, campaign.follow_up_days)
    except Exception as exc:  # noqa: BLE001
        log.error("follow_up_drafts_failed", attempt_id=attempt.id, error_type=type(exc).__name__)
        drafts = []
    sent_at = utcnow()
    try:
        async with txn.write(sessionmaker) as session:
            await record_initial_sent(session, attempt, sent_at, drafts)
    except IntegrityError:
        # The campaign was deleted while the message was on its way: its attempt went with it,
        # and there is nothing to schedule. The message itself did go out.
        log.info("outreach_sent_campaign_deleted", attempt_id=attempt.id)
    attempt.status, attempt.sent_at = "sent", sent_at
    log.info("outreach_sent", attempt_id=attempt.id, campaign_id=campaign.id)
    return AttemptOut.model_validate(attempt)


async def validate(
    session: AsyncSession, settings: Settings, principal: Principal, data: PolicyRequest
) -> PolicyResult:
    """The decision `send` would take now, changing nothing."""
    try:
        sender = normalize_sender_email(data.sender_email)
    except InvalidValue as exc:
        raise Unprocessable(str(exc), "value_error", ["body", "sender_email"]) from None
    recipient = policy.check_recipient(data.recipient_email)
    facts = await ledger.facts(
        session,
        settings,
        workspace_id=principal.workspace_id,
        sender=sender,
        recipient=recipient,
        site_domain=None,
        lead_consent=False,
        subject=data.subject if data.subject and data.subject.strip() else None,
        now=utcnow(),
    )
    decision = policy.evaluate(facts)
    return PolicyResult(
        allowed=decision.allowed,
        reason=decision.reason,
        legal_basis=decision.legal_basis,
        counts=PolicyCounts(**vars(facts.counts)),
        limits=PolicyCounts(**vars(facts.limits)),
    )


async def list_attempts(
    session: AsyncSession, principal: Principal, campaign_id: str
) -> list[AttemptOut]:
    campaign = await campaigns.get_campaign(session, principal, campaign_id)
    rows = await session.scalars(
        select(OutreachAttempt)
        .where(OutreachAttempt.campaign_id == campaign.id)
        .order_by(OutreachAttempt.created_at, OutreachAttempt.id)
    )
    return [AttemptOut.model_validate(row) for row in rows]


async def list_follow_ups(
    session: AsyncSession, principal: Principal, campaign_id: str
) -> list[FollowUpOut]:
    campaign = await campaigns.get_campaign(session, principal, campaign_id)
    rows = await session.scalars(
        select(FollowUp)
        .where(FollowUp.campaign_id == campaign.id)
        .order_by(FollowUp.scheduled_for, FollowUp.id)
    )
    return [FollowUpOut.model_validate(row) for row in rows]
