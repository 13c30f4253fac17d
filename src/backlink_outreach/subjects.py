"""The one rule for comparing subjects: reply and forward prefixes, case and spacing ignored.

The duplicate check (`outreach/policy.py`, stored as `outreach_attempts.subject_key`) and reply
threading (`replies/threading.py`) must agree: a reply `Antw: Hello` is the thread of `Hello`,
and a second initial `Antw: Hello` is a duplicate of it.
"""

from __future__ import annotations

import re

# Reply and forward prefixes as mail clients write them, with an optional count (`Re[2]:`):
# English, German (AW, WG, Antw), Nordic (SV, VS), Dutch (Antw, Doorst), Polish (Odp),
# French (TR, RÉF), Spanish and Portuguese (RV, ENC), Italian (R, RIF).
_PREFIXES = re.compile(
    r"^\s*((re|aw|sv|vs|antw|odp|fw|fwd|wg|tr|rv|r|ref|réf|rif|enc|doorst)\s*(\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)


def subject_key(subject: str) -> str:
    """`RE: Fwd:  Hello` -> `hello`."""
    return " ".join(_PREFIXES.sub("", subject or "").lower().split())
