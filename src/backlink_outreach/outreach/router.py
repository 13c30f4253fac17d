from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ..config import Settings
from ..db import utcnow
from ..deps import DatabaseDep, PrincipalDep, ReadSessionDep, SessionDep, SettingsDep
from ..errors import NotFound
from . import preview, service, unsubscribe
from .ledger import utc_day
from .schemas import (
    AttemptOut,
    FollowUpOut,
    PolicyRequest,
    PolicyResult,
    PreviewOut,
    SendRequest,
)

router = APIRouter(tags=["outreach"])


@router.post(
    "/outreach/send",
    response_model=AttemptOut,
    responses={403: {"description": "Policy validation failed (body has `reason`)"}},
)
async def send_outreach(
    data: SendRequest, db: DatabaseDep, settings: SettingsDep, principal: PrincipalDep
) -> AttemptOut:
    # No SessionDep: the service runs its own short transactions around SMTP.
    return await service.send(db, settings, principal, data)


@router.post("/outreach/preview", response_model=PreviewOut)
async def preview_outreach(
    data: SendRequest, session: ReadSessionDep, settings: SettingsDep, principal: PrincipalDep
) -> PreviewOut:
    # Sends nothing and stores nothing: a read session is all it may have.
    return await preview.preview(session, settings, principal, data)


@router.post("/policy/validate", response_model=PolicyResult)
async def validate_policy(
    data: PolicyRequest, session: ReadSessionDep, settings: SettingsDep, principal: PrincipalDep
) -> PolicyResult:
    # Changes nothing, and its facts are one SELECT (one snapshot): a read session will do.
    return await service.validate(session, settings, principal, data)


@router.get("/campaigns/{campaign_id}/attempts", response_model=list[AttemptOut])
async def list_attempts(
    campaign_id: str, session: SessionDep, principal: PrincipalDep
) -> list[AttemptOut]:
    return await service.list_attempts(session, principal, campaign_id)


@router.get("/campaigns/{campaign_id}/follow-ups", response_model=list[FollowUpOut])
async def list_follow_ups(
    campaign_id: str, session: SessionDep, principal: PrincipalDep
) -> list[FollowUpOut]:
    return await service.list_follow_ups(session, principal, campaign_id)


def _subject(settings: Settings, token: str) -> unsubscribe.Subject:
    try:
        return unsubscribe.read_token(settings, token, utc_day(utcnow()))
    except unsubscribe.BadToken:
        raise NotFound() from None


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em">
<h1 style="font-size:1.3em">{title}</h1>{content}</body></html>"""


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, tags=["unsubscribe"])
async def unsubscribe_page(token: str, settings: SettingsDep) -> HTMLResponse:
    """Public. Shows a confirm button and changes nothing: link scanners prefetch GETs."""
    _subject(settings, token)
    sender = html.escape(settings.smtp_from_name)
    content = (
        f"<p>Stop receiving emails from {sender}?</p>"
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return HTMLResponse(_PAGE.format(title="Unsubscribe", content=content))


@router.post("/unsubscribe/{token}", response_class=HTMLResponse, tags=["unsubscribe"])
async def unsubscribe_now(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Public, RFC 8058 one-click: the body (`List-Unsubscribe=One-Click`) is not needed."""
    await unsubscribe.apply(session, _subject(settings, token))
    content = "<p>You are unsubscribed and will not receive further emails from us.</p>"
    return HTMLResponse(_PAGE.format(title="Unsubscribed", content=content))
