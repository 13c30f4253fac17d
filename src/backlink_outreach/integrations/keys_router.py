"""`/api-keys`: managed with a Clerk session only (a key gets 403)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from .. import pages
from ..deps import PrincipalDep, SessionDep
from ..models import ApiKey
from . import api_keys
from .schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut

router = APIRouter(tags=["api keys"])
BY_CREATED = pages.Keyset("created_at", ApiKey.created_at, ApiKey.id)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(
    data: ApiKeyCreate, session: SessionDep, principal: PrincipalDep
) -> ApiKeyCreated:
    return await api_keys.create(session, principal, data)


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_api_keys(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    page: pages.NewList,
) -> list[ApiKeyOut]:
    statement = BY_CREATED.apply(api_keys.list_statement(principal), page)
    rows = list((await session.execute(statement)).scalars())
    shown = pages.finish(rows, page, BY_CREATED, request, response)
    return [ApiKeyOut.model_validate(r) for r in shown]


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    await api_keys.revoke(session, principal, key_id)
    return Response(status_code=204)
