"""Discovery jobs, the API's side: queue one, read one, list a workspace's (API.md part 2,
"Discovery jobs"). The worker's side is `job_runner.py`.

A job is checked as `/discover/deep` checks its request before any work: a search provider
must be configured (422) and the campaign must be the caller's (404). It then lives in the
campaign's workspace, or the caller's current one without a campaign; another workspace's
job is 404.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..campaigns.service import get_campaign
from ..config import Settings
from ..db import utcnow
from ..errors import NotFound
from ..ids import new_id
from ..models import DiscoveryJob, DiscoveryJobStatus
from ..tenancy import in_workspaces, lookup_params
from .schemas import DiscoveryJobAccepted, DiscoveryJobOut, DiscoveryJobRequest
from .search import select_provider

NO_PROGRESS = {
    "queries_done": 0,
    "queries_total": 0,
    "sites_found": 0,
    "pages_fetched": 0,
    "sites_scored": 0,
}
OLDEST_FIRST = pages.Keyset("created_at", DiscoveryJob.created_at, DiscoveryJob.id)
NEWEST_FIRST = pages.Keyset("created_at", DiscoveryJob.created_at, DiscoveryJob.id, descending=True)
_ONE = select(DiscoveryJob).where(
    DiscoveryJob.id == bindparam("id"), in_workspaces(DiscoveryJob.workspace_id)
)


async def queue_job(
    session: AsyncSession, principal: Principal, settings: Settings, data: DiscoveryJobRequest
) -> DiscoveryJobAccepted:
    select_provider(settings)  # 422 now, not a failed job later, when nothing is configured
    workspace = principal.workspace_id
    if data.campaign_id:
        campaign = await get_campaign(session, principal, data.campaign_id)
        workspace = campaign.workspace_id
    now = utcnow()
    job = DiscoveryJob(
        id=new_id("djob"),
        workspace_id=workspace,
        user_id=principal.user_id,
        keyword=data.keyword,
        campaign_id=data.campaign_id,
        max_results=data.max_results,
        min_score=data.min_score,
        save_to_campaign=data.save_to_campaign,
        status="queued",
        progress=dict(NO_PROGRESS),
        results=[],
        saved_to_campaign=0,
        already_in_campaign=0,
        save_failed=0,
        attempts=0,
        next_run_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    await session.flush()
    return DiscoveryJobAccepted(id=job.id, status="queued")


def to_out(job: DiscoveryJob) -> DiscoveryJobOut:
    return DiscoveryJobOut.model_validate(
        {
            "id": job.id,
            "keyword": job.keyword,
            "status": job.status,
            "progress": {**NO_PROGRESS, **(job.progress or {})},
            "results": job.results or [],
            "saved_to_campaign": job.saved_to_campaign,
            "already_in_campaign": job.already_in_campaign,
            "save_failed": job.save_failed,
            "error": job.error,
            "created_at": job.created_at,
            "finished_at": job.finished_at,
            "campaign_id": job.campaign_id,
            "max_results": job.max_results,
            "min_score": job.min_score,
            "save_to_campaign": job.save_to_campaign,
            "started_at": job.started_at,
        }
    )


async def get_job(session: AsyncSession, principal: Principal, job_id: str) -> DiscoveryJobOut:
    job = (await session.execute(_ONE, lookup_params(principal, id=job_id))).scalar_one_or_none()
    if job is None:
        raise NotFound()
    return to_out(job)


def _listed(
    workspace: str, status: DiscoveryJobStatus | None, campaign_id: str | None
) -> Select[Any]:
    statement = select(DiscoveryJob).where(DiscoveryJob.workspace_id == workspace)
    if status is not None:
        statement = statement.where(DiscoveryJob.status == status)
    if campaign_id is not None:
        statement = statement.where(DiscoveryJob.campaign_id == campaign_id)
    return statement


async def list_jobs(
    session: AsyncSession,
    principal: Principal,
    page: pages.Page,
    order: pages.Keyset,
    *,
    workspace_id: str | None = None,
    status: DiscoveryJobStatus | None = None,
    campaign_id: str | None = None,
) -> list[DiscoveryJob]:
    """One page of the workspace's jobs in `order`, with the row past the limit that
    `pages.finish` looks for. Another workspace: 404."""
    workspace = principal.require_workspace(workspace_id)
    statement = order.apply(_listed(workspace, status, campaign_id), page)
    return list(await session.scalars(statement))
