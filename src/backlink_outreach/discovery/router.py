from __future__ import annotations

from fastapi import APIRouter

from ..deps import DatabaseDep, PrincipalDep, SettingsDep
from . import service
from .schemas import DeepDiscoveryRequest, DeepDiscoveryResponse

router = APIRouter(tags=["discovery"])


@router.post(
    "/discover/deep",
    response_model=DeepDiscoveryResponse,
    responses={503: {"description": "Search provider unavailable"}},
)
async def deep_discovery(
    data: DeepDiscoveryRequest, db: DatabaseDep, principal: PrincipalDep, settings: SettingsDep
) -> DeepDiscoveryResponse:
    """Search footprint queries for the keyword, crawl the sites politely, score and rank them;
    optionally save them as leads of the campaign (domains already there are skipped)."""
    # No SessionDep: the service opens short units of work around the crawl.
    return await service.deep_discovery(db, principal, settings, data)
