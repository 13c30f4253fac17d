"""A lead: its fields (edited through the lead PATCH service), its status, deleting it, and its
whole history (messages, replies, link checks, sequence steps) in one timeline, newest first."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..campaigns.service import get_campaign
from ..deps import SessionDep
from ..errors import Conflict, Unprocessable
from ..leads import history
from ..leads import service as leads
from ..leads.schemas import LeadOut, LeadUpdate
from ..models import LEAD_STATUSES, Campaign, Lead
from . import forms, rendering
from .csrf import CsrfChecked
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

# The editable fields, in the form's order (LeadUpdate refuses the others).
TEXT_FIELDS = (
    "website_url",
    "website_title",
    "contact_name",
    "contact_email",
    "source",
    "target_url",
    "anchor_text",
    "notes",
)
SCORE_FIELDS = ("quality_score", "relevance_score", "guest_post_likelihood")
# Words for the notice after a redirect (`?done=`): never text from the query itself.
NOTICES = {
    "saved": "Saved.",
    "status": "Status changed.",
    "sent": "Sent. The message is in the history below.",
    "placed": "Placement recorded and checked.",
}


def lead_url(campaign_id: str, lead_id: str) -> str:
    return f"/app/campaigns/{campaign_id}/leads/{lead_id}"


def _values_of(lead: Lead | LeadOut) -> dict[str, str]:
    values = {
        name: "" if getattr(lead, name) is None else str(getattr(lead, name))
        for name in (
            *TEXT_FIELDS,
            *SCORE_FIELDS,
            "authority",
        )
    }
    values["consent"] = "on" if lead.consent else ""
    return values


def _number(text: str, kind: type[int] | type[float]) -> Any:
    """A number field: blank is no value; an unreadable one is passed on as text, so the
    schema's own message says what is wrong with it."""
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        return text


def update_values(values: dict[str, str]) -> dict[str, Any]:
    """The posted form as a `LeadUpdate` body: every editable field, blanks as no value."""
    data: dict[str, Any] = {name: values.get(name, "") for name in TEXT_FIELDS}
    data["notes"] = data["notes"] or None
    for name in SCORE_FIELDS:
        data[name] = _number(values.get(name, ""), float)
    data["authority"] = _number(values.get("authority", ""), int)
    data["consent"] = values.get("consent") == "on"
    return data


async def lead_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    campaign: Campaign,
    lead: Lead,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    placement_values: dict[str, str] | None = None,
    placement_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    timeline = await history.timeline(session, lead)
    context = {
        "campaign": campaign,
        "lead": lead,
        "values": values if values is not None else _values_of(lead),
        "errors": errors or {},
        "status_options": [(status, status) for status in LEAD_STATUSES],
        "placement_values": placement_values
        if placement_values is not None
        else {"placement_target_url": lead.target_url or ""},
        "placement_errors": placement_errors or {},
        "timeline": timeline,
        "notice": NOTICES.get(request.query_params.get("done", "")),
        "url": lead_url(campaign.id, lead.id),
    }
    return rendering.render(
        request, "leads/show.html", context, status_code=status_code, principal=principal
    )


@router.get("/app/campaigns/{campaign_id}/leads/{lead_id}")
async def show_lead(
    request: Request,
    campaign_id: str,
    lead_id: str,
    session: SessionDep,
    principal: WebPrincipalDep,
) -> Response:
    campaign = await get_campaign(session, principal, campaign_id)
    lead = await leads.get_lead(session, campaign, lead_id)
    return await lead_page(request, session, principal, campaign, lead)


@router.post("/app/campaigns/{campaign_id}/leads/{lead_id}/edit", dependencies=[CsrfChecked])
async def edit_lead(
    request: Request,
    campaign_id: str,
    lead_id: str,
    session: SessionDep,
    principal: WebPrincipalDep,
) -> Response:
    campaign = await get_campaign(session, principal, campaign_id)
    lead = await leads.get_lead(session, campaign, lead_id)
    values = await forms.form_values(request)
    data, errors = forms.parse(LeadUpdate, update_values(values))
    if data is not None:
        try:
            await leads.update_lead(session, campaign, lead.id, data)
        except Conflict as exc:
            errors = {"website_url": str(exc.detail)}
        except Unprocessable as exc:
            errors = forms.errors_of(exc)
        else:
            return RedirectResponse(lead_url(campaign.id, lead.id) + "?done=saved", 303)
    return await lead_page(
        request, session, principal, campaign, lead, values=values, errors=errors, status_code=422
    )


@router.post("/app/campaigns/{campaign_id}/leads/{lead_id}/status", dependencies=[CsrfChecked])
async def set_lead_status(
    request: Request,
    campaign_id: str,
    lead_id: str,
    session: SessionDep,
    principal: WebPrincipalDep,
) -> Response:
    values = await forms.form_values(request)
    status = values.get("status", "")
    if status not in LEAD_STATUSES:
        campaign = await get_campaign(session, principal, campaign_id)
        lead = await leads.get_lead(session, campaign, lead_id)
        errors = {"status": "Choose one of the statuses listed."}
        return await lead_page(
            request, session, principal, campaign, lead, errors=errors, status_code=422
        )
    await leads.set_status(session, principal, campaign_id, lead_id, status)
    return RedirectResponse(lead_url(campaign_id, lead_id) + "?done=status", 303)


@router.get("/app/campaigns/{campaign_id}/leads/{lead_id}/delete")
async def confirm_delete(
    request: Request,
    campaign_id: str,
    lead_id: str,
    session: SessionDep,
    principal: WebPrincipalDep,
) -> Response:
    """The confirmation page (the form on the lead page asks in script; this is the same
    question without it)."""
    campaign = await get_campaign(session, principal, campaign_id)
    lead = await leads.get_lead(session, campaign, lead_id)
    context = {"campaign": campaign, "lead": lead, "url": lead_url(campaign.id, lead.id)}
    return rendering.render(request, "leads/delete.html", context, principal=principal)


@router.post("/app/campaigns/{campaign_id}/leads/{lead_id}/delete", dependencies=[CsrfChecked])
async def delete_lead(
    campaign_id: str, lead_id: str, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    campaign = await get_campaign(session, principal, campaign_id)
    await leads.delete_lead(session, campaign, lead_id)
    return RedirectResponse(f"/app/campaigns/{campaign.id}", 303)
