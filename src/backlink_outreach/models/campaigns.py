from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

LeadStatus = Literal["discovered", "contacted", "replied", "placed", "bounced", "lost"]
LEAD_STATUSES: tuple[LeadStatus, ...] = get_args(LeadStatus)
CampaignStatus = Literal["active", "paused"]
DEFAULT_FOLLOW_UP_DAYS = [4, 9]


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    follow_up_days: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_FOLLOW_UP_DAYS)
    )
    # The mailboxes its sends rotate across; empty: the workspace's own, else mbx_default.
    mailbox_ids: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # Sequences (migration 0008): `paused` starts no message; the window is read in `timezone`
    # (None: Mon-Fri 09:00-17:00); `sequence` None keeps part 1's `follow_up_days`.
    status: Mapped[CampaignStatus] = mapped_column(
        String(20), default="active", server_default=text("'active'")
    )
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default=text("'UTC'"))
    send_window: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sequence: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("campaign_id", "domain"),
        Index("ix_leads_campaign_created", "campaign_id", "created_at", "id"),
        Index("ix_leads_contact_email", "contact_email"),
        Index("ix_leads_workspace_domain", "workspace_id", "domain"),
        Index(
            "ix_leads_campaign_status", "campaign_id", "status", "id"
        ),  # analytics (migration 0003)
        # The lead list's sorts (migration 0008): a page is an index range scan.
        Index("ix_leads_campaign_updated", "campaign_id", "updated_at", "id"),
        Index("ix_leads_campaign_quality", "campaign_id", "quality_score", "id"),
        Index("ix_leads_campaign_relevance", "campaign_id", "relevance_score", "id"),
        Index("ix_leads_campaign_likelihood", "campaign_id", "guest_post_likelihood", "id"),
        Index("ix_leads_campaign_authority", "campaign_id", "authority", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # Denormalised from the campaign so that reply matching and policy need no join.
    workspace_id: Mapped[str] = mapped_column(String(255))
    website_url: Mapped[str] = mapped_column(String(2048))
    domain: Mapped[str] = mapped_column(String(255))
    website_title: Mapped[str | None] = mapped_column(String(500))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    quality_score: Mapped[float | None] = mapped_column(Float)
    relevance_score: Mapped[float | None] = mapped_column(Float)
    guest_post_likelihood: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[LeadStatus] = mapped_column(String(20), default="discovered")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The page of ours the link should point to, and the anchor text we expect (placements).
    target_url: Mapped[str | None] = mapped_column(String(2048))
    anchor_text: Mapped[str | None] = mapped_column(String(500))
    # 0..100, from an SEO tool's DR / DA / Authority Score column (CSV import).
    authority: Mapped[int | None] = mapped_column(Integer)


class LeadCountStripe(Base):
    """A campaign's lead count is the sum of its stripes (see `leads/counts.py`)."""

    __tablename__ = "lead_count_stripes"

    campaign_id: Mapped[str] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    stripe: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    leads: Mapped[int] = mapped_column(Integer)
