from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
    campaign_id: str
    lead_id: str
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
