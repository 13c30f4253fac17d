from __future__ import annotations

from pydantic import BaseModel, Field


class Rates(BaseModel):
    reply_rate: float = Field(ge=0, le=1)
    positive_reply_rate: float = Field(ge=0, le=1)
    placement_rate: float = Field(ge=0, le=1)
    bounce_rate: float = Field(ge=0, le=1)


class DayCount(BaseModel):
    date: str = Field(description="A UTC day, YYYY-MM-DD.")
    count: int = Field(description="Attempts sent (status `sent`) on that UTC day, by sent_at.")


class CampaignAnalytics(BaseModel):
    campaign_id: str
    days: int
    leads_by_status: dict[str, int] = Field(description="All six statuses, zeros included.")
    replies_by_classification: dict[str, int] = Field(
        description="Every classification of the API, zeros included."
    )
    rates: Rates
    daily_send_volume: list[DayCount] = Field(description="One entry per UTC day, oldest first.")
    live_links: int = Field(description="Placements whose link is live.")
    lost_links: int = Field(description="Placements whose link was live and is lost.")
    nofollow_links: int = Field(description="Live links with rel nofollow, sponsored or ugc.")


class Snapshot(BaseModel):
    campaigns: int
    leads: int
    sent: int = Field(description="Attempts with status `sent`.")
    replies: int = Field(description="Replies of every classification.")
    placed: int = Field(description="Leads whose status is `placed`.")
    rates: Rates
    leads_by_status: dict[str, int]
    live_links: int = Field(description="Placements whose link is live.")
    lost_links: int = Field(description="Placements whose link was live and is lost.")
    nofollow_links: int = Field(description="Live links with rel nofollow, sponsored or ugc.")
