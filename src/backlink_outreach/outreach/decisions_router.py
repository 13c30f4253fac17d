from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from .. import pages
from ..deps import PrincipalDep, SessionDep
from . import decisions
from .schemas import PolicyCounts

router = APIRouter(tags=["outreach"])

IdFilter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]


class PolicyDecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    campaign_id: str | None
    lead_id: str | None
    mailbox_id: str | None
    recipient_email: str | None
    allowed: bool
    reason: str | None
    legal_basis: str | None
    counts: PolicyCounts
    limits: PolicyCounts


@router.get(
    "/policy/decisions",
    response_model=list[PolicyDecisionOut],
    description="Every policy evaluation of a real send (API or scheduled, allowed or "
    "blocked), newest first, with the counts and limits it read. Kept when campaigns and "
    "leads are deleted.",
)
async def list_policy_decisions(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    page: pages.NewList,
    campaign_id: IdFilter = None,
    lead_id: IdFilter = None,
    allowed: Annotated[bool | None, Query()] = None,
) -> list[PolicyDecisionOut]:
    rows = await decisions.list_decisions(
        session, principal, page, campaign_id=campaign_id, lead_id=lead_id, allowed=allowed
    )
    shown = pages.finish(rows, page, decisions.BY_AT, request, response)
    return [PolicyDecisionOut.model_validate(row) for row in shown]
