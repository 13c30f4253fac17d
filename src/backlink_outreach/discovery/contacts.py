"""Contact addresses written on a page: mailto links, plain text, `name [at] site [dot] com`
forms, and Cloudflare's `data-cfemail` encoding. Only addresses that are on the page are
returned: nothing is ever guessed (no `info@` made up from the domain)."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from ..domains import InvalidValue, email_domain, normalize_email, registrable_domain

_EMAIL = re.compile(r"(?<![\w.+-])([a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]+(?:\.[a-z0-9-]+)+)", re.I)
# `jane [at] site [dot] com`, `jane(at)site(dot)com`, `jane {at} site {dot} co {dot} uk`,
# `jane AT site DOT com` (upper case only: lower-case " at " is ordinary English).
_AT = r"(?:\s*[\[\(\{<]\s*at\s*[\]\)\}>]\s*|\s+AT\s+)"
_DOT = r"(?:\s*[\[\(\{<]\s*dot\s*[\]\)\}>]\s*|\s+DOT\s+|\.)"
_OBFUSCATED = re.compile(
    rf"(?<![\w.+-])([a-z0-9][a-z0-9._%+-]{{0,63}}){_AT}([a-z0-9-]+(?:{_DOT}[a-z0-9-]+)+)",
    re.I,
)
_DOT_SPLIT = re.compile(_DOT, re.I)
# File names that look like addresses (`logo@2x.png`) and placeholders in templates.
_NOT_TLDS = {"png", "jpg", "jpeg", "gif", "webp", "svg", "css", "js", "ico", "avif"}
_PLACEHOLDER_LOCALS = {"you", "your", "yourname", "name", "email", "user", "username", "example"}
_PLACEHOLDER_DOMAINS = {"example.com", "example.org", "example.net", "domain.com", "email.com"}
# Preferred mailboxes for a pitch, best first; no-reply boxes are never contacts.
_PREFERRED = ("guest", "submission", "submit", "contribut", "pitch", "editor", "editorial", "write")
_NEVER = ("noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon", "postmaster")


def decode_cfemail(encoded: str) -> str | None:
    """Cloudflare email obfuscation: hex bytes, the first is the XOR key for the rest."""
    try:
        data = bytes.fromhex(encoded.strip())
    except ValueError:
        return None
    if len(data) < 2:
        return None
    key = data[0]
    try:
        return bytes(b ^ key for b in data[1:]).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _clean(raw: str) -> str | None:
    candidate = raw.strip().strip(".,;:'\"()<>[]").lower()
    if "@" not in candidate:
        return None
    local, _, domain = candidate.rpartition("@")
    if domain.rsplit(".", 1)[-1] in _NOT_TLDS:
        return None
    if local in _PLACEHOLDER_LOCALS or domain in _PLACEHOLDER_DOMAINS:
        return None
    if any(local.startswith(n) for n in _NEVER):
        return None
    try:
        return normalize_email(candidate)
    except InvalidValue:
        return None


def extract_emails(tree: HTMLParser, text: str) -> list[str]:
    """Every address written on the page, in page order, each once."""
    found: list[str] = []

    def add(raw: str | None) -> None:
        address = _clean(raw) if raw else None
        if address and address not in found:
            found.append(address)

    for node in tree.css("[data-cfemail]"):
        add(decode_cfemail(node.attributes.get("data-cfemail") or ""))
    for node in tree.css("a[href]"):
        href = (node.attributes.get("href") or "").strip()
        if href.lower().startswith("mailto:"):
            add(unquote(urlsplit(href).path.split("?", 1)[0]))
        elif "/cdn-cgi/l/email-protection#" in href:
            add(decode_cfemail(href.rsplit("#", 1)[1]))
    for match in _EMAIL.finditer(text):
        add(match.group(1))
    for match in _OBFUSCATED.finditer(text):
        domain = ".".join(part.strip() for part in _DOT_SPLIT.split(match.group(2)))
        add(f"{match.group(1)}@{domain}")
    return found


def best_contact(emails: list[str], site_domain: str) -> str | None:
    """The address to pitch: one at the site's own domain first, then a preferred mailbox."""
    if not emails:
        return None

    def rank(address: str) -> tuple[int, int, int]:
        local = address.split("@", 1)[0]
        own = registrable_domain(email_domain(address)) == site_domain
        preferred = next((i for i, p in enumerate(_PREFERRED) if p in local), len(_PREFERRED))
        return (0 if own else 1, preferred, emails.index(address))

    return min(emails, key=rank)
