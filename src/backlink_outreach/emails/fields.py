"""The built-in template fields: what `{name}`, `{website}`, `{sender_name}` ... mean for a lead."""

from __future__ import annotations

from collections.abc import Mapping

from ..models import Lead
from ..sender import Sender

FALLBACK_NAME = "there"


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
