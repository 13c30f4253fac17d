"""The return date an out-of-office message states, in the seven languages we read.

"Back on 12 May", "bis zum 3. Juni", "de retour le 5 juillet", "hasta el 2 de agosto",
"2024-05-12", "12.05.": the date closest after a return cue wins, else the latest plausible one.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar janvier enero gennaio januari janeiro janv gen",
        "february feb februar février fevrier febrero febbraio februari fevereiro févr fev",
        "march mar märz maerz mars marzo maart março marco mrt",
        "april apr avril abril aprile avr",
        "may mai mayo maggio mei maio mag",
        "june jun juni juin junio giugno junho giu",
        "july jul juli juillet julio luglio julho juil lug",
        "august aug août aout agosto augustus ago",
        "september sep sept septembre septiembre settembre setembro set",
        "october oct oktober octobre octubre ottobre oktober outubro okt ott out",
        "november nov novembre noviembre novembro",
        "december dec dezember décembre decembre diciembre dicembre december dezembro dez dic",
    ],
    start=1,
):
    for _name in _names.split():
        MONTHS.setdefault(_name, _number)

_MONTH = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
DAY_MONTH_RE = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|er|º|°)?\.?\s*(?:of\s+|de\s+)?({_MONTH})\.?(?:,?\s*(?:de\s+)?(\d{{4}}))?\b",
    re.I,
)
MONTH_DAY_RE = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}}))?", re.I
)
ISO_RE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
NUMERIC_RE = re.compile(r"\b(\d{1,2})([./])(\d{1,2})(?:\2(\d{2,4}))?\b\.?")
RETURN_CUE_RE = re.compile(
    r"(until|till|til|through|thru|back (on|in the office on)?|return(ing)?( to the office)?( on)?|"
    r"bis( zum| einschließlich| einschl\.?)?|wieder (am|ab)|zurück (am|ab)|ab (dem)?|"
    r"jusqu'?(au|à)|de retour (le)?|retour (le)?|à partir du|"
    r"hasta (el)?|regreso (el)?|regresaré (el)?|volveré (el)?|a partir del?|"
    r"fino (al|a)|rientro (il)?|rientrerò (il)?|dal|"
    r"tot( en met)?|terug (op)?|weer aanwezig (op)?|vanaf|"
    r"até( o dia)?|retorno (em|no dia)?|retornarei (em|no dia)?|a partir de)\s*$",
    re.I,
)


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _with_year(month: int, day: int, year: str | None, ref: date) -> date | None:
    if year:
        number = int(year)
        return _safe(number + 2000 if number < 100 else number, month, day)
    found = _safe(ref.year, month, day)
    if found and found < ref - timedelta(days=7):
        found = _safe(ref.year + 1, month, day)
    return found


def _candidates(text: str, ref: date, month_first: bool) -> list[tuple[int, date]]:
    found: list[tuple[int, date]] = []
    for m in ISO_RE.finditer(text):
        d = _safe(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            found.append((m.start(), d))
    for m in DAY_MONTH_RE.finditer(text):
        d = _with_year(MONTHS[m.group(2).lower()], int(m.group(1)), m.group(3), ref)
        if d:
            found.append((m.start(), d))
    for m in MONTH_DAY_RE.finditer(text):
        d = _with_year(MONTHS[m.group(1).lower()], int(m.group(2)), m.group(3), ref)
        if d:
            found.append((m.start(), d))
    for m in NUMERIC_RE.finditer(text):
        if ISO_RE.search(text[max(0, m.start() - 5) : m.end() + 5]):
            continue
        first, second = int(m.group(1)), int(m.group(3))
        swap = month_first and m.group(2) == "/" and first <= 12
        day, month = (second, first) if swap else (first, second)
        if month > 12 and day <= 12:
            day, month = month, day
        if month > 12:
            continue
        d = _with_year(month, day, m.group(4), ref)
        if d:
            found.append((m.start(), d))
    return sorted(found)


def return_date(text: str, ref: date, *, english: bool = True) -> date | None:
    """The stated return date, or None. Dates before `ref` or over a year away are ignored."""
    plausible = [
        (pos, d)
        for pos, d in _candidates(text[:5000], ref, english)
        if ref - timedelta(days=1) <= d <= ref + timedelta(days=366)
    ]
    if not plausible:
        return None
    cued = [d for pos, d in plausible if RETURN_CUE_RE.search(text[max(0, pos - 40) : pos])]
    if cued:
        return cued[0]
    return max(d for _, d in plausible)
