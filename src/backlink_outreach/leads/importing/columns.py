"""Which CSV column gives which lead field, and a row's cells as a lead entry for bulk add's
validation.

Without a `mapping`, headers are matched by name, case- and punctuation-blind ("E-mail",
"email" and "EMAIL" are one name), against the table below: for each field the first of its
names that the file has wins, and every other column is ignored (`columns.ignored` says which).
The names cover the usual export headers of these tools:

| tool          | headers read                                                                 |
|---------------|------------------------------------------------------------------------------|
| Ahrefs        | Referring page URL, Referring page title, Domain, Domain rating, DR, Target  |
|               | URL, Anchor                                                                  |
| Semrush       | Source url, Source title, Target url, Anchor, Page ascore, Domain ascore,    |
|               | Authority Score, Domain                                                      |
| Moz           | URL, Title, Root Domain, Domain Authority, DA, Target URL, Anchor Text       |
| BuzzStream    | Website, Name, First Name, Last Name, Email, Notes                           |
| Pitchbox      | Domain, Contact email, Contact name, Notes                                   |
| Google Sheets | Website, URL, E-mail, Contact, Title, Notes                                  |
| this service  | its own lead export (`GET /campaigns/{id}/export/leads`): every field name   |

A whole name ("Name", "Contact name") beats name parts; without one, "First name" and "Last name"
are joined with a space. Page-level metrics (Ahrefs UR, Moz PA) are not a site's authority and
are not read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import Unprocessable
from ..schemas import LeadCreate

Loc = list[str | int]

# Every field a CSV column may give: the fields of a lead as bulk add takes them.
FIELDS: tuple[str, ...] = tuple(LeadCreate.model_fields)

# Field -> the headers that give it, best first.
HEADERS: dict[str, tuple[str, ...]] = {
    "website_url": (
        "website_url",
        "Website",
        "URL",
        "Referring page URL",
        "Source url",
        "Page URL",
        "Site URL",
        "Link URL",
        "Prospect URL",
        "Site",
        "Web site",
        "Homepage",
        "Domain",
        "Root domain",
        "Referring domain",
        "Domain name",
        "Host",
    ),
    "website_title": (
        "website_title",
        "Title",
        "Referring page title",
        "Source title",
        "Page title",
        "Site title",
        "Website name",
        "Site name",
    ),
    "contact_email": (
        "contact_email",
        "Email",
        "Contact email",
        "Email address",
        "Contact email address",
        "Primary email",
        "Emails",
        "Mail",
    ),
    "contact_name": ("contact_name", "Contact name", "Name", "Contact", "Full name", "Author"),
    "notes": ("notes", "Note", "Comments", "Comment"),
    "consent": ("consent", "Opted in", "Opt in"),
    "quality_score": ("quality_score", "Quality"),
    "relevance_score": ("relevance_score", "Relevance"),
    "guest_post_likelihood": ("guest_post_likelihood",),
    "source": ("source", "Lead source"),
    "target_url": ("target_url", "Link to", "Linked URL", "Destination URL"),
    "anchor_text": ("anchor_text", "Anchor", "Link anchor"),
    "authority": (
        "authority",
        "Domain rating",
        "DR",
        "Domain Authority",
        "DA",
        "Authority Score",
        "Domain ascore",
        "Ascore",
        "AS",
        "Page ascore",
    ),
}
# A person's name in parts, read only when no column gives the whole name; joined in this order.
NAME_PARTS: tuple[tuple[str, ...], ...] = (
    ("First name", "Given name", "Firstname"),
    ("Last name", "Surname", "Family name", "Lastname"),
)
_JOINED = "contact_name"


def normalise(header: str) -> str:
    """A header's name, case- and punctuation-blind: "E-mail" and "email" are one name."""
    return re.sub(r"[\W_]+", "", header.casefold())


_NO_NUMBER = frozenset({"", "-", "n/a", "na", "none", "null"})
_TRUE = frozenset({"true", "yes", "y", "1", "x"})
_FALSE = frozenset({"false", "no", "n", "0"})


def _number(text: str) -> Any:
    """A number cell as a float ("0,5" from a `;` file too); anything else is handed on as it
    is, for the lead's validation to name."""
    try:
        return float(text)
    except ValueError:
        pass
    if text.count(",") == 1 and "." not in text:
        try:
            return float(text.replace(",", "."))
        except ValueError:
            pass
    return text


def _score(text: str) -> Any:
    return None if text.casefold() in _NO_NUMBER else _number(text)


def _authority(text: str) -> Any:
    """A rating: "45", "45.0" and "45.4" are 45 (tools print whole ratings with decimals)."""
    value = _score(text)
    if isinstance(value, float) and math.isfinite(value):
        return math.floor(value + 0.5)
    return value


