from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..domains import InvalidValue, normalize_website_url
from ..models.placements import PlacementStatus
from ..validation import ShortText


def http_url(value: str) -> str:
    """An http(s) URL with a host (the lead's `website_url` rule), as a validator."""
    try:
        url, _domain = normalize_website_url(value)
    except InvalidValue as exc:
        raise ValueError(str(exc)) from None
    return url


URL_FIELD: dict[str, Any] = {
    "max_length": 2048,
    "json_schema_extra": {"format": "uri"},
    "description": "An http(s) URL with a host.",
}


class PlacementCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    placement_url: str = Field(**URL_FIELD)
    target_url: str | None = Field(
        default=None,
        max_length=2048,
        json_schema_extra={"format": "uri"},
        description="The page of ours the link should point to; default: the lead's.",
    )
    anchor_text: ShortText | None = Field(
        default=None, description="The anchor text expected; default: the lead's."
    )

    @field_validator("placement_url")
    @classmethod
    def _placement_url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("target_url")
    @classmethod
    def _target_url(cls, value: str | None) -> str | None:
        return None if value is None else http_url(value)

    @field_validator("anchor_text", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class LinkOut(BaseModel):
    href: str
    anchor_text: str
    rel: list[str] = Field(description="`nofollow`, `sponsored`, `ugc` as found on the link.")
    in_content: bool = Field(
        description="False inside nav, header, footer, aside, or a sidebar or comment block."
    )
    anchor_matches: bool | None = Field(
        description="*Beyond*: the anchor equals the expected one (case and spacing ignored); "
        "null when none is expected."
    )


class CheckOut(BaseModel):
    at: datetime
    status: PlacementStatus
    http_status: int | None


class PlacementOut(BaseModel):
    id: str
    lead_id: str
    campaign_id: str
    placement_url: str
    target_url: str
    status: PlacementStatus
    checked_at: datetime | None
    next_check_at: datetime
    http_status: int | None
    final_url: str | None
    link: LinkOut | None = Field(description="The link found by the last check that read the page.")
    noindex: bool | None
    robots_blocked: bool
    canonical_url: str | None
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    consecutive_misses: int
    history: list[CheckOut] = Field(description="The last 20 checks, oldest first.")
    # Beyond API.md.
    expected_anchor_text: str | None
    error: str | None = Field(
        description="Why the last check could not read the page (`timeout`, `status:503`, "
        "`robots`, `blocked`, `page_too_large`, ...); null when it could."
    )
    lost_at: datetime | None
    created_at: datetime
    updated_at: datetime
