from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from .. import pages
from ..deps import PrincipalDep, SessionDep
from . import service
from .schemas import SuppressionCreate, SuppressionOut, SuppressionSource

router = APIRouter(tags=["suppression"])


@router.post("/suppression", status_code=201, response_model=SuppressionOut)
async def add_suppression(
    data: SuppressionCreate, session: SessionDep, principal: PrincipalDep
) -> SuppressionOut:
    return await service.add(session, principal, data)


@router.get("/suppression", response_model=list[SuppressionOut])
async def list_suppression(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    page: pages.AllByDefault,
    q: Annotated[
        str | None,
        Query(
            max_length=320,
            pattern=r"^[^\x00]*$",
            description="A substring of the entry (case-blind).",
        ),
    ] = None,
    source: Annotated[SuppressionSource | None, Query()] = None,
) -> list[SuppressionOut]:
    rows = await service.list_entries(session, principal, page, q=q, source=source)
    shown = pages.finish(rows, page, service.BY_CREATED, request, response)
    return [SuppressionOut.model_validate(r) for r in shown]


@router.delete("/suppression/{entry_id}", status_code=204, response_class=Response)
async def delete_suppression(
    entry_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    await service.remove(session, principal, entry_id)
    return Response(status_code=204)
