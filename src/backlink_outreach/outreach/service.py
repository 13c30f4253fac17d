"""Sending and its read side.

`send` is the three steps of ARCHITECTURE.md, each in its own session from the app's
`Database.write()` (the request holds no transaction across SMTP), all three inside the sending
mailbox's connection turn (`smtp.SmtpMailer.turn`: nothing is reserved while it waits for one):
1. one short transaction loads the lead, renders the text, evaluates policy, takes the sender's
   day lock, and inserts the attempt as `sending` with its Message-ID; it commits;
2. SMTP (or the outbox folder), outside any transaction;
3. a second short transaction records `sent` (lead `discovered -> contacted`, follow-ups
   scheduled) or `failed` (slot freed; a permanent recipient refusal suppresses the address).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import Exists, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..campaigns import service as campaigns
from ..config import Settings
from ..database import Database
from ..db import utcnow
from ..domains import InvalidValue, normalize_sender_email
from ..emails import fields, template_service, templates
from ..errors import DeliveryFailed, NotFound, PolicyBlocked, Unprocessable
from ..leads import service as leads
from ..mailboxes import routing
from ..models import Campaign, FollowUp, Lead, OutreachAttempt
from ..sender import Sender
from ..validation import is_single_line
from . import delivery, followups, ledger, policy, smtp
from .schemas import AttemptOut, FollowUpOut, PolicyCounts, PolicyRequest, PolicyResult, SendRequest

log = structlog.get_logger(__name__)


def _render(text: str, values: dict[str, str], loc: str) -> str:
    try:
        return templates.render(text, values)
    except templates.UnknownPlaceholders as exc:
        raise Unprocessable(str(exc), "unknown_placeholder", ["body", loc]) from None
    except templates.TemplateSyntaxError as exc:
        raise Unprocessable(f"template syntax: {exc}", "template_syntax", ["body", loc]) from None


@dataclass(frozen=True)
class Texts:
    """A send's subject and body before rendering, and the request field each came from (the
    `loc` of a 422 about it: `subject`/`body`, or `template_id`)."""

    subject: str
    body: str
    subject_from: str = "subject"
    body_from: str = "body"


def require_texts(data: SendRequest) -> None:
    """Subject and body are required unless a template gives them: the 422 a missing field
    gets, before anything is looked up."""
    if data.template_id is not None:
        return
    for name in ("subject", "body"):
        if getattr(data, name) is None:
            raise Unprocessable("Field required", "missing", ["body", name])


async def load_texts(session: AsyncSession, principal: Principal, data: SendRequest) -> Texts:
    """The texts of a send: the request's own, else its template's (404 outside the caller's
    workspaces, like any id)."""
    require_texts(data)
    if data.template_id is None:
        assert data.subject is not None and data.body is not None
        return Texts(data.subject, data.body)
    template = await template_service.get_template(session, principal, data.template_id)
    subject, body = data.subject, data.body
    return Texts(
        template.subject if subject is None else subject,
        template.body if body is None else body,
        "template_id" if subject is None else "subject",
        "template_id" if body is None else "body",
    )


def render_message(
    sender: Sender,
    lead: Lead,
    subject: str,
    body: str,
    topic: str = "",
    variables: Mapping[str, str] | None = None,
    *,
    locs: tuple[str, str] = ("subject", "body"),
) -> tuple[str, str]:
    """Render subject and body for a lead. `{topic}` is the campaign's first keyword;
    `variables` add the caller's own names (never a built-in one: the schema refuses that)."""
    extra = {"topic": topic} if topic else {}
    values = fields.template_values(lead, sender, {**extra, **(variables or {})})
    rendered_subject = _render(subject, values, locs[0]).strip()
    rendered_body = _render(body, values, locs[1])
    if not is_single_line(rendered_subject):
        raise Unprocessable(
            "The subject must be a single line (no CR or LF), also after rendering.",
            "value_error",
            ["body", locs[0]],
        )
    if not rendered_subject or len(rendered_subject) > 998:
        raise Unprocessable(
            "The rendered subject must be 1 to 998 characters.", "value_error", ["body", locs[0]]
        )
    return rendered_subject, rendered_body


def render_for(
    sender: Sender, campaign: Campaign, lead: Lead, texts: Texts, data: SendRequest
) -> tuple[str, str]:
    """The subject and body a send of `data` from `sender` carries."""
    topic = campaign.keywords[0] if campaign.keywords else ""
    return render_message(
        sender,
        lead,
        texts.subject,
        texts.body,
        topic,
        data.variables,
        locs=(texts.subject_from, texts.body_from),
    )


@dataclass
class Reserved:
    attempt: OutreachAttempt
    campaign: Campaign
    lead: Lead


async def _reserve(
    session: AsyncSession,
    settings: Settings,
    sender: Sender,
    campaign: Campaign,
    data: SendRequest,
    texts: Texts,
    now: datetime,
) -> Reserved:
    lead = await leads.get_lead(session, campaign, data.lead_id)
    subject, body = render_for(sender, campaign, lead, texts, data)
    address = sender.sendable_address()
    recipient = policy.check_recipient(lead.contact_email)
    if recipient.reason is not None:
        raise PolicyBlocked(recipient.reason)
    decision, attempt = await ledger.reserve(
        session,
        settings,
        sender=address,
        lead=lead,
        recipient=recipient,
        kind="initial",
        step=0,
        subject=subject,
        body=body,
        now=now,
        identity=sender,
    )
    if attempt is None:
        raise PolicyBlocked(decision.reason or policy.INVALID_RECIPIENT)
    return Reserved(attempt, campaign, lead)


