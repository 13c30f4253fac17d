"""Placements: the page where a lead published our link, and what its checks found (issue 17)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

PlacementStatus = Literal["live", "missing", "lost", "unknown"]
PLACEMENT_STATUSES: tuple[PlacementStatus, ...] = get_args(PlacementStatus)
HISTORY_KEPT = 20


class Placement(Base):
    """One per lead. `next_check_at` is the re-check duty's due time (a claim moves it forward
    by a lease, so a crashed worker's claim is taken again later). The link found by the last
    readable check is kept flat (`link_*`), with `link_nofollow` precomputed for analytics."""

    __tablename__ = "placements"
    __table_args__ = (
        Index("ix_placements_due", "next_check_at"),
        Index("ix_placements_campaign_created", "campaign_id", "created_at", "id"),
        Index("ix_placements_campaign_status", "campaign_id", "status", "link_nofollow"),
        Index("ix_placements_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    placement_url: Mapped[str] = mapped_column(String(2048))
    target_url: Mapped[str] = mapped_column(String(2048))
    expected_anchor_text: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[PlacementStatus] = mapped_column(String(20), default="unknown")
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime)
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(String(2048))
    # Why the last check could not read the page (`timeout`, `status:503`, `robots`, ...).
    error: Mapped[str | None] = mapped_column(String(100))
    link_href: Mapped[str | None] = mapped_column(String(2048))
    link_anchor_text: Mapped[str | None] = mapped_column(String(500))
    link_rel: Mapped[list[str] | None] = mapped_column(JSON)
    link_in_content: Mapped[bool | None] = mapped_column(Boolean)
    link_anchor_matches: Mapped[bool | None] = mapped_column(Boolean)
    link_nofollow: Mapped[bool] = mapped_column(Boolean, default=False)
    noindex: Mapped[bool | None] = mapped_column(Boolean)
    robots_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    canonical_url: Mapped[str | None] = mapped_column(String(2048))
    first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_misses: Mapped[int] = mapped_column(Integer, default=0)
    # The last HISTORY_KEPT checks, oldest first: [{at, status, http_status}].
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
