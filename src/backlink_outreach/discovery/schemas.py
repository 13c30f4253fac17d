from __future__ import annotations

from typing import Annotated

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
    website_title: str | None
    contact_email: str | None
    contact_page: str | None
    quality_score: Score
    relevance_score: Score
    guest_post_likelihood: Score
    signals: list[str] = Field(description="Why the site scored as it did.")


class DeepDiscoveryResponse(BaseModel):
    results: list[DiscoveryResult]
    saved_to_campaign: int
    save_failed: int
