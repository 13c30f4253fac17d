"""Suppression: the addresses and domains never to mail, searched, added and removed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse

from .. import pages
from ..deps import SessionDep
from ..errors import Unprocessable
from ..suppression import service
from ..suppression.schemas import SuppressionCreate, SuppressionSource
from . import forms, rendering
from .csrf import CsrfChecked
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

PAGE_SIZE = 50
SOURCES: tuple[SuppressionSource, ...] = ("manual", "unsubscribe", "bounce", "complaint", "reply")


def next_cursor(rows: list[Any], page: pages.Page, keyset: pages.Keyset) -> tuple[list[Any], str]:
    """The rows of the page (the extra one a keyset query reads dropped) and the cursor of
    the next page, or "" when this is the last."""
    if page.limit is None or len(rows) <= page.limit:
        return rows, ""
    shown = rows[: page.limit]
    last = shown[-1]
    return shown, keyset.encode(getattr(last, keyset.name), last.id)


async def _listing(
    request: Request,
    session: SessionDep,
    principal: WebPrincipalDep,
    *,
    q: str,
    source: str,
    cursor: str | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    notice: str | None = None,
) -> Response:
    page = pages.Page(PAGE_SIZE, cursor or None)
    chosen: SuppressionSource | None = next((s for s in SOURCES if s == source), None)
    rows = await service.list_entries(session, principal, page, q=q or None, source=chosen)
    shown, following = next_cursor(rows, page, service.BY_CREATED)
    next_url = ""
    if following:
        next_url = "/app/suppression?" + urlencode({"q": q, "source": source, "cursor": following})
    context = {
        "entries": shown,
        "q": q,
        "source": chosen or "",
        "sources": SOURCES,
        "next_url": next_url,
        "values": values,
        "errors": errors,
        "notice": notice,
        "searching": bool(q or chosen or cursor),
    }
    return rendering.render(
        request, "suppression/list.html", context, status_code=status_code, principal=principal
    )


@router.get("/app/suppression")
async def suppression_list(
    request: Request,
    session: SessionDep,
    principal: WebPrincipalDep,
    q: str = Query(default="", max_length=320, pattern=r"^[^\x00]*$"),
    source: str = Query(default="", max_length=20),
    cursor: pages.CursorQuery = None,
    added: str = Query(default="", max_length=340, pattern=r"^[^\x00]*$"),
) -> Response:
    notice = f"{added} is suppressed: nothing will be sent to it." if added else None
    return await _listing(
        request,
        session,
        principal,
        q=q.strip(),
        source=source,
        cursor=cursor,
        values={},
        errors={},
        notice=notice,
    )


@router.post("/app/suppression", dependencies=[CsrfChecked])
async def suppression_add(
    request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    values = await forms.form_values(request)
    data, errors = forms.parse(
        SuppressionCreate,
        {"email": values.get("email", ""), "reason": values.get("reason") or None},
    )
    if data is not None:
        try:
            record = await service.add(session, principal, data)
        except Unprocessable as exc:
            errors = forms.errors_of(exc)
        else:
            query = urlencode({"q": record.email, "added": record.email})
            return RedirectResponse(f"/app/suppression?{query}", status_code=303)
    return await _listing(
        request,
        session,
        principal,
        q="",
        source="",
        cursor=None,
        values=values,
        errors=errors,
        status_code=422,
    )


@router.post("/app/suppression/{entry_id}/remove", dependencies=[CsrfChecked])
async def suppression_remove(
    entry_id: str, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    await service.remove(session, principal, entry_id)
    return RedirectResponse("/app/suppression", status_code=303)