def _flag(text: str) -> Any:
    folded = text.casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    return text


_CONVERT: dict[str, Callable[[str], Any]] = {
    "quality_score": _score,
    "relevance_score": _score,
    "guest_post_likelihood": _score,
    "authority": _authority,
    "consent": _flag,
}


Convert = Callable[[str], Any] | None


@dataclass(frozen=True)
class ColumnMap:
    """What each column gives: `mapped` and `ignored` for the answer; `singles` (a field from
    one column) and `several` (a field from its columns, best first) for the rows."""

    mapped: dict[str, str]  # header -> field, in the file's order
    ignored: list[str]
    singles: tuple[tuple[str, int, Convert], ...]
    several: tuple[tuple[str, tuple[int, ...], Convert], ...]

    def entry(self, cells: list[str]) -> dict[str, Any] | None:
        """The row as a bulk add entry: blank cells are no value; None for a row of blanks."""
        width = len(cells)
        entry: dict[str, Any] = {}
        for field, index, convert in self.singles:
            if index < width and (text := cells[index].strip()):
                value = text if convert is None else convert(text)
                if value is not None:
                    entry[field] = value
        for field, indexes, convert in self.several:
            values = [text for i in indexes if i < width and (text := cells[i].strip())]
            if values:
                text = " ".join(values) if field == _JOINED else values[0]
                value = text if convert is None else convert(text)
                if value is not None:
                    entry[field] = value
        if not entry and not any(cell.strip() for cell in cells):
            return None
        return entry

    def answer(self) -> dict[str, Any]:
        return {"mapped": self.mapped, "ignored": self.ignored}


def _build(headers: list[str], chosen: dict[str, list[int]]) -> ColumnMap:
    if "website_url" not in chosen:
        raise Unprocessable(
            "No column gives website_url: name one with a header such as URL, Website or "
            "Domain, or say which in `mapping`.",
            "missing_column",
        )
    by_index = {i: field for field, indexes in chosen.items() for i in indexes}
    mapped = {headers[i]: by_index[i] for i in sorted(by_index)}
    ignored = [h for i, h in enumerate(headers) if i not in by_index and h.strip()]
    singles = tuple(
        (field, indexes[0], _CONVERT.get(field))
        for field, indexes in chosen.items()
        if len(indexes) == 1
    )
    several = tuple(
        (field, tuple(indexes), _CONVERT.get(field))
        for field, indexes in chosen.items()
        if len(indexes) > 1
    )
    return ColumnMap(mapped=mapped, ignored=ignored, singles=singles, several=several)


def _first_index(names: tuple[str, ...], index_of: dict[str, int]) -> int | None:
    for name in names:
        index = index_of.get(normalise(name))
        if index is not None:
            return index
    return None


def automatic(headers: list[str]) -> ColumnMap:
    """Each field from the best of its names in the file (the first such column)."""
    index_of: dict[str, int] = {}
    for i, header in enumerate(headers):
        index_of.setdefault(normalise(header), i)
    chosen: dict[str, list[int]] = {}
    for field, names in HEADERS.items():
        index = _first_index(names, index_of)
        if index is not None:
            chosen[field] = [index]
    if _JOINED not in chosen:
        found = [_first_index(names, index_of) for names in NAME_PARTS]
        parts = [index for index in found if index is not None]
        if parts:
            chosen[_JOINED] = parts
    return _build(headers, chosen)


def check_fields(mapping: dict[str, str], loc: Loc) -> None:
    """422 for a mapping that names a field no lead has (before the file is read)."""
    for header, field in mapping.items():
        if field not in FIELDS:
            raise Unprocessable(
                f"mapping: {header!r} maps to {field!r}, which is not a lead field; the "
                f"fields are: {', '.join(FIELDS)}.",
                "unknown_field",
                loc,
            )


def explicit(headers: list[str], mapping: dict[str, str], loc: Loc) -> ColumnMap:
    """The caller's mapping, CSV header -> field; other columns are ignored. Headers match
    exactly, else case- and punctuation-blind. Several headers for one field: the first that
    has a value, in the mapping's order (for contact_name, their values joined)."""
    check_fields(mapping, loc)
    exact = {h: i for i, h in reversed(list(enumerate(headers)))}
    blind = {normalise(h): i for i, h in reversed(list(enumerate(headers)))}
    chosen: dict[str, list[int]] = {}
    for header, field in mapping.items():
        found = exact.get(header, blind.get(normalise(header)))
        if found is None:
            shown = ", ".join(repr(h) for h in headers[:50])
            raise Unprocessable(
                f"mapping: the file has no column {header!r}; its columns are: {shown}.",
                "unknown_column",
                loc,
            )
        indexes = chosen.setdefault(field, [])
        if found not in indexes:
            indexes.append(found)
    return _build(headers, chosen)
