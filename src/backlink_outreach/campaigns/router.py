from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ..deps import PrincipalDep, ReadConnectionDep, SessionDep
from ..responses import json_response
from . import service
from .schemas import CampaignCreate, CampaignOut, CampaignWithLeads

router = APIRouter(tags=["campaigns"])


@router.post("/campaigns", status_code=201, response_model=CampaignOut)
async def create_campaign(
    data: CampaignCreate, session: SessionDep, principal: PrincipalDep
) -> CampaignOut:
    return await service.create_campaign(session, principal, data)


@router.get("/campaigns", response_model=list[CampaignOut])
async def list_campaigns(
    connection: ReadConnectionDep,
    principal: PrincipalDep,
    workspace_id: str | None = Query(
        default=None, max_length=255, json_schema_extra={"not": {"pattern": "\\x00"}}
    ),
) -> Response:
    return json_response(await service.list_campaigns(connection, principal, workspace_id))


@router.get("/campaigns/{campaign_id}", response_model=CampaignWithLeads)
async def get_campaign(
    campaign_id: str, connection: ReadConnectionDep, principal: PrincipalDep
) -> Response:
    return json_response(await service.get_campaign_with_leads(connection, principal, campaign_id))


@router.delete("/campaigns/{campaign_id}", status_code=204, response_class=Response)
async def delete_campaign(
    campaign_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    await service.delete_campaign(session, principal, campaign_id)
    return Response(status_code=204)
