"""The sequence editor, the preview of a step for one lead, and enrolling leads.

Saving is the API's `PATCH /campaigns/{id}` `{sequence}` (`campaigns.service.update_campaign`,
the same validation: errors come back under the step they belong to). The preview is
`POST /outreach/preview`'s service with the step's text as the scheduler would send it (a
later step without its own subject is `Re: <step 0's subject>`). Enrolling is
`POST /campaigns/{id}/enroll`'s service; its skip reasons are shown in words.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..campaigns import service as campaigns
from ..campaigns.schemas import CampaignUpdate
from ..config import Settings
from ..deps import SessionDep, SettingsDep
from ..emails import template_service
from ..errors import NotFound, Unprocessable
from ..leads import listing
from ..models import Campaign
from ..outreach import preview as outreach_preview
from ..outreach.schemas import SendRequest
from ..sequences import enrollment, steps
from ..sequences import service as sequences
from ..sequences.schemas import MAX_STEPS, EnrollRequest
from . import forms, rendering
from .csrf import CsrfChecked
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

PICKER_LEADS = 100
TEMPLATES_SHOWN = 200
STEP_FIELDS = ("delay_days", "subject", "body", "template_id")
SKIP_REASONS = {
    "not_found": "are not leads of this campaign",
    "missing_recipient": "have no contact address",
    "already_enrolled": "were enrolled before",
    "sequence_active": "have follow-ups running already",
    "already_contacted": "were contacted another way already",
}


def _step_values(campaign: Campaign) -> list[dict[str, str]]:
    shown = [
        {
            "delay_days": str(spec.get("delay_days") or 0),
            "subject": spec.get("subject") or "",
            "body": spec.get("body") or "",
            "template_id": spec.get("template_id") or "",
        }
        for spec in campaign.sequence or []
    ]
    return shown


def _with_blank(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The steps, and one empty row to write the next step in (up to the limit)."""
    if len(rows) < MAX_STEPS:
        delay = "0" if not rows else "3"
        rows = [*rows, {"delay_days": delay, "subject": "", "body": "", "template_id": ""}]
    return rows


def _summary(request: Request) -> dict[str, Any] | None:
    """The last enrollment's answer, carried in the redirect's query string."""
    query = request.query_params
    if "enrolled" not in query:
        return None
    counts: dict[str, int] = {}
    for reason in SKIP_REASONS:
        value = query.get(f"skipped_{reason}", "0")
        if value.isdigit() and int(value):
            counts[reason] = int(value)
    enrolled = query.get("enrolled", "0")
    return {"enrolled": int(enrolled) if enrolled.isdigit() else 0, "skipped": counts}


