from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..domains import InvalidValue, normalize_website_url
from ..models.campaigns import LeadStatus
from ..validation import (
    NO_NUL,
    EmailAddress,
    Flag,
    JsonPattern,
    Label,
    Notes,
    Score,
    ShortText,
    json_integer,
    no_nul,
    raw_max_length,
)


def _or_blank(schema: dict[str, Any]) -> None:
    """A blank value is read as no value (None), whatever its length: say so in the schema."""
    schema["anyOf"].insert(-1, {"type": "string", "pattern": r"^\s*$"})


# A site's authority as SEO tools rate it (Ahrefs DR, Moz DA, Semrush Authority Score): a whole
# number 0..100. Strict as JSON Schema's `integer` (45.0 is 45, "45" is refused); the CSV import
# reads its cells into numbers first.
Authority = Annotated[int, Field(ge=0, le=100), BeforeValidator(json_integer)]
LeadId = Annotated[
    str, StringConstraints(max_length=64), AfterValidator(no_nul), JsonPattern(NO_NUL)
]
MAX_BULK = 10_000


class LeadCreate(BaseModel):
    # Unknown fields are ignored: leads are often pasted from discovery results or CSVs.
    model_config = ConfigDict(extra="ignore")

    # Not `format: uri`: a bare host is accepted too, and a schema must say what the server does.
    website_url: str = Field(
        max_length=2048,
        description="An http(s) URL with a host, or a bare host (`green.example`, "
        "`green.example/write-for-us`), read as `https://`. Any other scheme: 422.",
    )
    website_title: ShortText | None = Field(default=None, json_schema_extra=_or_blank)
    contact_email: Annotated[EmailAddress, Field(json_schema_extra={"format": "email"})] | None = (
        Field(default=None, json_schema_extra=_or_blank)
    )
    # A blank name is no name (None), so the schema allows blank here.
    contact_name: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=200),
            raw_max_length(200),
            AfterValidator(no_nul),
            JsonPattern(NO_NUL),
        ]
        | None
    ) = Field(default=None, json_schema_extra=_or_blank)
    notes: Notes | None = None
    consent: Flag = False
    quality_score: Score | None = None
    relevance_score: Score | None = None
    guest_post_likelihood: Score | None = None
    source: Label | None = Field(default=None, json_schema_extra=_or_blank)
    # Placements: the page of ours the link should point to, and the anchor text expected.
    target_url: str | None = Field(
        default=None,
        max_length=2048,
        description="An http(s) URL with a host, or a bare host read as `https://`: the page "
        "the link should point to.",
    )
    anchor_text: ShortText | None = Field(default=None, json_schema_extra=_or_blank)
    authority: Authority | None = None

    @field_validator(
        "contact_email",
        "contact_name",
        "website_title",
        "source",
        "target_url",
        "anchor_text",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("target_url")
    @classmethod
    def _target_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            url, _domain = normalize_website_url(value)
        except InvalidValue as exc:
            raise ValueError(str(exc)) from None
        return url

    @field_validator("website_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        try:
            url, _domain = normalize_website_url(value)
        except InvalidValue as exc:
            raise ValueError(str(exc)) from None
        return url

    @property
    def domain(self) -> str:
        return normalize_website_url(self.website_url)[1]


# Set by the server (or, for `status`, by `PATCH .../status`, which runs the lifecycle).
NOT_EDITABLE = {
    "id": "a lead's id never changes",
    "campaign_id": "a lead stays in its campaign",
    "domain": "it follows `website_url`",
    "status": "use PATCH /campaigns/{id}/leads/{lead_id}/status",
}


def _no_default(schema: dict[str, Any]) -> None:
    """An omitted field is left as it is: the schema must not promise a default."""
    schema.pop("default", None)


class LeadUpdate(LeadCreate):
    """`PATCH /campaigns/{id}/leads/{lead_id}`: any field of `LeadCreate`, validated the same
    way (it inherits every field and validator, so a field added there is editable here);
    only the fields sent change. Unknown fields are refused, unlike on create: a misspelt
    field in an edit would otherwise be a silent no-op."""

    model_config = ConfigDict(extra="forbid")

    # Optional here, never null (a lead always has a website). The default is never stored:
    # the service applies only the fields that were sent.
    website_url: str = Field(
        default="",
        max_length=2048,
        description="An http(s) URL with a host, or a bare host (`green.example`), read as "
        "`https://`; a new one re-derives `domain` (409 when another lead of the campaign has "
        "it).",
        json_schema_extra=_no_default,
    )

    @model_validator(mode="before")
    @classmethod
    def _editable(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for name, why in NOT_EDITABLE.items():
                if name in value:
                    raise PydanticCustomError(
                        "not_editable",
                        "{field} cannot be changed: {why}",
                        {"field": name, "why": why},
                    )
        return value


class LeadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str
    website_url: str
    domain: str
    website_title: str | None
    contact_email: str | None
    contact_name: str | None
    notes: str | None
    consent: bool
    quality_score: float | None
    relevance_score: float | None
    guest_post_likelihood: float | None
    source: str | None
    status: LeadStatus
    created_at: datetime
    updated_at: datetime
    target_url: str | None
    anchor_text: str | None
    authority: int | None


class LeadRow(msgspec.Struct):
    """`LeadOut` for the fast campaign read (`responses.json_response`): built from a lead row's
    values as they are (`LeadRow(*row)`, no validation: they come from our own database), in
    `LeadOut`'s field order. A test holds the two field lists equal."""

    id: str
    campaign_id: str
    website_url: str
    domain: str
    website_title: str | None
    contact_email: str | None
    contact_name: str | None
    notes: str | None
    consent: bool
    quality_score: float | None
    relevance_score: float | None
    guest_post_likelihood: float | None
    source: str | None
    status: LeadStatus
    created_at: datetime
    updated_at: datetime
    target_url: str | None
    anchor_text: str | None
    authority: int | None


class BulkAddResult(BaseModel):
    added: int
    skipped: int
    failed: list[str]


class StatusUpdate(BaseModel):
    status: LeadStatus


class BulkStatusUpdate(BaseModel):
    lead_ids: list[LeadId] = Field(max_length=MAX_BULK)
    status: LeadStatus


class BulkStatusResult(BaseModel):
    updated: int
    failed: list[str]
