"""The inbox: every reply with its class and confidence, filtered and in keyset pages (the
`GET /replies` service), one reply in full, correcting its class and filing unmatched mail
under a lead (the `PATCH /replies/{id}` services)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from .. import pages
from ..campaigns import service as campaigns
from ..db import utcnow
from ..deps import ReadConnectionDep, SessionDep
from ..errors import NotFound, Unprocessable
from ..leads import lookup
from ..models import REPLY_CLASSIFICATIONS, ReplyClassification
from ..replies import corrections, inbox
from . import forms, rendering
from .csrf import CsrfChecked
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

PAGE_SIZE = 50
CLASS_OPTIONS = [(name, name.replace("_", " ")) for name in REPLY_CLASSIFICATIONS]
MATCH_OPTIONS = [("", "All mail"), ("true", "Unmatched only"), ("false", "Filed under a lead")]
NOTICES = {
    "corrected": "The class is corrected; its effects on the lead are updated.",
    "filed": "Filed under the lead; its class's effects now apply.",
}


def _classification(text: str) -> ReplyClassification | None:
    if not text:
        return None
    for name in REPLY_CLASSIFICATIONS:
        if name == text:
            return name
    raise Unprocessable("Unknown class.", "enum", ["query", "classification"])


def _unmatched(text: str) -> bool | None:
    if text in ("", "any"):
        return None
    if text in ("true", "false"):
        return text == "true"
    raise Unprocessable("unmatched must be true or false.", "bool_parsing", ["query", "unmatched"])


def page_url(request: Request, cursor: str) -> str:
    """This page's path and query with `cursor` replaced (a relative link)."""
    following = urlsplit(pages.with_cursor(request, cursor))
    return f"{following.path}?{following.query}"


@router.get("/app/inbox")
async def inbox_list(
    request: Request, connection: ReadConnectionDep, principal: WebPrincipalDep
) -> Response:
    query = request.query_params
    filters = {
        "classification": query.get("classification", ""),
        "campaign_id": query.get("campaign_id", ""),
        "unmatched": query.get("unmatched", ""),
        "q": query.get("q", "").strip()[:200],
    }
    cursor = query.get("cursor") or None
    if cursor is not None and len(cursor) > pages.MAX_CURSOR_CHARS:
        raise Unprocessable("cursor is not one this app gave out", "invalid_cursor")
    if "\x00" in filters["campaign_id"] or len(filters["campaign_id"]) > 40:
        raise NotFound()  # names no campaign
    page = pages.Page(PAGE_SIZE, cursor)
    rows = await inbox.list_replies(
        connection,
        principal,
        page,
        campaign_id=filters["campaign_id"] or None,
        classification=_classification(filters["classification"]),
        q=filters["q"].replace("\x00", "") or None,
        unmatched=_unmatched(filters["unmatched"]),
    )
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        last = rows[-1]
        next_url = page_url(request, inbox.NEWEST_FIRST.encode(last.received_at, last.id))
    every_campaign = await campaigns.list_campaigns(connection, principal, None)
    names = {c["id"]: c["name"] for c in every_campaign}
    context: dict[str, Any] = {
        "replies": rows,
        "names": names,
        "campaign_options": [("", "All campaigns")]
        + [(c["id"], c["name"]) for c in every_campaign],
        "class_options": [("", "All classes"), *CLASS_OPTIONS],
        "match_options": MATCH_OPTIONS,
        "filters": filters,
        "filtered": any(filters.values()),
        "next_url": next_url,
    }
    return rendering.render(request, "inbox/list.html", context, principal=principal)


def reply_url(reply_id: str) -> str:
    return f"/app/inbox/{reply_id}"


@router.get("/app/inbox/{reply_id}")
async def show_reply(
    request: Request, reply_id: str, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    reply = await inbox.find(session, principal, reply_id)
    shown = inbox.detail(reply)
    campaign_name = None
    if reply.campaign_id is not None:
        campaign_name = (await campaigns.get_campaign(session, principal, reply.campaign_id)).name
    lead_q = request.query_params.get("lead_q")
    found: list[Any] = []
    if reply.unmatched and reply.lead_id is None:
        # The sender's domain is the likeliest lead: searched until the user types another.
        if lead_q is None:
            lead_q = reply.from_email.rpartition("@")[2]
        found = await lookup.search_workspace(session, reply.workspace_id, lead_q[:200])
    context: dict[str, Any] = {
        "reply": shown,
        "campaign_name": campaign_name,
        "class_options": CLASS_OPTIONS,
        "lead_q": lead_q or "",
        "found": found,
        "notice": NOTICES.get(request.query_params.get("done", "")),
        "errors": {},
    }
    return rendering.render(request, "inbox/show.html", context, principal=principal)


@router.post("/app/inbox/{reply_id}/class", dependencies=[CsrfChecked])
async def correct_class(
    request: Request, reply_id: str, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    values = await forms.form_values(request)
    reply = await inbox.find(session, principal, reply_id, lock=True)
    wanted = values.get("classification", "")
    classification = next((c for c in REPLY_CLASSIFICATIONS if c == wanted), None)
    if classification is None:
        raise Unprocessable("Choose one of the classes listed.", "enum", ["classification"])
    await corrections.reclassify(session, principal, reply, classification, utcnow())
    return RedirectResponse(reply_url(reply.id) + "?done=corrected", 303)


@router.post("/app/inbox/{reply_id}/file", dependencies=[CsrfChecked])
async def file_reply(
    request: Request, reply_id: str, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    values = await forms.form_values(request)
    lead_id = values.get("lead_id", "")
    if not lead_id:
        raise Unprocessable("Choose the lead to file this message under.", "missing", ["lead_id"])
    reply = await inbox.find(session, principal, reply_id, lock=True)
    await corrections.file_under(session, principal, reply, lead_id[:40], utcnow())
    return RedirectResponse(reply_url(reply.id) + "?done=filed", 303)
