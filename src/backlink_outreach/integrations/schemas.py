"""Request and response bodies of `/api-keys` and `/webhooks` (API.md part 2)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from ..validation import NO_NUL, JsonPattern, Name, ShortText, no_nul

Scope = Literal["read", "write"]
EventType = Literal[
    "send.sent",
    "send.failed",
    "reply.received",
    "bounce.received",
    "unsubscribe",
    "lead.status_changed",
    "link.verified",
    "link.lost",
    "mailbox.paused",
]
WebhookUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(no_nul),
    JsonPattern(NO_NUL),
    Field(json_schema_extra={"format": "uri"}),
]


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=2,
        description='["read"] or ["read", "write"]',
        json_schema_extra={"contains": {"const": "read"}, "uniqueItems": True},
    )
    expires_at: datetime | None = Field(
        default=None, description="After this time the key stops working (UTC when no offset)."
    )

    @field_validator("scopes")
    @classmethod
    def _read_or_read_write(cls, value: list[Scope]) -> list[Scope]:
        if "read" not in value or len(set(value)) != len(value):
            raise ValueError('scopes must be ["read"] or ["read", "write"]')
        return ["read", "write"] if "write" in value else ["read"]

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: datetime | None) -> datetime | None:
        value = _aware(value)
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("expires_at must be in the future")
        return value


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    scopes: list[Scope]
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="Shown only here: store it now.")


def _events(value: list[EventType]) -> list[EventType]:
    return list(dict.fromkeys(value))


Events = Annotated[list[EventType], Field(min_length=1, max_length=20), AfterValidator(_events)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl
    events: Events
    description: ShortText | None = None


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = None
    events: Events | None = None
    description: ShortText | None = None
    status: Literal["enabled", "disabled"] | None = Field(
        default=None, description="`enabled` turns an endpoint disabled after failures back on."
    )


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    workspace_id: str
    url: str
    events: list[str]
    description: str | None
    status: Literal["enabled", "disabled"]
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="`whsec_...`, shown only here: the signing secret.")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    event_id: str
    type: str
    attempt: int
    status_code: int | None
    error: str | None
    at: datetime
    next_retry_at: datetime | None
    delivered: bool
