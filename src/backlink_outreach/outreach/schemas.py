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
    field_validator,
)

from ..emails import fields
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


# `variables` adds placeholders of the caller's own; the built-in ones (`fields.PLACEHOLDERS`)
# are facts about the lead and the sending mailbox, which a request may not restate.
VARIABLE_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
VariableName = Annotated[str, StringConstraints(max_length=64, pattern=VARIABLE_NAME)]
VariableValue = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_no_nul), NoNul]
MAX_VARIABLES = 50
BUILT_IN_NAMES = frozenset(p.name for p in fields.PLACEHOLDERS)
BUILT_IN_ENUM: list[JsonValue] = [name for name in sorted(BUILT_IN_NAMES)]


class SendRequest(BaseModel):
    # The rules below in JSON Schema too (OpenAPI clients and the fuzz test read them): the
    # texts or a template, and no built-in name among `variables`.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["subject", "body"], "properties": {
                    "subject": {"type": "string"}, "body": {"type": "string"}}},
                {"required": ["template_id"], "properties": {"template_id": {"type": "string"}}},
            ]
        }
    )  # fmt: skip

    campaign_id: Id
    lead_id: Id
    # Required unless `template_id` gives them (the service answers 422 `missing`, as for
    # any required field: a model validator could only point at the whole body).
    subject: SubjectText | None = Field(
        default=None,
        description="Subject line; `{placeholders}` are rendered. Required without "
        "`template_id`; with it, replaces the template's subject.",
    )
    body: Annotated[LongText, StringConstraints(min_length=1)] | None = Field(
        default=None,
        description="Plain-text body; `{placeholders}` too. Required without `template_id`; "
        "with it, replaces the template's body.",
    )
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
    template_id: Id | None = Field(
        default=None,
        description="A stored template (`tpl_...`): subject and body come from it when absent.",
    )
    variables: dict[VariableName, VariableValue] = Field(
        default_factory=dict,
        max_length=MAX_VARIABLES,
        description='Extra placeholder values, inserted verbatim: `{"offer": "a free '
        "audit\"}` fills `{offer}`. A built-in placeholder's name is 422.",
        json_schema_extra={
            "propertyNames": {
                "maxLength": 64,
                "pattern": VARIABLE_NAME,
                "not": {"enum": BUILT_IN_ENUM},
            }
        },
    )

    @field_validator("variables")
    @classmethod
    def _not_built_in(cls, value: dict[str, str]) -> dict[str, str]:
        clash = sorted(set(value) & BUILT_IN_NAMES)
        if clash:
            names = ", ".join("{" + name + "}" for name in clash)
            raise ValueError(f"built-in placeholders cannot be redefined: {names}")
        return value


class PreviewPolicy(BaseModel):
    allowed: bool
    reason: str | None
    legal_basis: Literal["legitimate_interest", "consent"] | None = None  # beyond


class PreviewOut(BaseModel):
    """The message a send of the same request would deliver now, and whether policy lets it."""

    subject: str
    text: str = Field(description="The plain-text part, signature and footer included.")
    html: str | None = Field(description="The HTML part; null when the message has none.")
    headers: dict[str, str] = Field(description="The top-level headers, decoded.")
    raw: str = Field(description="The MIME message as it goes on the wire, without DKIM.")
    policy: PreviewPolicy
    mailbox_id: str = Field(description="The mailbox the send would go from.")  # beyond


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
