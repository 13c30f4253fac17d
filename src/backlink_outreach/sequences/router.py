from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from .. import pages
from ..deps import PrincipalDep, SessionDep, SettingsDep
from ..models import StepStatus
from . import service
from .schemas import EnrollRequest, EnrollResult, Schedule, StepOut, StopResult

router = APIRouter(tags=["sequences"])


@router.post(
    "/campaigns/{campaign_id}/enroll",
    response_model=EnrollResult,
    description="Start the campaign's sequence for these leads (or every eligible one): the "
    "worker sends each step inside the window, spaced and within every cap.",
)
async def enroll(
    campaign_id: str,
    data: EnrollRequest,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> EnrollResult:
    return await service.enroll(session, settings, principal, campaign_id, data)


@router.post("/campaigns/{campaign_id}/leads/{lead_id}/stop", response_model=StopResult)
async def stop_lead(
    campaign_id: str, lead_id: str, session: SessionDep, principal: PrincipalDep
) -> StopResult:
    return await service.stop_lead(session, principal, campaign_id, lead_id)


@router.get("/campaigns/{campaign_id}/schedule", response_model=Schedule)
async def get_schedule(
    campaign_id: str, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> Schedule:
    return await service.schedule(session, settings, principal, campaign_id)


@router.get(
    "/campaigns/{campaign_id}/steps",
    response_model=list[StepOut],
    description="The campaign's sequence steps, each with its status and, for a `skipped` or "
    "`cancelled` one, why.",
)
async def list_steps(
    campaign_id: str,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    page: pages.NewList,
    lead_id: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=r"^[^\x00]*$")
    ] = None,
    status: Annotated[StepStatus | None, Query()] = None,
) -> list[StepOut]:
    rows = await service.list_steps(
        session, principal, campaign_id, page, lead_id=lead_id, status=status
    )
    shown = pages.finish(rows, page, service.BY_STEP_CREATED, request, response)
    return [StepOut.model_validate(row) for row in shown]
