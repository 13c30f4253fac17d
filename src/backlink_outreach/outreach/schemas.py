from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ..validation import NO_NUL, JsonPattern, LongText

NoNul = JsonPattern(NO_NUL)


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text: reject it here (422) rather than fail in the query (500).
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Id = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_no_nul), NoNul]
SubjectText = Annotated[
    str, StringConstraints(min_length=1, max_length=998), AfterValidator(_no_nul), NoNul
]
Text320 = Annotated[str, StringConstraints(max_length=320), AfterValidator(_no_nul), NoNul]


class SendRequest(BaseModel):
    campaign_id: Id
    lead_id: Id
    subject: SubjectText = Field(description="Subject line; `{placeholders}` are rendered.")
    body: LongText = Field(min_length=1, description="Plain-text body; `{placeholders}` too.")
    workspace_id: Annotated[str, AfterValidator(_no_nul), NoNul] | None = Field(
        default=None,
        max_length=255,
        description='Accepted when absent, "default", or the campaign\'s own workspace.',
    )
    # beyond (part 2)
    mailbox_id: Id | None = Field(
        default=None,
        description="The mailbox to send from (`mbx_default`: the deployment's own); without "
        "it the campaign's mailboxes are rotated, the one with the most room today first.",
    )


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str
    lead_id: str
    kind: Literal["initial", "follow_up"]
    step: int
    sender_email: str
    recipient_email: str
    subject: str
    body: str
    message_id: str
    status: Literal["sending", "sent", "failed"]
    legal_basis: str | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    # beyond
    in_reply_to: str | None = None
    smtp_code: int | None = None
    permanent_failure: bool = False
    mailbox_id: str | None = None
    delivery: Literal["smtp", "outbox"] | None = None


class FollowUpOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str
    lead_id: str
    attempt_id: str
    step: int
    scheduled_for: datetime
    subject: str
    body: str
    status: Literal["scheduled", "sent", "cancelled", "failed"]
    reason: str | None
    sent_attempt_id: str | None


class PolicyRequest(BaseModel):
    recipient_email: Text320
    # Syntax only (self-hosters use `.local` or internal names); an invalid one is a 422.
    sender_email: Text320 = Field(json_schema_extra={"format": "email"})
    subject: (
        Annotated[str, StringConstraints(max_length=998), AfterValidator(_no_nul), NoNul] | None
    ) = None


class PolicyCounts(BaseModel):
    sender_day: int
    recipient_domain_day: int
    workspace_day: int


class PolicyResult(BaseModel):
    allowed: bool
    reason: str | None
    legal_basis: Literal["legitimate_interest", "consent"] | None
    counts: PolicyCounts
    limits: PolicyCounts
