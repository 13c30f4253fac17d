"""The built-in template fields: what `{name}`, `{website}`, `{sender_name}` ... mean for a lead."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..models import Lead
from ..sender import Sender

FALLBACK_NAME = "there"


@dataclass(frozen=True)
class Placeholder:
    name: str
    description: str
    example: str


# Every name `template_values` fills, in its order (a test holds the two equal): what
# `GET /emails/placeholders` answers.
PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder(
        "name", f'The lead\'s contact name; "{FALLBACK_NAME}" when it has none.', "Jane Doe"
    ),
    Placeholder(
        "first_name",
        f'The first word of the contact name; "{FALLBACK_NAME}" when there is none.',
        "Jane",
    ),
    Placeholder("website", "The lead's website URL.", "https://green.example/"),
    Placeholder(
        "website_title", "The lead's website title, else its domain.", "Green Thumb Gardening"
    ),
    Placeholder("domain", "The lead's registrable domain.", "green.example"),
    Placeholder(
        "topic",
        "The topic: the campaign's first keyword when sending, the request's `topic` when "
        "generating; empty when there is none.",
        "urban composting",
    ),
    Placeholder("sender_name", "The sending mailbox's display name.", "Sam Writer"),
    Placeholder("sender_email", "The sending mailbox's address.", "sam@agency.example"),
    Placeholder(
        "sender_site", "The sender's own website, else its email domain.", "agency.example"
    ),
)


def template_values(
    lead: Lead | None, sender: Sender, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Values for every built-in placeholder, plus caller-supplied ones (which win)."""
    name = (lead.contact_name or "").strip() if lead else ""
    website = lead.website_url if lead else ""
    values = {
        "name": name or FALLBACK_NAME,
        "first_name": name.split()[0] if name else FALLBACK_NAME,
        "website": website,
        "website_title": (lead.website_title or lead.domain) if lead else "",
        "domain": lead.domain if lead else "",
        "topic": "",
        "sender_name": sender.name,
        "sender_email": sender.email,
        "sender_site": sender.website,
    }
    if extra:
        values.update(extra)
    return values
