"""`POST /outreach/preview`: the message a send of the same request would deliver now, and the
policy verdict it would get, sending nothing and storing nothing.

It walks the send's own path with its own functions, read-only: the texts (`service.load_texts`),
the mailboxes in the send's order (`routing.candidates`; a full or paused one passes the message
to the next, as `service.send` does), the rendering (`service.render_for`), the
facts and the verdict (`ledger.facts` + `policy.evaluate`, without the sender's day lock and
without tripping a breaker: a tripped one reads as paused), and the wire bytes
(`delivery.wire_bytes`, from an attempt that is never added to the session). The raw message
leaves out the DKIM signature: a signed preview would be a message anyone could replay.

What differs from the real send is only what each message gets afresh: its Message-ID, its Date,
the MIME boundary, the unsubscribe token's nonce, and the DKIM signature.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..campaigns import service as campaigns
from ..config import Settings
from ..db import utcnow
from ..errors import NotFound
from ..leads import service as leads
from ..mailboxes import health, routing
from ..models import Campaign, Lead, OutreachAttempt
from ..sender import Sender
from ..subjects import subject_key
from . import delivery, ledger, message, policy, service
from .schemas import PreviewOut, PreviewPolicy, SendRequest


async def preview(
    session: AsyncSession, settings: Settings, principal: Principal, data: SendRequest
) -> PreviewOut:
    service.require_texts(data)
    await service.check_can_send(session, settings, principal, data)
    now = utcnow()
    campaign = await campaigns.get_campaign(session, principal, data.campaign_id)
    if data.workspace_id not in (None, "default", campaign.workspace_id):
        raise NotFound()
    texts = await service.load_texts(session, principal, data)
    lead = await leads.get_lead(session, campaign, data.lead_id)
    routes = await routing.candidates(session, settings, campaign, data.mailbox_id, now)
    for index, route in enumerate(routes):
        subject, body = service.render_for(route.sender, campaign, lead, texts, data)
        decision = await _decide(session, settings, route.sender, lead, subject, now)
        if decision.reason not in service.NEXT_MAILBOX or index + 1 == len(routes):
            break
    attempt = _unsaved_attempt(route.sender, campaign, lead, subject, body, now)
    # No DKIM key: the preview is for reading, not a signed message to replay.
    raw = delivery.wire_bytes(settings, dataclasses.replace(route.sender, dkim=None), attempt)
    parsed = message_from_bytes(raw, policy=email_policy.default)
    assert isinstance(parsed, EmailMessage)
    return PreviewOut(
        subject=subject,
        text=_part(parsed, "plain") or "",
        html=_part(parsed, "html"),
        headers={name: str(value) for name, value in parsed.items()},
        raw=raw.decode("utf-8", errors="replace"),
        policy=PreviewPolicy(
            allowed=decision.allowed, reason=decision.reason, legal_basis=decision.legal_basis
        ),
        mailbox_id=route.mailbox_id,
    )


async def _decide(
    session: AsyncSession,
    settings: Settings,
    sender: Sender,
    lead: Lead,
    subject: str,
    now: datetime,
) -> policy.Decision:
    """`ledger.decide` without its lock and its writes: the verdict a send would get now."""
    state = await health.read(session, sender.mailbox_id)
    paused, _ = state.shown(settings.bounce_breaker_percent)
    facts = await ledger.facts(
        session,
        settings,
        workspace_id=lead.workspace_id,
        sender=sender.sendable_address(),
        recipient=policy.check_recipient(lead.contact_email),
        site_domain=lead.domain,
        lead_consent=lead.consent,
        subject=subject,
        now=now,
        sender_cap=sender.daily_cap,
        mailbox_paused=paused == "paused",
        lead_checks=ledger.LeadChecks(lead.id, lead.domain),
    )
    return policy.evaluate(facts)


def _unsaved_attempt(
    sender: Sender, campaign: Campaign, lead: Lead, subject: str, body: str, now: datetime
) -> OutreachAttempt:
    """The attempt `ledger.reserve` would add, as `wire_bytes` reads it; never added to a
    session. A lead without a usable address still gets a message to read: to what it has."""
    recipient = policy.check_recipient(lead.contact_email)
    address = sender.sendable_address()
    return OutreachAttempt(
        workspace_id=lead.workspace_id,
        campaign_id=campaign.id,
        lead_id=lead.id,
        lead_domain=lead.domain,
        kind="initial",
        step=0,
        sender_email=address,
        recipient_email=recipient.address or (lead.contact_email or "").strip(),
        recipient_domain=recipient.domain,
        subject=subject,
        subject_key=subject_key(subject),
        body=body,
        message_id=message.new_message_id(address),
        in_reply_to=None,
        status="sending",
        send_day=ledger.utc_day(now),
        created_at=now,
        mailbox_id=sender.mailbox_id,
        delivery=sender.delivery,
    )


def _part(parsed: EmailMessage, subtype: str) -> str | None:
    part = parsed.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    content: str = part.get_content()
    return content.replace("\r\n", "\n")
