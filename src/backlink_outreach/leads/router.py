from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from .. import pages
from ..campaigns.service import get_campaign
from ..database import Database
from ..deps import PrincipalDep, SessionDep
from ..models import LeadStatus
from ..planned_route import planned_get
from ..responses import json_response
from . import listing, service
from .schemas import (
    MAX_BULK,
    BulkAddResult,
    BulkStatusResult,
    BulkStatusUpdate,
    LeadCreate,
    LeadOut,
    LeadUpdate,
    StatusUpdate,
)

router = APIRouter(tags=["leads"])

BulkBody = Annotated[
    list[Any],
    Body(
        max_length=MAX_BULK,
        description=f"Lead objects (at most {MAX_BULK}); each is "
        "validated on its own, so one bad entry does not fail the others.",
        # Any item is accepted (200): one that is not a LeadCreate is reported in `failed`,
        # so the schema must not promise a 422 for it.
        json_schema_extra={
            "items": {
                "anyOf": [
                    {"$ref": "#/components/schemas/LeadCreate"},
                    {"description": "Anything else: reported in `failed`, not a 422."},
                ]
            }
        },
    ),
]


@router.post(
    "/campaigns/{campaign_id}/leads",
    status_code=201,
    response_model=LeadOut,
    responses={409: {"description": "A lead for this domain is already in the campaign"}},
)
async def add_lead(
    campaign_id: str, data: LeadCreate, session: SessionDep, principal: PrincipalDep
) -> LeadOut:
    campaign = await get_campaign(session, principal, campaign_id)
    return await service.add_lead(session, campaign, data)


@planned_get(router, "/campaigns/{campaign_id}/leads", response_model=list[LeadOut])
async def list_leads(
    campaign_id: str,
    request: Request,
    principal: PrincipalDep,
    page: pages.NewList,
    status: Annotated[LeadStatus | None, Query()] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[^\x00]*$",
            description="A case-blind substring of domain, website title, contact email or "
            "contact name.",
        ),
    ] = None,
    sort: Annotated[
        listing.LeadSort,
        Query(description="The order; `-` in front for descending. Missing scores come last."),
    ] = listing.DEFAULT_SORT,
) -> Response:
    # The connection is taken here rather than by `ReadConnectionDep`: FastAPI's generator
    # dependency cost 0.05-0.1 ms of a 3 ms page (issue 15), and `list_leads_leased` lends the
    # fast path a driver connection without SQLAlchemy's `Connection`. It is taken after
    # authentication and validation, and back in the pool before the page is written.
    database: Database = request.app.state.database
    rows = await listing.list_leads_leased(
        database, principal, campaign_id, page, status=status, q=q, sort=sort
    )
    shown, headers = pages.next_page(rows, page, listing.KEYSETS[sort], request)
    return json_response(shown, headers=headers)


@router.post("/campaigns/{campaign_id}/leads/bulk", response_model=BulkAddResult)
async def bulk_add_leads(
    campaign_id: str, entries: BulkBody, session: SessionDep, principal: PrincipalDep
) -> BulkAddResult:
    campaign = await get_campaign(session, principal, campaign_id)
    return await service.bulk_add(session, campaign, entries)


@router.patch("/campaigns/{campaign_id}/leads/bulk-status", response_model=BulkStatusResult)
async def bulk_update_status(
    campaign_id: str, data: BulkStatusUpdate, session: SessionDep, principal: PrincipalDep
) -> BulkStatusResult:
    campaign = await get_campaign(session, principal, campaign_id)
    return await service.bulk_set_status(session, campaign, data.lead_ids, data.status)


@router.patch("/campaigns/{campaign_id}/leads/{lead_id}/status", response_model=LeadOut)
async def update_status(
    campaign_id: str,
    lead_id: str,
    data: StatusUpdate,
    session: SessionDep,
    principal: PrincipalDep,
) -> LeadOut:
    return await service.set_status(session, principal, campaign_id, lead_id, data.status)


@router.patch(
    "/campaigns/{campaign_id}/leads/{lead_id}",
    response_model=LeadOut,
    responses={409: {"description": "Another lead of the campaign has the new domain"}},
)
async def update_lead(
    campaign_id: str,
    lead_id: str,
    data: LeadUpdate,
    session: SessionDep,
    principal: PrincipalDep,
) -> LeadOut:
    campaign = await get_campaign(session, principal, campaign_id)
    return await service.update_lead(session, campaign, lead_id, data)


@router.delete("/campaigns/{campaign_id}/leads/{lead_id}", status_code=204, response_class=Response)
async def delete_lead(
    campaign_id: str, lead_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    campaign = await get_campaign(session, principal, campaign_id)
    await service.delete_lead(session, campaign, lead_id)
    return Response(status_code=204)
