from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from ..leads.schemas import LeadOut
from ..models.campaigns import DEFAULT_FOLLOW_UP_DAYS, CampaignStatus
from ..sequences import windows
from ..sequences.schemas import SendWindow, Sequence, SequenceStep, TimeZoneName, check_sequence
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


def _known_zone(value: str | None) -> str | None:
    if value is not None:
        windows.zone(value)
    return value


def _distinct_keywords(value: list[str]) -> list[str]:
    if any("\x00" in k for k in value):
        raise ValueError("must not contain NUL characters")
    return list(dict.fromkeys(value))


def _increasing(value: list[int]) -> list[int]:
    if any(b <= a for a, b in zip(value, value[1:], strict=False)):
        raise ValueError("follow-up days must be strictly increasing")
    return value


class _Scheduling(BaseModel):
    """The fields create and PATCH share for sending on a schedule (see Sequences in API.md)."""

    status: CampaignStatus | None = Field(
        default=None, description="`paused`: no message of the campaign starts sending."
    )
    timezone: TimeZoneName | None = None
    send_window: SendWindow | None = Field(
        default=None, description="Default: Mon-Fri 09:00-17:00 in the campaign's timezone."
    )
    sequence: Sequence | None = Field(
        default=None,
        description="The steps enrolled leads are sent; null: part 1's `follow_up_days`.",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _known_zone(value)

    @field_validator("sequence")
    @classmethod
    def _valid_sequence(cls, value: list[SequenceStep] | None) -> list[SequenceStep] | None:
        return None if value is None else check_sequence(value)


class CampaignCreate(_Scheduling):
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
        return _distinct_keywords(value)

    @field_validator("follow_up_days")
    @classmethod
    def _increasing_days(cls, value: list[int] | None) -> list[int]:
        return list(DEFAULT_FOLLOW_UP_DAYS) if value is None else _increasing(value)


class CampaignUpdate(_Scheduling):
    """`PATCH /campaigns/{id}`: the fields given change, with create's rules. A null
    `description` or `sequence` clears it; any other field given as null stays as it is (as
    for templates)."""

    CLEARABLE: ClassVar[frozenset[str]] = frozenset({"description", "sequence"})

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Description | None = None
    keywords: list[Keyword] | None = Field(default=None, max_length=50)
    follow_up_days: list[FollowUpDay] | None = Field(
        default=None, max_length=5, json_schema_extra={"uniqueItems": True}
    )
    mailbox_ids: list[MailboxRef] | None = Field(default=None, max_length=50)

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _distinct_keywords(value)

    @field_validator("follow_up_days")
    @classmethod
    def _days(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else _increasing(value)

    @field_validator("mailbox_ids")
    @classmethod
    def _mailboxes(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    workspace_id: str
    name: str
    description: str | None
    keywords: list[str]
    follow_up_days: list[int]
    mailbox_ids: list[str]
    status: CampaignStatus
    timezone: str
    send_window: SendWindow
    sequence: list[SequenceStep] | None
    lead_count: int = 0
    created_at: datetime
    updated_at: datetime


class CampaignWithLeads(CampaignOut):
    leads: list[LeadOut]
