"""Campaigns: the list with the numbers that matter, creating, editing, pausing and deleting.

A campaign's own page (its leads) is `campaign_leads.py`; importing, the sequence and the
schedule have modules of their own.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from .. import pages
from ..campaigns import numbers, service
from ..campaigns.schemas import CampaignCreate, CampaignUpdate
from ..deps import ReadConnectionDep, SessionDep, SettingsDep
from ..errors import NotFound, Unprocessable
from ..mailboxes import service as mailboxes
from ..models import Campaign
from ..sequences import windows
from . import forms, rendering
from .csrf import CsrfChecked
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

DAY_NAMES = {
    "mon": "Mon",
    "tue": "Tue",
    "wed": "Wed",
    "thu": "Thu",
    "fri": "Fri",
    "sat": "Sat",
    "sun": "Sun",
}
MAILBOXES_SHOWN = 200


@router.get("/app")
async def home() -> Response:
    return RedirectResponse("/app/campaigns", status_code=303)


@router.get("/app/campaigns")
async def campaign_list(
    request: Request, connection: ReadConnectionDep, principal: WebPrincipalDep
) -> Response:
    campaigns = await service.list_campaigns(connection, principal, None)
    campaigns.reverse()  # newest first: the one just made is the one a user looks for
    # One query for every campaign's numbers, not one per row.
    counted = await numbers.numbers_by_campaign(connection, [c["id"] for c in campaigns])
    rows = [{**c, "numbers": counted[c["id"]]} for c in campaigns]
    context = {"campaigns": rows}
    return rendering.render(request, "campaigns/list.html", context, principal=principal)


def _create_values(values: dict[str, str]) -> dict[str, object]:
    data: dict[str, object] = {
        "name": values.get("name", ""),
        "description": values.get("description") or None,
        "keywords": forms.lines(values.get("keywords", "")),
    }
    if values.get("timezone"):
        data["timezone"] = values["timezone"]
    return data


@router.get("/app/campaigns/new")
async def new_campaign(request: Request, principal: WebPrincipalDep) -> Response:
    context: dict[str, Any] = {"values": {}, "errors": {}}
    return rendering.render(request, "campaigns/new.html", context, principal=principal)


@router.post("/app/campaigns/new", dependencies=[CsrfChecked])
async def create_campaign(
    request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    values = await forms.form_values(request)
    data, errors = forms.parse(CampaignCreate, _create_values(values))
    if data is not None:
        try:
            created = await service.create_campaign(session, principal, data)
        except Unprocessable as exc:
            errors = forms.errors_of(exc)
        else:
            return RedirectResponse(f"/app/campaigns/{created.id}", status_code=303)
    context = {"values": values, "errors": errors}
    return rendering.render(
        request, "campaigns/new.html", context, status_code=422, principal=principal
    )


def _edit_values(campaign: Campaign) -> dict[str, Any]:
    window = campaign.send_window or windows.DEFAULT_WINDOW
    return {
        "name": campaign.name,
        "description": campaign.description or "",
        "keywords": "\n".join(campaign.keywords or []),
        "timezone": campaign.timezone,
        "start": window["start"],
        "end": window["end"],
        "days": list(window["days"]),
        "mailbox_ids": list(campaign.mailbox_ids or []),
    }


async def _edit_page(
    request: Request,
    session: SessionDep,
    settings: Any,
    principal: Any,
    campaign: Campaign,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    boxes = await mailboxes.list_mailboxes(
        session, settings, principal, None, pages.Page(MAILBOXES_SHOWN, None)
    )
    context = {
        "campaign": campaign,
        "values": values,
        "errors": errors,
        "day_names": DAY_NAMES,
        "mailboxes": boxes[:MAILBOXES_SHOWN],
    }
    return rendering.render(
        request, "campaigns/edit.html", context, status_code=status_code, principal=principal
    )


@router.get("/app/campaigns/{campaign_id}/edit")
async def edit_campaign(
    campaign_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    campaign = await service.get_campaign(session, principal, campaign_id)
    values = _edit_values(campaign)
    return await _edit_page(request, session, settings, principal, campaign, values, {})


def _update_values(values: dict[str, str], days: list[str], boxes: list[str]) -> dict[str, Any]:
    return {
        "name": values.get("name", ""),
        "description": values.get("description") or None,
        "keywords": forms.lines(values.get("keywords", "")),
        "timezone": values.get("timezone") or "UTC",
        "send_window": {"days": days, "start": values.get("start", ""), "end": values.get("end")},
        "mailbox_ids": boxes,
    }


@router.post("/app/campaigns/{campaign_id}/edit", dependencies=[CsrfChecked])
async def save_campaign(
    campaign_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    campaign = await service.get_campaign(session, principal, campaign_id)
    values: dict[str, Any] = await forms.form_values(request)
    days = await forms.form_lists(request, "days")
    boxes = await forms.form_lists(request, "mailbox_ids")
    data, errors = forms.parse(CampaignUpdate, _update_values(values, days, boxes))
    if data is not None:
        try:
            await service.update_campaign(session, principal, campaign_id, data)
        except Unprocessable as exc:
            errors = forms.errors_of(exc)
        except NotFound:  # a mailbox that is not this workspace's (the campaign was found)
            errors = {"mailbox_ids": "Pick mailboxes of this workspace."}
        else:
            return RedirectResponse(f"/app/campaigns/{campaign_id}", status_code=303)
    if "send_window" in errors and not days:
        errors["send_window"] = "Tick at least one day."
    values = {**values, "days": days, "mailbox_ids": boxes}
    return await _edit_page(
        request, session, settings, principal, campaign, values, errors, status_code=422
    )


@router.post("/app/campaigns/{campaign_id}/status", dependencies=[CsrfChecked])
async def set_campaign_status(
    campaign_id: str, request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    """Pause or resume: the same PATCH as the API (a pause holds on every worker once this
    answers; resuming moves overdue steps into the next window)."""
    values = await forms.form_values(request)
    data, _errors = forms.parse(CampaignUpdate, {"status": values.get("status", "")})
    if data is None or data.status is None:
        raise Unprocessable("Choose active or paused.", "value_error", ["body", "status"])
    await service.update_campaign(session, principal, campaign_id, data)
    back = values.get("back", "")
    target = back if back == "/app/campaigns" else f"/app/campaigns/{campaign_id}"
    return RedirectResponse(target, status_code=303)


@router.get("/app/campaigns/{campaign_id}/delete")
async def confirm_delete(
    campaign_id: str, request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    campaign = await service.get_campaign(session, principal, campaign_id)
    return rendering.render(
        request, "campaigns/delete.html", {"campaign": campaign}, principal=principal
    )


@router.post("/app/campaigns/{campaign_id}/delete", dependencies=[CsrfChecked])
async def delete_campaign(
    campaign_id: str, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    await service.delete_campaign(session, principal, campaign_id)
    return RedirectResponse("/app/campaigns", status_code=303)