# A mailbox that cannot take this send passes it to the next of the campaign's mailboxes.
NEXT_MAILBOX = frozenset({policy.SENDER_DAILY_CAP, policy.MAILBOX_PAUSED})


async def _plan(
    db: Database, settings: Settings, principal: Principal, data: SendRequest
) -> tuple[Texts, list[routing.Route]]:
    """What a send needs before it waits for a connection: its texts and the mailboxes it may
    go from, best first (404 for a campaign outside the caller's workspaces)."""
    async with db.read() as session:
        campaign = await campaigns.get_campaign(session, principal, data.campaign_id)
        if data.workspace_id not in (None, "default", campaign.workspace_id):
            raise NotFound()
        texts = await load_texts(session, principal, data)
        routes = await routing.candidates(session, settings, campaign, data.mailbox_id, utcnow())
    return texts, routes


async def _reserve_on(
    db: Database,
    settings: Settings,
    principal: Principal,
    data: SendRequest,
    texts: Texts,
    route: routing.Route,
) -> Reserved | PolicyBlocked:
    """Step 1 from one mailbox, in its own short transaction (one sender's day lock at a time,
    so two sends can never wait on each other's locks). A block is returned, not raised, so
    what the decision wrote (its log entry, a tripped breaker) is committed."""
    async with db.write() as session:
        campaign = await campaigns.get_campaign(session, principal, data.campaign_id)
        try:
            return await _reserve(session, settings, route.sender, campaign, data, texts, utcnow())
        except PolicyBlocked as exc:
            return exc


async def check_can_send(
    session: AsyncSession, settings: Settings, principal: Principal, data: SendRequest
) -> None:
    """Part 1: without a way to send, 422 before anything else; a workspace with mailboxes of
    its own sends from them."""
    if routing.default_configured(settings) or data.mailbox_id is not None:
        return
    if not await routing.has_own_mailboxes(session, sorted(principal.workspaces)):
        smtp.check_configured(settings)


async def send(
    db: Database,
    settings: Settings,
    principal: Principal,
    data: SendRequest,
) -> AttemptOut:
    require_texts(data)
    if not routing.default_configured(settings) and data.mailbox_id is None:
        async with db.read() as session:
            await check_can_send(session, settings, principal, data)
    texts, routes = await _plan(db, settings, principal, data)
    # Mailbox rotation: best first; a full or paused one passes the send to the next. Each
    # message is reserved only once its mailbox's connection is ready to take it, and the
    # turn is kept until its outcome is recorded, so a crash leaves at most one message per
    # connection `sending`.
    for index, route in enumerate(routes):
        mailer = route.mailer(settings)
        async with mailer.turn():
            reserved = await _reserve_on(db, settings, principal, data, texts, route)
            if isinstance(reserved, Reserved):
                return await _deliver_reserved(db, settings, route, mailer, reserved)
        if reserved.reason not in NEXT_MAILBOX or index + 1 >= len(routes):
            raise reserved
    raise AssertionError("routing.candidates gives at least one mailbox")


async def _deliver_reserved(
    db: Database,
    settings: Settings,
    route: routing.Route,
    mailer: smtp.Mailer,
    reserved: Reserved,
) -> AttemptOut:
    """Steps 2 and 3 of an API send, inside the connection's turn."""
    attempt, campaign, lead = reserved.attempt, reserved.campaign, reserved.lead
    sender = route.sender
    if await delivery.deliver(db, settings, sender, mailer, attempt) is not None:
        raise DeliveryFailed()

    # Follow-up texts may come from an LLM writer: written before the transaction opens, still
    # in the turn (the next message is reserved only once this one's outcome is recorded). The
    # message is already out, so a writer failure must not turn this into an error. A campaign
    # with a sequence follows up with its own steps instead.
    follow_up_days = [] if campaign.sequence else campaign.follow_up_days
    try:
        drafts = await followups.drafts_for(settings, attempt, lead, follow_up_days)
    except Exception as exc:  # noqa: BLE001
        log.error("follow_up_drafts_failed", attempt_id=attempt.id, error_type=type(exc).__name__)
        drafts = []
    sent_at = utcnow()
    try:
        async with db.write() as session:
            await delivery.record_sent(
                session,
                attempt,
                sent_at,
                drafts=drafts,
                campaign=campaign,
                jitter_seconds=settings.send_jitter_seconds,
            )
    except IntegrityError:
        # A last guard: what follows the message (follow-ups, sequence steps) checks that its
        # lead still exists, so a lead or campaign deleted meanwhile is no error here. The
        # message itself did go out.
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


def attempt_of_a_lead() -> Exists:
    """The attempt's lead still exists: a deleted lead's attempts stay for policy (caps,
    duplicates, the cool-down) but are gone from every list and export, as its replies are."""
    return exists().where(Lead.id == OutreachAttempt.lead_id)


async def list_attempts(
    session: AsyncSession, principal: Principal, campaign_id: str
) -> list[AttemptOut]:
    campaign = await campaigns.get_campaign(session, principal, campaign_id)
    rows = await session.scalars(
        select(OutreachAttempt)
        .where(OutreachAttempt.campaign_id == campaign.id, attempt_of_a_lead())
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
