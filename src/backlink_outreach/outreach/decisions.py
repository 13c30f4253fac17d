"""The policy decision log (GDPR Art. 5(2) accountability): every policy evaluation of a real
send, API or scheduled, allowed or blocked, with the counts and limits it read. Written by
`ledger.reserve` in the reservation's own transaction, so a decision and its attempt commit
together; `/policy/validate` is read-only and not logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..ids import new_id
from ..models import Lead, PolicyDecision
from . import policy


def record(
    session: AsyncSession,
    lead: Lead,
    mailbox_id: str,
    recipient: policy.Recipient,
    decision: policy.Decision,
    facts: policy.Facts,
    now: datetime,
) -> None:
    session.add(
        PolicyDecision(
            id=new_id("pd"),
            workspace_id=lead.workspace_id,
            at=now,
            campaign_id=lead.campaign_id,
            lead_id=lead.id,
            mailbox_id=mailbox_id,
            recipient_email=recipient.address or lead.contact_email,
            allowed=decision.allowed,
            reason=decision.reason,
            legal_basis=decision.legal_basis,
            counts=dict(vars(facts.counts)),
            limits=dict(vars(facts.limits)),
        )
    )


_D = PolicyDecision
# Newest first: an audit reads back from now.
BY_AT = pages.Keyset("at", _D.at, _D.id, descending=True)


def list_statement(
    principal: Principal,
    *,
    campaign_id: str | None,
    lead_id: str | None,
    allowed: bool | None,
) -> Select[Any]:
    statement = select(_D).where(_D.workspace_id == principal.workspace_id)
    if campaign_id is not None:
        statement = statement.where(_D.campaign_id == campaign_id)
    if lead_id is not None:
        statement = statement.where(_D.lead_id == lead_id)
    if allowed is not None:
        statement = statement.where(_D.allowed == allowed)
    return statement


async def list_decisions(
    session: AsyncSession,
    principal: Principal,
    page: pages.Page,
    *,
    campaign_id: str | None = None,
    lead_id: str | None = None,
    allowed: bool | None = None,
) -> list[PolicyDecision]:
    statement = list_statement(principal, campaign_id=campaign_id, lead_id=lead_id, allowed=allowed)
    return list(await session.scalars(BY_AT.apply(statement, page)))
