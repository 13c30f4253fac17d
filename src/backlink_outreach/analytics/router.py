from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from ..campaigns.service import get_campaign
from ..deps import DatabaseDep, PrincipalDep, SessionDep
from . import exports, service
from .schemas import CampaignAnalytics, Snapshot

router = APIRouter(tags=["analytics"])

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "CSV with a header row"}
}


@router.get("/campaigns/{campaign_id}/analytics", response_model=CampaignAnalytics)
async def campaign_analytics(
    campaign_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    days: int = Query(default=30, ge=1, le=365, description="Days of daily_send_volume."),
) -> CampaignAnalytics:
    return await service.campaign_analytics(session, principal, campaign_id, days)


@router.get("/reporting/snapshot", response_model=Snapshot)
async def reporting_snapshot(session: SessionDep, principal: PrincipalDep) -> Snapshot:
    return await service.snapshot(session, principal)


async def _export(
    db: DatabaseDep, session: SessionDep, principal: PrincipalDep, campaign_id: str, kind: str
) -> StreamingResponse:
    # The 404 is decided here, on the request's session, before any byte is streamed.
    campaign = await get_campaign(session, principal, campaign_id)
    name = exports.filename(campaign.id, kind)
    return StreamingResponse(
        exports.stream_csv(db.read, kind, campaign.id),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/campaigns/{campaign_id}/export/leads",
    response_class=StreamingResponse,
    responses=CSV_RESPONSE,
)
async def export_leads(
    campaign_id: str, db: DatabaseDep, session: SessionDep, principal: PrincipalDep
) -> StreamingResponse:
    return await _export(db, session, principal, campaign_id, "leads")


@router.get(
    "/campaigns/{campaign_id}/export/attempts",
    response_class=StreamingResponse,
    responses=CSV_RESPONSE,
)
async def export_attempts(
    campaign_id: str, db: DatabaseDep, session: SessionDep, principal: PrincipalDep
) -> StreamingResponse:
    return await _export(db, session, principal, campaign_id, "attempts")


@router.get(
    "/campaigns/{campaign_id}/export/replies",
    response_class=StreamingResponse,
    responses=CSV_RESPONSE,
)
async def export_replies(
    campaign_id: str, db: DatabaseDep, session: SessionDep, principal: PrincipalDep
) -> StreamingResponse:
    return await _export(db, session, principal, campaign_id, "replies")


@router.get(
    "/campaigns/{campaign_id}/export/placements",
    response_class=StreamingResponse,
    responses=CSV_RESPONSE,
)
async def export_placements(
    campaign_id: str, db: DatabaseDep, session: SessionDep, principal: PrincipalDep
) -> StreamingResponse:
    return await _export(db, session, principal, campaign_id, "placements")
