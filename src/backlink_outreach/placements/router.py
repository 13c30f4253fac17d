from __future__ import annotations

from fastapi import APIRouter, Request, Response

from .. import pages
from ..deps import DatabaseDep, PrincipalDep, SessionDep, SettingsDep
from ..models import PlacementStatus
from . import service
from .schemas import PlacementCreate, PlacementOut

router = APIRouter(tags=["placements"])


@router.post(
    "/campaigns/{campaign_id}/leads/{lead_id}/placement",
    response_model=PlacementOut,
    summary="Record where the link was published, and check it now",
)
async def place(
    campaign_id: str,
    lead_id: str,
    data: PlacementCreate,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> PlacementOut:
    return await service.place(db, settings, principal, campaign_id, lead_id, data)


@router.post("/placements/{placement_id}/check", response_model=PlacementOut)
async def check(
    placement_id: str, db: DatabaseDep, settings: SettingsDep, principal: PrincipalDep
) -> PlacementOut:
    return await service.check_again(db, settings, principal, placement_id)


@router.get("/campaigns/{campaign_id}/placements", response_model=list[PlacementOut])
async def list_campaign_placements(
    campaign_id: str,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    page: pages.NewList,
) -> list[PlacementOut]:
    rows = await service.list_for_campaign(session, principal, campaign_id, page)
    shown = pages.finish(rows, page, service.BY_CREATED, request, response)
    return [service.to_out(p) for p in shown]


@router.get("/placements", response_model=list[PlacementOut])
async def list_placements(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    page: pages.NewList,
    status: PlacementStatus | None = None,
) -> list[PlacementOut]:
    rows = await service.list_for_workspace(session, principal, status, page)
    shown = pages.finish(rows, page, service.BY_CREATED, request, response)
    return [service.to_out(p) for p in shown]
