"""Email writing entry points used by other domains (sending, follow-ups)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Settings
from ..models import Lead


@dataclass
class Draft:
    subject: str
    body: str
    warnings: list[str] = field(default_factory=list)


def reply_subject(original_subject: str) -> str:
    subject = original_subject.strip()
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


async def write_follow_up(
    settings: Settings,
    *,
    original_subject: str,
    original_body: str,
    tone: str = "professional",
    lead: Lead | None = None,
    step: int = 1,
) -> Draft:
    """A short follow-up in the same thread. Plain built-in text until the writer lands."""
    greeting = f"Hi {lead.contact_name}," if lead and lead.contact_name else "Hi there,"
    body = (
        f"{greeting}\n\nI wanted to follow up on my note below in case it got buried. "
        "Would you be open to a guest contribution?\n\nThanks,\n"
        f"{settings.smtp_from_name}"
    )
    return Draft(subject=reply_subject(original_subject), body=body)
