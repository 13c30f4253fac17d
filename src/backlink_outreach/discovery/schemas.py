from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    model_validator,
)

from ..validation import WORDY, Flag, Integer, JsonPattern, Score, raw_max_length


def _has_word(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if not any(ch.isalnum() for ch in value):
        raise ValueError("must contain at least one word")
    return value


Keyword = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    raw_max_length(200),
    AfterValidator(_has_word),
    JsonPattern(WORDY),
]
NON_EMPTY: dict[str, JsonValue] = {"type": "string", "minLength": 1}


class DeepDiscoveryRequest(BaseModel):
    # `save_to_campaign: true` needs a `campaign_id`, in the schema's words.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {
                "properties": {"save_to_campaign": {"const": True}},
                "required": ["save_to_campaign"],
            },
            "then": {"properties": {"campaign_id": NON_EMPTY}, "required": ["campaign_id"]},
        }
    )

    keyword: Keyword
    campaign_id: str | None = Field(default=None, max_length=64)
    max_results: Integer = Field(default=20, ge=1, le=100)
    save_to_campaign: Flag = False

    @model_validator(mode="after")
    def _save_needs_campaign(self) -> DeepDiscoveryRequest:
        if self.save_to_campaign and not self.campaign_id:
            raise ValueError("save_to_campaign needs a campaign_id")
        return self


class DiscoveryResult(BaseModel):
    website_url: str
    domain: str
    website_title: str | None = Field(
        description="The site's name: its home page's og:site_name, else its home page title "
        "without separators such as ' | Home'. Text from the site: escape it before showing it."
    )
    guest_post_page: str | None = Field(
        description="The page that invites guest posts, when one was found."
    )
    contact_email: str | None
    contact_page: str | None
    quality_score: Score
    relevance_score: Score
    guest_post_likelihood: Score
    score: Score = Field(description="The ranking score: results are sorted by it, best first.")
    signals: list[str] = Field(description="Why the site scored as it did.")


class DeepDiscoveryResponse(BaseModel):
    results: list[DiscoveryResult]
    saved_to_campaign: int
    save_failed: int


class DiscoveryJobRequest(DeepDiscoveryRequest):
    min_score: Score = Field(
        default=0.0, description="Results whose `score` is below it are neither returned nor saved."
    )


JobStatus = Literal["queued", "running", "done", "failed"]


class DiscoveryJobAccepted(BaseModel):
    id: str
    status: JobStatus


class DiscoveryJobProgress(BaseModel):
    queries_done: int
    queries_total: int
    sites_found: int
    pages_fetched: int
    sites_scored: int


class DiscoveryJobOut(BaseModel):
    id: str
    keyword: str
    status: JobStatus
    progress: DiscoveryJobProgress
    results: list[DiscoveryResult]
    saved_to_campaign: int
    already_in_campaign: int
    save_failed: int
    error: str | None = Field(description="Why the job failed, in words.")
    created_at: datetime
    finished_at: datetime | None
    campaign_id: str | None
    max_results: int
    min_score: float
    save_to_campaign: bool
    started_at: datetime | None