async def _editor(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    campaign: Campaign,
    rows: list[dict[str, str]],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    templates = await template_service.list_templates(
        session, principal, pages.Page(TEMPLATES_SHOWN, None)
    )
    connection = await session.connection()
    picker = await listing.list_leads(
        connection, principal, campaign.id, pages.Page(PICKER_LEADS, None)
    )
    context = {
        "campaign": campaign,
        "tab": "sequence",
        "steps": _with_blank(rows),
        "saved_steps": len(campaign.sequence or []),
        "errors": errors,
        "templates": templates[:TEMPLATES_SHOWN],
        "picker": picker[:PICKER_LEADS],
        "summary": _summary(request),
        "skip_reasons": SKIP_REASONS,
    }
    return rendering.render(
        request, "campaigns/sequence.html", context, status_code=status_code, principal=principal
    )


@router.get("/app/campaigns/{campaign_id}/sequence")
async def sequence_page(
    campaign_id: str, request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    campaign = await campaigns.get_campaign(session, principal, campaign_id)
    return await _editor(request, session, principal, campaign, _step_values(campaign), {})


def _posted_steps(values: dict[str, str]) -> list[dict[str, str]]:
    """The editor's rows (`step-<i>-<field>`), in order; a row with neither a body nor a
    template is no step (that is how a step is removed, and the blank row stays blank)."""
    rows: list[dict[str, str]] = []
    for index in range(MAX_STEPS + 1):
        row = {name: values.get(f"step-{index}-{name}", "") for name in STEP_FIELDS}
        if not any(values.get(f"step-{index}-{name}") is not None for name in STEP_FIELDS):
            break
        if row["body"].strip() or row["template_id"]:
            rows.append(row)
    return rows


def _as_spec(row: dict[str, str]) -> dict[str, Any]:
    delay = row["delay_days"] or "0"
    # A whole number as JSON would send it; anything else goes on as typed, for the error.
    spec: dict[str, Any] = {"delay_days": int(delay) if delay.isdigit() else delay}
    if row["template_id"]:
        spec["template_id"] = row["template_id"]
    else:
        spec["subject"] = row["subject"] or None
        spec["body"] = row["body"]
    if row["template_id"] and (row["subject"] or row["body"]):
        spec["subject"], spec["body"] = row["subject"] or None, row["body"] or None
    return spec


def _step_errors(details: list[dict[str, Any]]) -> dict[str, str]:
    """Errors by step and field (`step-1-body`), or for the whole sequence (`sequence`)."""
    out: dict[str, str] = {}
    for error in details:
        loc = list(error.get("loc", []))
        if loc[:1] == ["body"]:  # the service's errors name the request body first
            loc = loc[1:]
        if loc[:1] == ["sequence"]:
            loc = loc[1:]
        message = str(error.get("msg", "Not valid")).removeprefix("Value error, ")
        name = "sequence"
        if loc and isinstance(loc[0], int):
            name = f"step-{loc[0]}"
            if len(loc) > 1 and loc[1] in STEP_FIELDS:
                name = f"step-{loc[0]}-{loc[1]}"
        out.setdefault(name, message)
    return out


@router.post("/app/campaigns/{campaign_id}/sequence", dependencies=[CsrfChecked])
async def save_sequence(
    campaign_id: str, request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    campaign = await campaigns.get_campaign(session, principal, campaign_id)
    values = await forms.form_values(request)
    rows = _posted_steps(values)
    sequence = [_as_spec(row) for row in rows] or None
    errors: dict[str, str] = {}
    try:
        data = CampaignUpdate.model_validate({"sequence": sequence})
        await campaigns.update_campaign(session, principal, campaign.id, data)
    except ValidationError as exc:
        details = exc.errors(include_url=False, include_input=False)
        errors = _step_errors([dict(error) for error in details])
    except Unprocessable as exc:
        errors = _step_errors(exc.detail if isinstance(exc.detail, list) else [])
    if not errors:
        return RedirectResponse(f"/app/campaigns/{campaign.id}/sequence", status_code=303)
    return await _editor(request, session, principal, campaign, rows, errors, status_code=422)


async def _step_request(
    session: AsyncSession, campaign: Campaign, lead_id: str, index: int
) -> SendRequest:
    """What the scheduler would send for step `index`, as a preview request."""
    text = await steps.text_for(session, campaign, index)
    if text is None:
        raise Unprocessable("The sequence has no such step: save it first.", "value_error")
    subject = text.subject.strip()
    if not subject and index > 0:
        first = await steps.text_for(session, campaign, 0)
        opening = first.subject.strip() if first else ""
        subject = opening if opening.lower().startswith("re:") else f"Re: {opening}"
    return SendRequest(
        campaign_id=campaign.id, lead_id=lead_id, subject=subject or "-", body=text.body
    )


@router.get("/app/campaigns/{campaign_id}/sequence/preview")
async def preview_step(
    campaign_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
    lead_id: str = "",
    step: str = "0",
) -> Response:
    campaign = await campaigns.get_campaign(session, principal, campaign_id)
    context: dict[str, Any] = {"campaign": campaign, "tab": "sequence", "step": step}
    error = None
    if not lead_id:
        error = "Pick a lead to preview the step for."
    elif not step.isdigit() or int(step) >= MAX_STEPS:
        error = "Pick one of the sequence's steps."
    else:
        try:
            data = await _step_request(session, campaign, lead_id[:64], int(step))
            context["preview"] = await outreach_preview.preview(session, settings, principal, data)
        except ValidationError:
            error = "This step cannot be previewed: its text is not valid."
        except NotFound:
            error = "That lead is not in this campaign."
        except Unprocessable as exc:
            error = exc.msg  # an unknown {placeholder}, no way to send configured
    context["error"] = error
    fragment = rendering.wants_fragment(request)
    template = "campaigns/_preview.html" if fragment else "campaigns/preview.html"
    return rendering.render(
        request, template, context, status_code=422 if error else 200, principal=principal
    )


async def _enroll(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    campaign: Campaign,
    request: EnrollRequest,
) -> str:
    result = await sequences.enroll(session, settings, principal, campaign.id, request)
    counts: dict[str, int] = {}
    for skipped in result.skipped:
        counts[skipped.reason] = counts.get(skipped.reason, 0) + 1
    query = "&".join(f"skipped_{reason}={n}" for reason, n in counts.items() if reason)
    return f"enrolled={result.enrolled}" + (f"&{query}" if query else "")


@router.post("/app/campaigns/{campaign_id}/enroll", dependencies=[CsrfChecked])
async def enroll(
    campaign_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipalDep,
) -> Response:
    campaign = await campaigns.get_campaign(session, principal, campaign_id)
    values = await forms.form_values(request)
    ids = await forms.form_lists(request, "lead_ids")
    if values.get("mode") == "all":
        wanted = EnrollRequest(all_eligible=True)
    elif ids:
        wanted = EnrollRequest(lead_ids=[i[:64] for i in ids][:10_000])
    else:
        raise Unprocessable("Tick the leads to enroll, or enroll every eligible lead.")
    if not steps.has_sequence(campaign):
        raise Unprocessable(enrollment.NO_SEQUENCE.replace("PATCH /campaigns/{id}", "the editor"))
    summary = await _enroll(session, settings, principal, campaign, wanted)
    return RedirectResponse(
        f"/app/campaigns/{campaign.id}/sequence?{summary}#enroll", status_code=303
    )
