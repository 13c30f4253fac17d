"""The newest publication or update date a page shows (freshness)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from selectolax.lexbor import LexborHTMLParser as HTMLParser

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}  # fmt: skip
_ISO = re.compile(r"\b(20\d\d|19\d\d)-(\d\d)-(\d\d)")
_MONTH_FIRST = re.compile(r"\b([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (20\d\d|19\d\d)\b")
_DAY_FIRST = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]{3,9}),? (20\d\d|19\d\d)\b")
_META_KEYS = (
    "article:published_time",
    "article:modified_time",
    "og:updated_time",
    "date",
    "last-modified",
)


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _from_text(text: str) -> list[date]:
    found: list[date] = []
    for m in _ISO.finditer(text):
        d = _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            found.append(d)
    for m in _MONTH_FIRST.finditer(text):
        month = _MONTHS.get(m.group(1).lower())
        if month:
            d = _make(int(m.group(3)), month, int(m.group(2)))
            if d:
                found.append(d)
    for m in _DAY_FIRST.finditer(text):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            d = _make(int(m.group(3)), month, int(m.group(1)))
            if d:
                found.append(d)
    return found


def newest_date(tree: HTMLParser, text: str, today: date | None = None) -> date | None:
    """The newest date in `<time>`, date meta tags, JSON-LD or the visible text; dates in the
    future (beyond a day of clock skew) are ignored as event dates or typos."""
    today = today or datetime.now(UTC).date()
    found: list[date] = []
    for node in tree.css("time[datetime]"):
        found += _from_text(node.attributes.get("datetime") or "")
    for node in tree.css("meta[content]"):
        key = (node.attributes.get("property") or node.attributes.get("name") or "").lower()
        if key in _META_KEYS:
            found += _from_text(node.attributes.get("content") or "")
    for node in tree.css('script[type="application/ld+json"]'):
        found += _from_text(node.text() or "")
    found += _from_text(text[:200_000])
    limit = today + timedelta(days=1)
    valid = [d for d in found if d <= limit and d.year >= 1995]
    return max(valid) if valid else None
