from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from .. import pages
from ..db import utcnow
from ..deps import DatabaseDep, PrincipalDep, ReadConnectionDep, SessionDep, SettingsDep
from ..errors import Unprocessable
from ..models import ReplyClassification
from ..responses import json_response
from . import corrections, inbox, service
from .schemas import PollRequest, PollResult, ReplyDetail, ReplyOut, ReplyUpdate

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


@router.get("/replies", response_model=list[ReplyOut])
async def inbox_list(
    request: Request,
    connection: ReadConnectionDep,
    principal: PrincipalDep,
    page: pages.NewList,
    campaign_id: Annotated[str | None, Query(max_length=40)] = None,
    classification: Annotated[ReplyClassification | None, Query()] = None,
    since: Annotated[
        str | None,
        Query(
            max_length=40,
            json_schema_extra={"format": "date-time"},
            description="ISO 8601 time with an offset: replies received at or after it.",
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[^\x00]*$",
            description="A case-blind substring of the sender, the subject or the text.",
        ),
    ] = None,
    unmatched: Annotated[
        bool | None, Query(description="Only unmatched mail (true), or only filed (false).")
    ] = None,
) -> Response:
    """The current workspace's replies across its campaigns, newest first."""
    rows = await inbox.list_replies(
        connection,
        principal,
        page,
        campaign_id=campaign_id,
        classification=classification,
        since=_moment(since),
        q=q,
        unmatched=unmatched,
    )
    shown, headers = pages.next_page(rows, page, inbox.NEWEST_FIRST, request)
    return json_response(shown, headers=headers)


@router.get("/replies/{reply_id}", response_model=ReplyDetail)
async def get_reply(reply_id: str, session: SessionDep, principal: PrincipalDep) -> ReplyDetail:
    return inbox.detail(await inbox.find(session, principal, reply_id))


@router.patch(
    "/replies/{reply_id}",
    response_model=ReplyDetail,
    responses={404: {"description": "No such reply, or a lead of another workspace"}},
)
async def update_reply(
    reply_id: str, data: ReplyUpdate, session: SessionDep, principal: PrincipalDep
) -> ReplyDetail:
    """Re-file under another class (`classification`) or file unmatched mail (`lead_id`)."""
    reply = await inbox.find(session, principal, reply_id, lock=True)
    now = utcnow()
    if data.lead_id is not None:
        await corrections.file_under(session, principal, reply, data.lead_id, now)
    else:
        assert data.classification is not None
        await corrections.reclassify(session, principal, reply, data.classification, now)
    await session.flush()
    return inbox.detail(reply)


def _moment(text: str | None) -> datetime | None:
    """`since` as an RFC 3339 date-time with its offset. Parsed here, not by pydantic, whose lax
    datetime also takes a number (`0.5`) as a Unix time."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or "T" not in text.upper() or moment.tzinfo is None:
        raise Unprocessable(
            "since must be an ISO 8601 time with an offset, e.g. 2026-12-01T00:00:00Z",
            "datetime_parsing",
            ["query", "since"],
        )
    return moment
