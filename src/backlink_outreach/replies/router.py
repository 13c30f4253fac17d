from __future__ import annotations

from fastapi import APIRouter, Body

from ..deps import DatabaseDep, PrincipalDep, SessionDep, SettingsDep
from . import service
from .schemas import PollRequest, PollResult, ReplyOut

router = APIRouter(tags=["replies"])


@router.post("/replies/poll", response_model=PollResult)
async def poll_replies(
    db: DatabaseDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    data: PollRequest | None = Body(default=None),
) -> PollResult:
    # No request session here: the poll opens its own short transactions so that none stays
    # open while the IMAP server is talking.
    return await service.poll(db, settings, principal, data.campaign_id if data else None)


@router.get("/campaigns/{campaign_id}/replies", response_model=list[ReplyOut])
async def list_replies(
    campaign_id: str, session: SessionDep, principal: PrincipalDep
) -> list[ReplyOut]:
    return await service.list_replies(session, principal, campaign_id)
