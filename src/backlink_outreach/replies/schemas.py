from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..models.replies import ReplyClassification


class PollRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    campaign_id: str | None = Field(default=None, max_length=40)


class PollResult(BaseModel):
    replies_found: int
    failed: int


class ReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str | None = Field(description="Null for unmatched mail.")
    lead_id: str | None = Field(description="Null for unmatched mail.")
    attempt_id: str | None
    from_email: str
    subject: str
    snippet: str
    received_at: datetime
    classification: ReplyClassification
    confidence: float
    reasons: list[str]
    bounce_type: Literal["hard", "soft"] | None = None
    bounce_status: str | None = None
    return_date: date | None = Field(
        default=None, description="Out-of-office: the return date the message states."
    )
    unmatched: bool = Field(
        default=False,
        description="Mail in one of the workspace's own mailboxes that answers none of our "
        "messages (no lead, no campaign); `PATCH {lead_id}` files it under a lead.",
    )


class ReplyListRow(msgspec.Struct):
    """`ReplyOut` for the inbox's fast read (`responses.json_response`): built from a row's
    values as they are (`ReplyListRow(*row)`: they come from our own database), in `ReplyOut`'s
    field order. A test holds the two field lists equal."""

    id: str
    campaign_id: str | None
    lead_id: str | None
    attempt_id: str | None
    from_email: str
    subject: str
    snippet: str
    received_at: datetime
    classification: str
    confidence: float
    reasons: list[str]
    # Defaults as `ReplyOut`'s (always given here: rows are built whole).
    bounce_type: str | None = None
    bounce_status: str | None = None
    return_date: date | None = None
    unmatched: bool = False


class Correction(BaseModel):
    from_: ReplyClassification = Field(alias="from", serialization_alias="from")
    to: ReplyClassification
    by: str = Field(description="The user id of who corrected it.")
    at: datetime

    model_config = ConfigDict(populate_by_name=True)


class ReplyDetail(ReplyOut):
    text: str = Field(description="The new text of the message, quotes removed.")
    body: str = Field(description="The whole plain text.")
    headers: dict[str, str] = Field(description="From, To, Subject, Date, Message-ID.")
    referral_email: str | None = Field(
        description="For a `wrong_person` reply, the address it points to; else null."
    )
    corrections: list[Correction]


class ReplyUpdate(BaseModel):
    """Exactly one of the two: re-file under another class, or file unmatched mail."""

    model_config = ConfigDict(extra="forbid")

    classification: ReplyClassification | None = None
    lead_id: str | None = Field(default=None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _one_change(self) -> ReplyUpdate:
        if (self.classification is None) == (self.lead_id is None):
            raise ValueError("give exactly one of classification or lead_id")
        return self
