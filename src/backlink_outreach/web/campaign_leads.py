"""A campaign's page: its leads (filters, search, sorting, keyset pages), bulk status, adding one.

The table is `leads.listing.list_leads`, the API's own list: a keyset page of 50 read along the
index of the chosen order, so a campaign of 10,000 leads renders as fast as one of ten.
"""

from __future__ import annotations

from typing import Any, get_args

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..campaigns import numbers
from ..campaigns.service import get_campaign
from ..deps import SessionDep
from ..errors import Conflict, Unprocessable
from ..leads import listing
from ..leads import service as leads
from ..leads.schemas import BulkStatusUpdate, LeadCreate
from ..models import LEAD_STATUSES, Campaign
from . import forms, rendering
from .csrf import CsrfChecked
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

PAGE_SIZE = 50
SORTS: dict[str, str] = {
    "-created_at": "Newest first",
    "created_at": "Oldest first",
    "-updated_at": "Recently changed",
    "-quality_score": "Quality, best first",
    "-relevance_score": "Relevance, best first",
    "-guest_post_likelihood": "Guest-post likelihood, best first",
    "-authority": "Authority, highest first",
}
DEFAULT_SORT = "-created_at"
MAX_Q = 200
assert all(sort in get_args(listing.LeadSort) for sort in SORTS)


def _filters(request: Request) -> dict[str, str]:
    """The table's filters from the query string; a value the list does not know is a 422
    next to its control, never a 500."""
    query = request.query_params
    return {
        "status": query.get("status", ""),
        "q": query.get("q", "").strip(),
        "sort": query.get("sort", "") or DEFAULT_SORT,
        "cursor": query.get("cursor", ""),
    }


def _filter_errors(chosen: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if chosen["status"] and chosen["status"] not in LEAD_STATUSES:
        errors["status"] = "Choose one of the statuses in the list."
    if chosen["sort"] not in SORTS:
        errors["sort"] = "Choose one of the orders in the list."
    if len(chosen["q"]) > MAX_Q or "\x00" in chosen["q"]:
        errors["q"] = f"At most {MAX_Q} characters."
    return errors


async def campaign_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    campaign: Campaign,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    chosen = _filters(request)
    errors = {**_filter_errors(chosen), **(errors or {})}
    connection = await session.connection()
    rows: list[Any] = []
    next_url = None
    if not any(name in errors for name in ("status", "sort", "q")):
        page = pages.Page(PAGE_SIZE, chosen["cursor"] or None)
        sort: Any = chosen["sort"]
        try:
            rows = await listing.list_leads(
                connection,
                principal,
                campaign.id,
                page,
                status=chosen["status"] or None,  # type: ignore[arg-type]
                q=chosen["q"] or None,
                sort=sort,
            )
        except Unprocessable:  # a cursor from another order, or not one of ours
            errors["cursor"] = "That page link has expired: start from the first page."
            rows = []
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE]
            keyset = listing.KEYSETS[sort]
            last = rows[-1]
            cursor = keyset.encode(getattr(last, keyset.name), last.id)
            next_url = pages.with_cursor(request, cursor)
    counted = (await numbers.numbers_by_campaign(connection, [campaign.id]))[campaign.id]
    context = {
        "campaign": campaign,
        "tab": "leads",
        "lead_total": await numbers.lead_total(connection, campaign.id),
        "numbers": counted,
        "leads": rows,
        "next_url": next_url,
        "filters": chosen,
        "filtered": bool(chosen["status"] or chosen["q"]),
        "statuses": LEAD_STATUSES,
        "sorts": SORTS,
        "errors": errors,
        "values": values or {},
        "back": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return rendering.render(
        request, "campaigns/show.html", context, status_code=status_code, principal=principal
    )


@router.get("/app/campaigns/{campaign_id}")
async def show_campaign(
    campaign_id: str, request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    campaign = await get_campaign(session, principal, campaign_id)
    return await campaign_page(request, session, principal, campaign)


def _back(campaign_id: str, value: str | None) -> str:
    """Back to the table as it was (filters, page): this campaign's page only."""
    home = f"/app/campaigns/{campaign_id}"
    if value and (value == home or value.startswith(home + "?")):
        return value
    return home


@router.post("/app/campaigns/{campaign_id}/bulk-status", dependencies=[CsrfChecked])
async def bulk_status(
    campaign_id: str, request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    campaign = await get_campaign(session, principal, campaign_id)
    values = await forms.form_values(request)
    ids = await forms.form_lists(request, "lead_ids")
    data, errors = forms.parse(
        BulkStatusUpdate, {"lead_ids": ids, "status": values.get("bulk_status", "")}
    )
    if "status" in errors:  # named apart from the table's status filter
        del errors["status"]
        errors["bulk_status"] = "Choose the status to set."
    if data is not None and not data.lead_ids:
        errors["lead_ids"] = "Tick at least one lead."
    if data is None or errors:
        return await campaign_page(
            request, session, principal, campaign, errors=errors, values=values, status_code=422
        )
    await leads.bulk_set_status(session, campaign, data.lead_ids, data.status)
    return RedirectResponse(_back(campaign.id, values.get("back")), status_code=303)


LEAD_FIELDS = (
    "website_url",
    "website_title",
    "contact_email",
    "contact_name",
    "notes",
    "target_url",
    "anchor_text",
)


@router.get("/app/campaigns/{campaign_id}/add-lead")
async def new_lead(
    campaign_id: str, request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    campaign = await get_campaign(session, principal, campaign_id)
    context = {"campaign": campaign, "tab": "add", "values": {}, "errors": {}}
    return rendering.render(request, "campaigns/add_lead.html", context, principal=principal)


@router.post("/app/campaigns/{campaign_id}/add-lead", dependencies=[CsrfChecked])
async def add_lead(
    campaign_id: str, request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    campaign = await get_campaign(session, principal, campaign_id)
    values = await forms.form_values(request)
    entry: dict[str, Any] = {name: values[name] for name in LEAD_FIELDS if values.get(name)}
    entry["consent"] = values.get("consent") == "on"
    data, errors = forms.parse(LeadCreate, entry)
    if not values.get("website_url"):
        errors["website_url"] = "Enter the site's address, such as green.example."
    if data is not None and not errors:
        try:
            # `ON CONFLICT DO NOTHING` underneath: a duplicate aborts no transaction.
            await leads.add_lead(session, campaign, data)
        except Conflict as exc:
            errors = {"website_url": str(exc.detail)}
        else:
            return RedirectResponse(f"/app/campaigns/{campaign.id}", status_code=303)
    context = {"campaign": campaign, "tab": "add", "values": values, "errors": errors}
    return rendering.render(
        request, "campaigns/add_lead.html", context, status_code=422, principal=principal
    )
