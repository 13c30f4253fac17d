"""Deliverability lint: why an email may land in spam, in sentences a user understands.

Advisory only: the warnings travel with a draft and never block it. The checks are the classic
content signals spam filters weigh (length, links, trigger phrases, shouting), plus a missing
call to action and placeholders that sending would refuse.
"""

from __future__ import annotations

import re

from .templates import TemplateSyntaxError, placeholders
from .wording import word_count

MAX_WORDS = 200
MAX_LINKS = 2
SUBJECT_MAX_CHARS = 70

_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_SPAM_PHRASES = (
    "guaranteed",
    "100% free",
    "act now",
    "risk-free",
    "risk free",
    "click here",
    "limited time",
    "buy now",
    "order now",
    "no obligation",
    "winner",
    "earn money",
    "make money",
    "cash bonus",
    "urgent",
    "once in a lifetime",
    "100% satisfied",
    "special promotion",
)
_SPAM = re.compile(
    r"(?<![\w%])(?:" + "|".join(re.escape(p) for p in _SPAM_PHRASES) + r")(?!\w)", re.IGNORECASE
)
# Words of five or more capitals read as shouting; shorter ones are usually acronyms (SEO, HTML).
_CAPS = re.compile(r"\b[A-Z]{5,}\b")
_ACRONYMS = frozenset({"HTTPS", "GDPR", "LINKEDIN", "NASDAQ", "UNESCO", "UNICEF"})
_EXCLAIM_RUN = re.compile(r"!{2,}")
_CALL_TO_ACTION = re.compile(
    r"\b(?:let me know|reply|get back to me|are you open|would you|could you|can i|may i|"
    r"shall i|interested|happy to send|drop me a line)\b",
    re.IGNORECASE,
)


def lint(subject: str, body: str) -> list[str]:
    """Warnings for a finished email (subject and body), in a stable order; [] when clean."""
    warnings: list[str] = []
    words = word_count(body)
    if words > MAX_WORDS:
        warnings.append(
            f"The body is {words} words long; under {MAX_WORDS} words reads better "
            "and looks less like bulk mail."
        )
    links = len(_LINK.findall(body))
    if links > MAX_LINKS:
        warnings.append(
            f"The body has {links} links; more than {MAX_LINKS} links make spam filters suspicious."
        )
    text = f"{subject}\n{body}"
    phrases = sorted({m.group(0).lower() for m in _SPAM.finditer(text)})
    if phrases:
        listed = ", ".join(f'"{p}"' for p in phrases)
        warnings.append(f"Spam-trigger phrase{'s' if len(phrases) > 1 else ''}: {listed}.")
    shouting = sorted({w for w in _CAPS.findall(text) if w not in _ACRONYMS})
    if shouting:
        warnings.append(f"All-caps words read as shouting: {', '.join(shouting[:5])}.")
    if _EXCLAIM_RUN.search(text):
        warnings.append("Runs of exclamation marks (!!) are a common spam signal.")
    if "?" not in body and not _CALL_TO_ACTION.search(body):
        warnings.append("There is no question or call to action: ask for one clear next step.")
    if not subject.strip():
        warnings.append("The subject is empty.")
    elif len(subject) > SUBJECT_MAX_CHARS:
        warnings.append(
            f"The subject is {len(subject)} characters long; inboxes cut it off "
            f"after about {SUBJECT_MAX_CHARS}."
        )
    warnings.extend(_placeholder_warnings(subject, body))
    return warnings


def _placeholder_warnings(subject: str, body: str) -> list[str]:
    found: list[str] = []
    for part, text in (("subject", subject), ("body", body)):
        try:
            names = placeholders(text)
        except TemplateSyntaxError as exc:
            found.append(
                f"The {part} has a stray brace ({exc}); write {{{{ or }}}} for a literal brace."
            )
            continue
        if names:
            listed = ", ".join("{" + n + "}" for n in names)
            found.append(f"The {part} has unrendered placeholders: {listed}.")
    return found
