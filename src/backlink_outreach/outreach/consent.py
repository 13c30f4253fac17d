"""The consent rule table: the one place that says when a cold email needs prior consent.

Legal basis of a send:
- `consent` when the lead records the recipient's consent (`Lead.consent`);
- otherwise `legitimate_interest`, which covers business-to-business outreach in most places.

Consent is *required* (and its absence blocks the send with `consent_required`) when:
1. the site's country code is in `CONSENT_ALWAYS_CCTLDS` (`.de`, `.at`): German UWG §7(2) and the
   Austrian TKG §174 require prior consent for advertising email even business to business;
2. the recipient uses a free-mail provider (`FREE_MAIL_DOMAINS`, `FREE_MAIL_BRANDS`), i.e. is
   most likely a private person, and the site's country code is in the EU or the UK
   (`EU_UK_CCTLDS`): ePrivacy Directive art. 13 / PECR reg. 22 need consent for individuals.

The *site's country code* is the last label of the lead's website domain. Without a lead
(`POST /policy/validate`) the recipient address's domain stands in for the site. When the site
has no country code (`.com`, `.org`) but the recipient's own free-mail domain has one
(`web.de`, `hotmail.fr`), that one is used: such a mailbox belongs to someone in that country.
"""

from __future__ import annotations

from dataclasses import dataclass

CONSENT_ALWAYS_CCTLDS = frozenset({"de", "at"})

EU_UK_CCTLDS = frozenset(
    {
        "at", "be", "bg", "hr", "cy", "cz", "dk", "ee", "fi", "fr", "de", "gr", "hu", "ie",
        "it", "lv", "lt", "lu", "mt", "nl", "pl", "pt", "ro", "sk", "si", "es", "se", "eu",
        "uk",
    }
)  # fmt: skip

# Exact free-mail domains.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "msn.com", "aol.com", "icloud.com",
        "me.com", "mac.com", "mail.com", "proton.me", "protonmail.com", "pm.me", "zoho.com",
        "web.de", "t-online.de", "freenet.de", "posteo.de", "mailbox.org", "orange.fr",
        "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "libero.it", "virgilio.it",
        "tiscali.it", "seznam.cz", "wp.pl", "o2.pl", "interia.pl", "onet.pl", "btinternet.com",
        "sky.com", "virginmedia.com", "telenet.be", "skynet.be", "ziggo.nl", "kpnmail.nl",
        "bluewin.ch", "tutanota.com", "tuta.io", "yandex.com", "ymail.com", "rocketmail.com",
    }
)  # fmt: skip

# Providers with one domain per country (`hotmail.co.uk`, `yahoo.fr`, `gmx.net`): the label
# before the public suffix names them.
FREE_MAIL_BRANDS = frozenset({"hotmail", "live", "yahoo", "gmx", "outlook", "aol"})


@dataclass(frozen=True)
class ConsentDecision:
    legal_basis: str  # "consent" | "legitimate_interest"
    blocked: bool  # consent is required and the lead does not record it


def country_code(domain: str) -> str | None:
    """The two-letter country label a domain ends in (`example.co.uk` -> `uk`), else None."""
    last = domain.rstrip(".").rsplit(".", 1)[-1].lower()
    return last if len(last) == 2 and last.isalpha() else None


def is_free_mail(address_domain: str) -> bool:
    domain = address_domain.lower()
    if domain in FREE_MAIL_DOMAINS:
        return True
    labels = domain.split(".")
    # hotmail.co.uk, yahoo.fr, gmx.net: the brand is the first label of a two or three label name.
    return len(labels) in (2, 3) and labels[0] in FREE_MAIL_BRANDS


def consent_required(site_domain: str | None, recipient_domain: str) -> bool:
    site = site_domain or recipient_domain
    site_country = country_code(site)
    if site_country in CONSENT_ALWAYS_CCTLDS:
        return True
    if not is_free_mail(recipient_domain):
        return False
    if site_country is None:
        site_country = country_code(recipient_domain)
    return site_country in EU_UK_CCTLDS


def decide(site_domain: str | None, recipient_domain: str, lead_consent: bool) -> ConsentDecision:
    if lead_consent:
        return ConsentDecision("consent", blocked=False)
    if consent_required(site_domain, recipient_domain):
        return ConsentDecision("consent", blocked=True)
    return ConsentDecision("legitimate_interest", blocked=False)
