from __future__ import annotations

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

from ..validation import (
    LINE,
    NON_BLANK_LINE,
    WORDY_LINE,
    HeaderText,
    JsonPattern,
    LongText,
    no_nul,
    raw_max_length,
    single_line,
)
from .template_schemas import template_patterns

Tone = Literal["professional", "friendly", "casual", "formal"]
DEFAULT_TONE: Tone = "professional"


def _has_words(value: str) -> str:
    if not any(ch.isalnum() for ch in value):
        raise ValueError("must contain at least one letter or digit")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Topic = Annotated[
    HeaderText,
    StringConstraints(max_length=200),
    raw_max_length(200),
    AfterValidator(_has_words),
    JsonPattern(WORDY_LINE),
]
# As HeaderText, but up to 2048 characters (HeaderText stops at 500).
OptionalLine = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2048),
    raw_max_length(2048),
    AfterValidator(no_nul),
    AfterValidator(single_line),
    JsonPattern(LINE),
]
VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
VariableValue = Annotated[HeaderText, StringConstraints(max_length=1000), raw_max_length(1000)]
EmailText = Annotated[
    LongText,
    StringConstraints(max_length=20_000),
    AfterValidator(_not_blank),
]
# `/emails/personalize` renders the pasted email with the built-in placeholders
# (emails/fields.py: template_values); any other `{name}` is a 422.
BUILT_IN_PLACEHOLDERS = (
    "domain",
    "first_name",
    "name",
    "sender_email",
    "sender_name",
    "sender_site",
    "topic",
    "website",
    "website_title",
)
_PASTED_BODY, _PASTED_SUBJECT = template_patterns("(?:" + "|".join(BUILT_IN_PLACEHOLDERS) + ")")
NON_EMPTY: dict[str, JsonValue] = {"type": "string", "minLength": 1}


class GenerateRequest(BaseModel):
    # A `lead_id` needs a `campaign_id`, in the schema's words.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"lead_id": NON_EMPTY}, "required": ["lead_id"]},
            "then": {"properties": {"campaign_id": NON_EMPTY}, "required": ["campaign_id"]},
        }
    )

    topic: Topic
    tone: Tone | None = None
    template_id: str | None = Field(default=None, max_length=100)
    # Beyond the specification: write for one lead (its fields fill the template and steer
    # the wording), and extra template variables.
    campaign_id: str | None = Field(default=None, max_length=100)
    lead_id: str | None = Field(default=None, max_length=100)
    variables: dict[VariableName, VariableValue] = Field(
        default_factory=dict,
        max_length=50,
        # A name that is not an identifier is a 422, not an extra property.
        json_schema_extra={"additionalProperties": False},
    )

    @model_validator(mode="after")
    def _lead_needs_campaign(self) -> GenerateRequest:
        if self.lead_id and not self.campaign_id:
            raise ValueError("lead_id needs campaign_id")
        return self


class PersonalizeRequest(BaseModel):
    base_email: Annotated[EmailText, JsonPattern(_PASTED_BODY)]
    lead_name: (
        Annotated[HeaderText, StringConstraints(max_length=200), raw_max_length(200)] | None
    ) = None
    lead_website: OptionalLine | None = None
    content_topic: (
        Annotated[HeaderText, StringConstraints(max_length=200), raw_max_length(200)] | None
    ) = None
    # Beyond: the subject to keep (else a `Subject:` first line of base_email, else written).
    # Blank is no subject; else rendered as base_email is.
    subject: Annotated[HeaderText, JsonPattern(rf"^\s*$|{_PASTED_SUBJECT}")] | None = None


class SubjectSuggestionsRequest(BaseModel):
    topic: Topic
    tone: Tone | None = None


class FollowUpRequest(BaseModel):
    original_subject: Annotated[HeaderText, AfterValidator(_not_blank), JsonPattern(NON_BLANK_LINE)]
    original_body: Annotated[LongText, StringConstraints(max_length=20_000)]
    tone: Tone | None = None


class EmailOut(BaseModel):
    subject: str
    body: str
    warnings: list[str] = Field(
        default_factory=list, description="Deliverability lint: why the email may land in spam."
    )


class SubjectSuggestionsOut(BaseModel):
    suggestions: list[str]
