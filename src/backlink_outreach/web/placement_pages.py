"""Placements: live, lost and nofollow links with their check history; recording a placement
to check (from the list, by the lead's site, or from a lead's page) and checking one again now.
Checks run through the placement services the API uses (`placements/service.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..campaigns import service as campaigns
from ..deps import DatabaseDep, SessionDep, SettingsDep
from ..domains import InvalidValue, normalize_website_url
from ..errors import NotFound, Unprocessable
from ..leads import lookup
from ..leads import service as leads
from ..placements import service as placements
from ..placements.schemas import PlacementCreate
from . import forms, rendering
from .csrf import CsrfChecked
from .inbox_pages import page_url
from .lead_pages import lead_page, lead_url
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

PAGE_SIZE = 50
# The list's views: (label, status filter, nofollow filter).
VIEWS: dict[str, tuple[str, Any, bool | None]] = {
    "": ("All", None, None),
    "live": ("Live", "live", None),
    "nofollow": ("Live, nofollow", "live", True),
    "lost": ("Lost", "lost", None),
    "missing": ("Not found yet", "missing", None),
    "unknown": ("Could not check", "unknown", None),
}
NOTICES = {"added": "Placement recorded and checked.", "checked": "Checked again."}


def _placement_body(values: dict[str, str], target_field: str) -> dict[str, Any]:
    body: dict[str, Any] = {"placement_url": values.get("placement_url", "")}
    for field, name in ((target_field, "target_url"), ("anchor_text", "anchor_text")):
        if values.get(field):
            body[name] = values[field]
    return body


async def _list_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    view = request.query_params.get("status", "")
    if view not in VIEWS:
        raise Unprocessable("Unknown view.", "enum", ["query", "status"])
    _label, status, nofollow = VIEWS[view]
    page = pages.Page(PAGE_SIZE, request.query_params.get("cursor") or None)
    rows = await placements.list_for_workspace(session, principal, status, page, nofollow=nofollow)
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        last = rows[-1]
        next_url = page_url(request, placements.BY_CREATED.encode(last.created_at, last.id))
    connection = await session.connection()
    every_campaign = await campaigns.list_campaigns(connection, principal, None)
    context = {
        "placements": [placements.to_out(p) for p in rows],
        "views": [(key, label) for key, (label, _s, _n) in VIEWS.items()],
        "view": view,
        "next_url": next_url,
        "campaign_options": [(c["id"], c["name"]) for c in every_campaign],
        "values": values or {},
        "errors": errors or {},
        "notice": NOTICES.get(request.query_params.get("done", "")),
    }
    return rendering.render(
        request, "placements/list.html", context, status_code=status_code, principal=principal
    )


@router.get("/app/placements")
async def placement_list(
    request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    return await _list_page(request, session, principal)


@router.post("/app/placements", dependencies=[CsrfChecked])
async def add_placement(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    """A placement named by its campaign and the lead's site (the list has no lead ids)."""
    values = await forms.form_values(request)
    data, errors = forms.parse(PlacementCreate, _placement_body(values, "target_url"))
    lead = None
    async with db.read() as session:
        try:
            campaign = await campaigns.get_campaign(
                session, principal, values.get("campaign_id", "")
            )
        except NotFound:
            errors.setdefault("campaign_id", "Choose one of your campaigns.")
        else:
            try:
                _url, domain = normalize_website_url(values.get("site", ""))
            except InvalidValue as exc:
                errors.setdefault("site", str(exc))
            else:
                lead = await lookup.by_domain(session, campaign, domain)
                if lead is None:
                    errors.setdefault("site", f"No lead of this campaign is the site {domain}.")
    if data is not None and lead is not None and not errors:
        try:
            await placements.place(db, settings, principal, lead.campaign_id, lead.id, data)
        except Unprocessable as exc:
            errors = forms.errors_of(exc)
        else:
            return RedirectResponse("/app/placements?done=added", 303)
    async with db.read() as session:
        return await _list_page(
            request, session, principal, values=values, errors=errors, status_code=422
        )


@router.post("/app/campaigns/{campaign_id}/leads/{lead_id}/placement", dependencies=[CsrfChecked])
async def add_lead_placement(
    request: Request,
    campaign_id: str,
    lead_id: str,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    """From a lead's page: record where its link was published and check it now."""
    values = await forms.form_values(request)
    data, errors = forms.parse(PlacementCreate, _placement_body(values, "placement_target_url"))
    if data is not None:
        try:
            await placements.place(db, settings, principal, campaign_id, lead_id, data)
        except Unprocessable as exc:
            errors = forms.errors_of(exc)
        else:
            return RedirectResponse(lead_url(campaign_id, lead_id) + "?done=placed", 303)
    if "target_url" in errors:
        errors["placement_target_url"] = errors.pop("target_url")
    async with db.read() as session:
        campaign = await campaigns.get_campaign(session, principal, campaign_id)
        lead = await leads.get_lead(session, campaign, lead_id)
        return await lead_page(
            request,
            session,
            principal,
            campaign,
            lead,
            placement_values=values,
            placement_errors=errors,
            status_code=422,
        )


@router.post("/app/placements/{placement_id}/check", dependencies=[CsrfChecked])
async def check_now(
    request: Request,
    placement_id: str,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    """Check again now: the card's new contents for the page's script, else back to the list."""
    checked = await placements.check_again(db, settings, principal, placement_id)
    if rendering.wants_fragment(request):
        return rendering.render(
            request, "placements/_card.html", {"p": checked}, principal=principal
        )
    return RedirectResponse("/app/placements?done=checked", 303)
