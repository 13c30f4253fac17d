"""Discovery jobs: a deep discovery queued by the API and run by a worker (issue 19)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

DiscoveryJobStatus = Literal["queued", "running", "done", "failed"]
DISCOVERY_JOB_STATUSES: tuple[DiscoveryJobStatus, ...] = get_args(DiscoveryJobStatus)


class DiscoveryJob(Base):
    """The job is its own queue row. `next_run_at` is when a worker may take it: its creation
    time while queued; while running, the end of its worker's lease (renewed with every
    progress write), so a job whose worker died is due again once the lease runs out; NULL
    once done or failed. `lease_owner` names the worker that holds it: only that worker's
    writes land. `campaign_id` is no foreign key: a job outlives its campaign's deletion (its
    results are still the caller's), and saving then fails in words."""

    __tablename__ = "discovery_jobs"
    __table_args__ = (
        Index("ix_discovery_jobs_due", "next_run_at"),
        Index("ix_discovery_jobs_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    keyword: Mapped[str] = mapped_column(String(200))
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    max_results: Mapped[int] = mapped_column(Integer)
    min_score: Mapped[float] = mapped_column(Float, default=0.0)
    save_to_campaign: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[DiscoveryJobStatus] = mapped_column(String(20), default="queued")
    # {queries_done, queries_total, sites_found, pages_fetched, sites_scored}
    progress: Mapped[dict[str, int]] = mapped_column(JSON)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    saved_to_campaign: Mapped[int] = mapped_column(Integer, default=0)
    already_in_campaign: Mapped[int] = mapped_column(Integer, default=0)
    save_failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
