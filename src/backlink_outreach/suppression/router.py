from __future__ import annotations

from fastapi import APIRouter

from ..deps import PrincipalDep, SessionDep
from . import service
from .schemas import SuppressionCreate, SuppressionOut

router = APIRouter(tags=["suppression"])


@router.post("/suppression", status_code=201, response_model=SuppressionOut)
async def add_suppression(
    data: SuppressionCreate, session: SessionDep, principal: PrincipalDep
) -> SuppressionOut:
    return await service.add(session, principal, data)


@router.get("/suppression", response_model=list[SuppressionOut])
async def list_suppression(session: SessionDep, principal: PrincipalDep) -> list[SuppressionOut]:
    return await service.list_entries(session, principal)
