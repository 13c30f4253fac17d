"""The sequence, the send window and the scheduler's API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from ..emails.template_schemas import TEMPLATE_BODY, TEMPLATE_SUBJECT
from ..models import StepStatus
from ..validation import Integer, JsonPattern, LongText, raw_max_length
from . import windows

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Clock = Annotated[
    str,
    StringConstraints(pattern=r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"),
    Field(examples=["09:00"]),
]
TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$"),
    raw_max_length(64),
    Field(description="An IANA time zone name, e.g. `Europe/Berlin`.", examples=["UTC"]),
]
StepSubject = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=500),
    raw_max_length(500),
    JsonPattern(TEMPLATE_SUBJECT),
]
StepBody = Annotated[LongText, JsonPattern(TEMPLATE_BODY)]
TemplateRef = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^tpl_[A-Za-z0-9]+$")
]
MAX_STEPS = 10


class SendWindow(BaseModel):
    """When steps may go out, in the campaign's `timezone`: `start` before `end`."""

    model_config = ConfigDict(extra="forbid")

    days: list[Day] = Field(min_length=1, max_length=7, json_schema_extra={"uniqueItems": True})
    start: Clock
    end: Clock

    @field_validator("days")
    @classmethod
    def _distinct(cls, value: list[Day]) -> list[Day]:
        return sorted(dict.fromkeys(value), key=windows.DAYS.index)

    @model_validator(mode="after")
    def _ordered(self) -> SendWindow:
        if windows.parse_clock(self.start) >= windows.parse_clock(self.end):
            raise ValueError("the window's start must be before its end")
        return self


class SequenceStep(BaseModel):
    """A step: its own `subject` and `body` (placeholders allowed), or a `template_id`. A later
    step with no subject is sent as `Re: <step 0's subject>`, in the same thread."""

    model_config = ConfigDict(extra="forbid")

    delay_days: Integer = Field(
        default=0,
        ge=0,
        le=90,
        description="Step 0: 0. Later steps: 1..90 days after the previous step was sent.",
    )
    subject: StepSubject | None = None
    body: StepBody | None = None
    template_id: TemplateRef | None = None

    @model_validator(mode="after")
    def _has_text(self) -> SequenceStep:
        if self.template_id is None and (self.body is None or not self.body.strip()):
            raise ValueError("a step needs a body or a template_id")
        if self.template_id is not None and (self.subject or self.body):
            raise ValueError("a step takes a template_id or its own subject and body, not both")
        return self


def check_sequence(steps: list[SequenceStep]) -> list[SequenceStep]:
    if not steps:
        return steps
    first = steps[0]
    if first.delay_days != 0:
        raise ValueError("step 0 is the first message: its delay_days is 0")
    if first.template_id is None and not first.subject:
        raise ValueError("step 0 needs a subject (later steps default to `Re: <its subject>`)")
    if any(step.delay_days < 1 for step in steps[1:]):
        raise ValueError("each later step waits 1..90 days after the one before")
    return steps


Sequence = Annotated[list[SequenceStep], Field(max_length=MAX_STEPS)]


class EnrollRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = Field(
        default=None, max_length=10_000
    )
    all_eligible: bool = Field(default=False, strict=True)

    @model_validator(mode="after")
    def _one_way(self) -> EnrollRequest:
        if (self.lead_ids is None) == (not self.all_eligible):
            raise ValueError("give either lead_ids or all_eligible: true")
        return self


class Skipped(BaseModel):
    lead_id: str
    reason: str


class EnrollResult(BaseModel):
    enrolled: int
    skipped: list[Skipped]


class QueuedStep(BaseModel):
    lead_id: str
    step: int
    mailbox_id: str | None
    not_before: datetime | None


class DayCount(BaseModel):
    date: str
    count: int


class Forecast(BaseModel):
    last_send_at: datetime | None
    per_day: list[DayCount]


class Schedule(BaseModel):
    queued: list[QueuedStep] = Field(
        description="The next steps to go out, soonest first (at most 1000); `not_before` is "
        "null for a step that waits on the one before it."
    )
    forecast: Forecast


class StopResult(BaseModel):
    lead_id: str
    cancelled: int


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str
    lead_id: str
    step: int
    status: StepStatus
    not_before: datetime | None
    mailbox_id: str | None
    attempt_id: str | None
    reason: str | None
