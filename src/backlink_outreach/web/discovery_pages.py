"""Discovery: a keyword becomes a discovery job (the worker searches and crawls), its
progress is shown live, and the results, with the signals behind their score, are picked and
saved to a campaign. Titles and addresses come from crawled sites: they are escaped like any
text, and only http(s) addresses become links."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..campaigns.service import get_campaign, list_campaigns
from ..deps import SessionDep, SettingsDep
from ..discovery import jobs
from ..discovery.schemas import DiscoveryJobOut, DiscoveryJobRequest
from ..errors import Unprocessable
from ..leads import service as leads
from . import forms, rendering
from .csrf import CsrfChecked
from .routing import web_router
from .signin import WebPrincipalDep

router = web_router()

RECENT_JOBS = 20
POLL_MS = 1000
FINISHED = ("done", "failed")
DEFAULTS = {"max_results": "20", "min_score": "0"}
SAVE_COUNTS = ("saved", "skipped", "failed", "campaign")


async def _campaigns(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    campaigns = await list_campaigns(await session.connection(), principal, None)
    campaigns.reverse()  # newest first, as the campaign list shows them
    return campaigns


async def _index(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    page = pages.Page(RECENT_JOBS, None)
    recent = await jobs.list_jobs(session, principal, page, jobs.NEWEST_FIRST)
    context = {
        "values": values,
        "errors": errors,
        "campaigns": await _campaigns(session, principal),
        "jobs": [jobs.to_out(job) for job in recent[:RECENT_JOBS]],
    }
    return rendering.render(
        request, "discovery/index.html", context, status_code=status_code, principal=principal
    )


@router.get("/app/discovery")
async def discovery(
    request: Request,
    session: SessionDep,
    principal: WebPrincipalDep,
    campaign: str = Query(default="", max_length=64, pattern=r"^[^\x00]*$"),
) -> Response:
    return await _index(request, session, principal, {**DEFAULTS, "campaign_id": campaign}, {})


def _number(text: str, kind: type, name: str, errors: dict[str, str]) -> Any:
    try:
        return kind(text)
    except ValueError:
        errors[name] = "Enter a number." if kind is float else "Enter a whole number."
        return None


@router.post("/app/discovery", dependencies=[CsrfChecked])
async def queue_job(
    request: Request, session: SessionDep, settings: SettingsDep, principal: WebPrincipalDep
) -> Response:
    values = await forms.form_values(request)
    errors: dict[str, str] = {}
    body: dict[str, Any] = {
        "keyword": values.get("keyword", ""),
        "campaign_id": values.get("campaign_id") or None,
        "save_to_campaign": values.get("save_to_campaign") == "on",
    }
    if values.get("max_results"):
        body["max_results"] = _number(values["max_results"], int, "max_results", errors)
    if values.get("min_score"):
        body["min_score"] = _number(values["min_score"], float, "min_score", errors)
    data = None
    if not errors:
        data, errors = forms.parse(DiscoveryJobRequest, body)
        if forms.FORM_ERROR in errors and body["save_to_campaign"] and not body["campaign_id"]:
            errors["campaign_id"] = "Choose the campaign to save the results to."
            del errors[forms.FORM_ERROR]
    if data is not None:
        try:
            queued = await jobs.queue_job(session, principal, settings, data)
        except Unprocessable as exc:
            errors = forms.errors_of(exc)
        else:
            return RedirectResponse(f"/app/discovery/jobs/{queued.id}", status_code=303)
    return await _index(request, session, principal, values, errors, status_code=422)


async def _job_context(
    session: AsyncSession, principal: Principal, job: DiscoveryJobOut, query: dict[str, str]
) -> dict[str, Any]:
    progress = job.progress
    return {
        "job": job,
        "finished": job.status in FINISHED,
        "poll_url": f"/app/discovery/jobs/{job.id}/progress",
        "poll_ms": POLL_MS,
        "percent": round(100 * progress.queries_done / progress.queries_total)
        if progress.queries_total
        else 0,
        "campaigns": await _campaigns(session, principal) if job.status == "done" else [],
        "saved": query,
    }


def _saved_words(query: dict[str, str]) -> str | None:
    if "saved" not in query:
        return None
    words = f"{query['saved']} saved to the campaign"
    if query.get("skipped", "0") != "0":
        words += f", {query['skipped']} already there"
    if query.get("failed", "0") != "0":
        words += f", {query['failed']} could not be saved"
    return words + "."


@router.get("/app/discovery/jobs/{job_id}")
async def job_page(
    job_id: str, request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    job = await jobs.get_job(session, principal, job_id)
    query = {k: v[:64] for k, v in request.query_params.items() if k in SAVE_COUNTS}
    context = await _job_context(session, principal, job, query)
    context["notice"] = _saved_words(query)
    return rendering.render(request, "discovery/job.html", context, principal=principal)


@router.get("/app/discovery/jobs/{job_id}/progress")
async def job_progress(
    job_id: str, request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    """The fragment the job page polls: progress while it runs, the results once done
    (`X-Poll-Done: 1` then stops the polling)."""
    job = await jobs.get_job(session, principal, job_id)
    context = await _job_context(session, principal, job, {})
    response = rendering.render(request, "discovery/job_body.html", context, principal=principal)
    if context["finished"]:
        response.headers["X-Poll-Done"] = "1"
    return response


def _lead_entry(result: Any, keyword: str) -> dict[str, Any]:
    """A picked result as a lead, with the signals that ranked it kept in its notes."""
    notes = f'Found by discovery for "{keyword}".'
    if result.guest_post_page:
        notes += f" Guest post page: {result.guest_post_page}."
    if result.contact_page:
        notes += f" Contact page: {result.contact_page}."
    notes += " Signals: " + "; ".join(result.signals)
    return {
        "website_url": result.website_url,
        "website_title": result.website_title,
        "contact_email": result.contact_email,
        "quality_score": result.quality_score,
        "relevance_score": result.relevance_score,
        "guest_post_likelihood": result.guest_post_likelihood,
        "source": "discovery",
        "notes": notes[:5000],
    }


@router.post("/app/discovery/jobs/{job_id}/save", dependencies=[CsrfChecked])
async def save_picked(
    job_id: str, request: Request, session: SessionDep, principal: WebPrincipalDep
) -> Response:
    job = await jobs.get_job(session, principal, job_id)
    values = await forms.form_values(request)
    picked = set(await forms.form_lists(request, "pick"))
    campaign_id = values.get("campaign_id", "")
    if not campaign_id:
        raise Unprocessable("Choose the campaign to save the picked sites to.", "value_error", [])
    campaign = await get_campaign(session, principal, campaign_id)  # another's: 404
    chosen = [r for r in job.results if r.domain in picked]
    if not chosen:
        raise Unprocessable("Pick at least one site to save.", "value_error", [])
    outcome = await leads.bulk_add(session, campaign, [_lead_entry(r, job.keyword) for r in chosen])
    counts = {
        "saved": outcome.added,
        "skipped": outcome.skipped,
        "failed": len(outcome.failed),
        "campaign": campaign.id,
    }
    return RedirectResponse(
        f"/app/discovery/jobs/{job.id}?{urlencode(counts)}#results", status_code=303
    )
