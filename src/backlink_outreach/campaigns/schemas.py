from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from ..leads.schemas import LeadOut
from ..models.campaigns import DEFAULT_FOLLOW_UP_DAYS
from ..validation import (
    NON_BLANK,
    Description,
    JsonPattern,
    Name,
    json_integer,
    raw_max_length,
)

Keyword = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    raw_max_length(100),
    JsonPattern(NON_BLANK),
]
MailboxRef = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z]+_[A-Za-z0-9]+$"),
]
FollowUpDay = Annotated[int, Field(ge=1, le=90), BeforeValidator(json_integer)]


class CampaignCreate(BaseModel):
    name: Name
    description: Description | None = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=50)
    follow_up_days: list[FollowUpDay] | None = Field(
        default=None,
        max_length=5,
        validate_default=True,
        # JSON Schema cannot say "increasing"; `uniqueItems` is the part of it that it can.
        json_schema_extra={"uniqueItems": True},
        description="Days after the initial send for each follow-up: strictly increasing "
        "(each greater than the one before it; JSON Schema cannot state this, the server "
        "answers 422), 1..90, at most 5. Default [4, 9]; [] turns follow-ups off.",
    )

    mailbox_ids: list[MailboxRef] = Field(
        default_factory=list,
        max_length=50,
        description="Mailboxes its sends rotate across (`mbx_default` included when named); "
        "empty: the workspace's own mailboxes, or mbx_default when it has none.",
    )

    @field_validator("mailbox_ids")
    @classmethod
    def _distinct_mailboxes(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("keywords")
    @classmethod
    def _no_nul_keywords(cls, value: list[str]) -> list[str]:
        if any("\x00" in k for k in value):
            raise ValueError("must not contain NUL characters")
        return list(dict.fromkeys(value))

    @field_validator("follow_up_days")
    @classmethod
    def _increasing_days(cls, value: list[int] | None) -> list[int]:
        if value is None:
            return list(DEFAULT_FOLLOW_UP_DAYS)
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("follow-up days must be strictly increasing")
        return value


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    workspace_id: str
    name: str
    description: str | None
    keywords: list[str]
    follow_up_days: list[int]
    lead_count: int = 0
    created_at: datetime
    updated_at: datetime


class CampaignWithLeads(CampaignOut):
    leads: list[LeadOut]
