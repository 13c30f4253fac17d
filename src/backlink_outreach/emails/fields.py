"""The built-in template fields: what `{name}`, `{website}`, `{sender_name}` ... mean for a lead."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from ..config import Settings
from ..models import Lead

FALLBACK_NAME = "there"


def template_values(
    lead: Lead | None, settings: Settings, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Values for every built-in placeholder, plus caller-supplied ones (which win)."""
    name = (lead.contact_name or "").strip() if lead else ""
    sender_domain = settings.smtp_from_email.rsplit("@", 1)[-1]
    website = lead.website_url if lead else ""
    values = {
        "name": name or FALLBACK_NAME,
        "first_name": name.split()[0] if name else FALLBACK_NAME,
        "website": website,
        "website_title": (lead.website_title or lead.domain) if lead else "",
        "domain": lead.domain if lead else "",
        "topic": "",
        "sender_name": settings.smtp_from_name,
        "sender_email": settings.smtp_from_email,
        "sender_site": _site_of(settings.public_base_url) or sender_domain,
    }
    if extra:
        values.update(extra)
    return values


def _site_of(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # a malformed PUBLIC_BASE_URL must not break every send
        return ""
    return "" if host in ("127.0.0.1", "localhost", "testserver") else host
