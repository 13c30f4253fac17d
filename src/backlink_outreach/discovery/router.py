from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from .. import pages
from ..deps import DatabaseDep, PrincipalDep, SessionDep, SettingsDep
from ..models import DiscoveryJobStatus
from . import jobs, service
from .schemas import (
    DeepDiscoveryRequest,
    DeepDiscoveryResponse,
    DiscoveryJobAccepted,
    DiscoveryJobOut,
    DiscoveryJobRequest,
)

router = APIRouter(tags=["discovery"])
JobSort = Literal["created_at", "-created_at"]
_JOB_ORDERS = {"created_at": jobs.OLDEST_FIRST, "-created_at": jobs.NEWEST_FIRST}


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


@router.post("/discover/jobs", status_code=202, response_model=DiscoveryJobAccepted)
async def queue_discovery_job(
    data: DiscoveryJobRequest, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> DiscoveryJobAccepted:
    """What `/discover/deep` does, run by the worker: poll `GET /discover/jobs/{id}` for its
    progress and results."""
    return await jobs.queue_job(session, principal, settings, data)


@router.get("/discover/jobs", response_model=list[DiscoveryJobOut])
async def list_discovery_jobs(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    page: pages.NewList,
    workspace_id: Annotated[
        str | None, Query(max_length=255, json_schema_extra={"not": {"pattern": "\\x00"}})
    ] = None,
    status: Annotated[DiscoveryJobStatus | None, Query()] = None,
    campaign_id: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]*$")] = None,
    sort: Annotated[
        JobSort, Query(description="Oldest first by default; `-created_at` for newest first.")
    ] = "created_at",
) -> list[DiscoveryJobOut]:
    order = _JOB_ORDERS[sort]
    rows = await jobs.list_jobs(
        session,
        principal,
        page,
        order,
        workspace_id=workspace_id,
        status=status,
        campaign_id=campaign_id,
    )
    shown = pages.finish(rows, page, order, request, response)
    return [jobs.to_out(job) for job in shown]


@router.get("/discover/jobs/{job_id}", response_model=DiscoveryJobOut)
async def get_discovery_job(
    job_id: str, session: SessionDep, principal: PrincipalDep
) -> DiscoveryJobOut:
    return await jobs.get_job(session, principal, job_id)
