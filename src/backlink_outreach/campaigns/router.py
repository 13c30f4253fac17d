from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response

from .. import pages
from ..deps import PrincipalDep, ReadConnectionDep, SessionDep
from ..responses import json_response
from . import service
from .schemas import CampaignCreate, CampaignOut, CampaignUpdate, CampaignWithLeads

router = APIRouter(tags=["campaigns"])


@router.post("/campaigns", status_code=201, response_model=CampaignOut)
async def create_campaign(
    data: CampaignCreate, session: SessionDep, principal: PrincipalDep
) -> CampaignOut:
    return await service.create_campaign(session, principal, data)


@router.get("/campaigns", response_model=list[CampaignOut])
async def list_campaigns(
    request: Request,
    connection: ReadConnectionDep,
    principal: PrincipalDep,
    page: pages.AllByDefault,
    workspace_id: str | None = Query(
        default=None, max_length=255, json_schema_extra={"not": {"pattern": "\\x00"}}
    ),
) -> Response:
    rows = await service.list_campaigns(connection, principal, workspace_id, page)
    shown, headers = pages.next_page(rows, page, service.BY_CREATED, request, _created_and_id)
    return json_response(shown, headers=headers)


def _created_and_id(row: dict[str, Any]) -> tuple[Any, str]:
    return row["created_at"], row["id"]


@router.get("/campaigns/{campaign_id}", response_model=CampaignWithLeads)
async def get_campaign(
    campaign_id: str, connection: ReadConnectionDep, principal: PrincipalDep
) -> Response:
    return json_response(await service.get_campaign_with_leads(connection, principal, campaign_id))


@router.patch(
    "/campaigns/{campaign_id}",
    response_model=CampaignOut,
    description="Change any of its fields. `status: paused`: once this answers, no message of "
    "the campaign starts sending, on any worker; `active` again moves overdue steps into the "
    "next window.",
)
async def update_campaign(
    campaign_id: str, data: CampaignUpdate, session: SessionDep, principal: PrincipalDep
) -> CampaignOut:
    return await service.update_campaign(session, principal, campaign_id, data)


@router.delete("/campaigns/{campaign_id}", status_code=204, response_class=Response)
async def delete_campaign(
    campaign_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    await service.delete_campaign(session, principal, campaign_id)
    return Response(status_code=204)
