"""What an email writer is asked for and what it returns; the offline and LLM writers both fit.

Requests carry plain, already-cleaned text: the writers never see the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..models import Lead


@dataclass
class Draft:
    subject: str
    body: str
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Prospect:
    """The recipient as the writers see it; every field may be empty."""

    name: str = ""
    website: str = ""
    website_title: str = ""
    domain: str = ""

    @classmethod
    def from_lead(cls, lead: Lead | None) -> Prospect:
        if lead is None:
            return cls()
        return cls(
            name=(lead.contact_name or "").strip(),
            website=lead.website_url or "",
            website_title=(lead.website_title or "").strip(),
            domain=lead.domain or "",
        )


@dataclass(frozen=True)
class PitchRequest:
    topic: str
    tone: str
    sender_name: str
    prospect: Prospect = Prospect()
    # A rendered template to start from (generate with `template_id`).
    base: Draft | None = None


@dataclass(frozen=True)
class PersonalizeRequest:
    body: str
    subject: str | None = None
    lead_name: str = ""
    lead_website: str = ""
    content_topic: str = ""


@dataclass(frozen=True)
class FollowUpRequest:
    original_subject: str
    original_body: str
    tone: str
    sender_name: str
    prospect: Prospect = Prospect()
    step: int = 1


class Writer(Protocol):
    async def pitch(self, request: PitchRequest) -> Draft: ...

    async def personalize(self, request: PersonalizeRequest) -> Draft: ...

    async def subjects(self, topic: str, tone: str) -> list[str]: ...

    async def follow_up(self, request: FollowUpRequest) -> Draft: ...
