from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from ..validation import HeaderText, LongText

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


Topic = Annotated[HeaderText, StringConstraints(max_length=200), AfterValidator(_has_words)]
OptionalLine = Annotated[HeaderText, StringConstraints(max_length=2048)]
VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
VariableValue = Annotated[HeaderText, StringConstraints(max_length=1000)]
EmailText = Annotated[LongText, StringConstraints(max_length=20_000), AfterValidator(_not_blank)]


class GenerateRequest(BaseModel):
    topic: Topic
    tone: Tone | None = None
    template_id: str | None = Field(default=None, max_length=100)
    # Beyond the specification: write for one lead (its fields fill the template and steer
    # the wording), and extra template variables.
    campaign_id: str | None = Field(default=None, max_length=100)
    lead_id: str | None = Field(default=None, max_length=100)
    variables: dict[VariableName, VariableValue] = Field(default_factory=dict, max_length=50)

    @model_validator(mode="after")
    def _lead_needs_campaign(self) -> GenerateRequest:
        if self.lead_id and not self.campaign_id:
            raise ValueError("lead_id needs campaign_id")
        return self


class PersonalizeRequest(BaseModel):
    base_email: EmailText
    lead_name: Annotated[HeaderText, StringConstraints(max_length=200)] | None = None
    lead_website: OptionalLine | None = None
    content_topic: Annotated[HeaderText, StringConstraints(max_length=200)] | None = None
    # Beyond: the subject to keep (else a `Subject:` first line of base_email, else written).
    subject: HeaderText | None = None


class SubjectSuggestionsRequest(BaseModel):
    topic: Topic
    tone: Tone | None = None


class FollowUpRequest(BaseModel):
    original_subject: Annotated[HeaderText, AfterValidator(_not_blank)]
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
