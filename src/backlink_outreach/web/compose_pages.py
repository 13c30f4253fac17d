"""Compose: pick a campaign's lead and a template (or write the subject and body), see the
exact message and the policy verdict (`POST /outreach/preview`'s service), and send it through
the same path as `POST /outreach/send`, its failures shown in words."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..campaigns import service as campaigns
from ..deps import DatabaseDep, ReadSessionDep, SessionDep, SettingsDep
from ..emails import template_service
from ..errors import DeliveryFailed, PolicyBlocked, Unprocessable
from ..leads import history, listing
from ..leads import service as leads
from ..models import Lead
from ..outreach import preview as previews
from ..outreach import service as outreach
from ..outreach.schemas import PreviewOut, SendRequest
from . import forms, rendering
from .csrf import CsrfChecked
from .lead_pages import lead_url
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

LEADS_SHOWN = 100
TEMPLATES_SHOWN = 200
FIELDS = ("campaign_id", "lead_id", "template_id", "subject", "body")

# Policy's reason codes in words (API.md "Policy reason codes", part 2 additions too).
REASONS = {
    "missing_recipient": "the lead has no contact email address",
    "invalid_recipient": "the contact email address is not a valid address",
    "blocked_role_address": "the address is a role address (such as abuse@ or postmaster@)",
    "suppressed": "the address is on the suppression list",
    "duplicate": "this lead was already sent this subject recently",
    "sender_daily_cap": "the sending mailbox has reached its daily limit",
    "recipient_domain_daily_cap": "today's limit of messages to this domain is reached",
    "workspace_daily_cap": "the workspace has reached its daily limit",
    "consent_required": "this recipient's country requires consent, and the lead has none",
    "mailbox_paused": "the sending mailbox is paused",
    "sequence_active": "the lead is in a running sequence",
    "recently_contacted": "this site was contacted recently (the recontact cool-down)",
}


def reason_words(code: str | None) -> str:
    if code is None:
        return ""
    return REASONS.get(code, code.replace("_", " "))


def parse_form(values: dict[str, str]) -> tuple[SendRequest | None, dict[str, str]]:
    """The form as a `SendRequest`; without a template, a blank subject and a blank body are
    both said at once (the send service stops at the first)."""
    data, errors = forms.parse(SendRequest, send_request_values(values))
    if not values.get("template_id"):
        for name, words in (("subject", "Write a subject"), ("body", "Write the message")):
            if not values.get(name):
                errors[name] = f"{words}, or choose a template."
    return (data, errors) if not errors else (None, errors)


def send_request_values(values: dict[str, str]) -> dict[str, Any]:
    """The form as a `SendRequest` body: a blank subject, body or template is not given (the
    template's own texts are used when the subject or body is blank)."""
    return {name: values[name] for name in FIELDS if values.get(name)}


async def _choices(
    session: AsyncSession, principal: Principal, values: dict[str, str], q: str | None
) -> dict[str, Any]:
    """The campaigns, the chosen campaign's leads (a page, searchable, the chosen lead always
    among them) and the workspace's templates."""
    connection = await session.connection()
    every_campaign = await campaigns.list_campaigns(connection, principal, None)
    campaign_id = values.get("campaign_id") or ""
    lead_rows: list[Any] = []
    campaign = None
    if campaign_id:
        campaign = await campaigns.get_campaign(session, principal, campaign_id)
        page = pages.Page(LEADS_SHOWN, None)
        found = await listing.list_leads(connection, principal, campaign.id, page, q=q or None)
        lead_rows = list(found[:LEADS_SHOWN])
        chosen = values.get("lead_id")
        if chosen and all(row.id != chosen for row in lead_rows):
            lead: Lead = await leads.get_lead(session, campaign, chosen)
            lead_rows.insert(0, lead)
    templates = await template_service.list_templates(
        session, principal, pages.Page(TEMPLATES_SHOWN, None)
    )
    return {
        "campaigns": every_campaign,
        "campaign": campaign,
        "leads": lead_rows,
        "template_options": [("", "No template: write it here")]
        + [(t.id, t.name) for t in templates[:TEMPLATES_SHOWN]],
    }


async def _page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    preview: PreviewOut | None = None,
    failure: str | None = None,
    status_code: int = 200,
) -> Response:
    q = request.query_params.get("q")
    context = {
        **await _choices(session, principal, values, q),
        "values": values,
        "errors": errors or {},
        "preview": preview,
        "failure": failure,
        "q": q or "",
        "reason_words": reason_words,
        "fragment": False,
    }
    return rendering.render(
        request, "compose/page.html", context, status_code=status_code, principal=principal
    )


@router.get("/app/compose")
async def compose(request: Request, session: SessionDep, principal: WebPrincipalDep) -> Response:
    values = {name: request.query_params.get(name, "").strip() for name in FIELDS}
    return await _page(request, session, principal, values)


@router.post("/app/compose/preview", dependencies=[CsrfChecked])
async def preview(
    request: Request, session: ReadSessionDep, settings: SettingsDep, principal: WebPrincipalDep
) -> Response:
    """The message and the verdict; a fragment for the page's script, else the whole page."""
    values = await forms.form_values(request)
    data, errors = parse_form(values)
    shown: PreviewOut | None = None
    if data is not None:
        try:
            shown = await previews.preview(session, settings, principal, data)
        except Unprocessable as exc:
            errors = forms.errors_of(exc)
    status_code = 200 if shown is not None else 422
    if rendering.wants_fragment(request):
        context = {
            "preview": shown,
            "errors": errors,
            "reason_words": reason_words,
            "fragment": True,
        }
        return rendering.render(
            request, "compose/_preview.html", context, status_code=status_code, principal=principal
        )
    return await _page(
        request,
        session,
        principal,
        values,
        errors=errors,
        preview=shown,
        status_code=status_code,
    )


@router.post("/app/compose/send", dependencies=[CsrfChecked])
async def send(
    request: Request, db: DatabaseDep, settings: SettingsDep, principal: WebPrincipalDep
) -> Response:
    # No request session: the send runs its own short transactions around SMTP, as the API's.
    values = await forms.form_values(request)
    data, errors = parse_form(values)
    failure: str | None = None
    status_code = 422
    if data is not None:
        try:
            await outreach.send(db, settings, principal, data)
        except Unprocessable as exc:
            errors = forms.errors_of(exc)
        except PolicyBlocked as exc:
            failure = f"Not sent: {reason_words(exc.reason)}."
            status_code = 403
        except DeliveryFailed:
            async with db.read() as session:
                attempt = await history.latest_attempt(session, data.lead_id)
            why = attempt.error if attempt is not None and attempt.error else "delivery failed"
            failure = f"Not delivered: {why}. The attempt is in the lead's history."
            status_code = 502
        else:
            return RedirectResponse(lead_url(data.campaign_id, data.lead_id) + "?done=sent", 303)
    async with db.read() as session:
        return await _page(
            request,
            session,
            principal,
            values,
            errors=errors,
            failure=failure,
            status_code=status_code,
        )
