from __future__ import annotations

from fastapi import APIRouter

from ..deps import PrincipalDep, SessionDep
from . import service
from .schemas import ErasureRequest, ErasureResult

router = APIRouter(tags=["privacy"])


@router.post("/privacy/erase", response_model=ErasureResult)
async def erase(
    data: ErasureRequest, session: SessionDep, principal: PrincipalDep
) -> ErasureResult:
    """Erase every trace of an address in the caller's current workspace; it stays
    suppressed as `sha256:<hex>` (API.md part 2, "Everyday operations")."""
    return await service.erase(session, principal.workspace_id, data.email)
