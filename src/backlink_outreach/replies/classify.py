"""Deterministic classification of one inbound message, with the evidence that decided it.

Order: bounce (and other delivery reports) -> automatic reply -> human intent on the new text.
Every result carries a confidence and reasons; nothing here reads the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..models import AUTOMATIC_REPLIES
from . import autoreply, dsn, intents, quoting
from .dates import return_date
from .parsing import Parsed

ENGLISH_HINT_RE = re.compile(r"\b(the|and|until|back|office|will|am|i'm)\b", re.I)


@dataclass
class Result:
    classification: str
    confidence: float
    reasons: list[str] = field(default_factory=list)
    bounce: dsn.Bounce | None = None
    bounce_type: str | None = None
    bounce_status: str | None = None
    bounce_recipient: str | None = None
    return_date: date | None = None
    # Feedback loop reports are complaints: effects suppress with source "complaint".
    complaint: bool = False
    new_text: str = ""

    @property
    def automatic(self) -> bool:
        return self.classification in AUTOMATIC_REPLIES


def classify(parsed: Parsed, *, recipient: str | None = None, today: date | None = None) -> Result:
    """Classify a parsed message. `recipient` (the address we wrote to, when known) picks the
    matching line of a multi-recipient bounce; `today` anchors return dates without a year."""
    bounce = dsn.detect(parsed)
    if bounce is not None:
        return _from_report(bounce, recipient)
    text = quoting.new_text(parsed.text)
    reference = today or (parsed.date.date() if parsed.date else date.today())
    evidence = autoreply.detect(parsed, text)
    if evidence.automatic:
        confidence = 0.95 if evidence.from_headers else 0.8
        if evidence.away:
            english = bool(ENGLISH_HINT_RE.search(text[:2000]))
            back = return_date(text or parsed.subject, reference, english=english)
            reasons = evidence.reasons + (
                [f"return date {back.isoformat()}"] if back else ["no return date stated"]
            )
            return Result("out_of_office", confidence, reasons, return_date=back, new_text=text)
        return Result("auto_reply", confidence, evidence.reasons, new_text=text)
    intent = intents.classify_text(text)
    return Result(intent.classification, intent.confidence, intent.reasons, new_text=text)


def _from_report(bounce: dsn.Bounce, recipient: str | None) -> Result:
    if bounce.kind == "delivered":
        return Result("auto_reply", 0.95, bounce.reasons + ["success report, not a failure"])
    if bounce.kind == "feedback":
        found = bounce.recipients[0].address if bounce.recipients else None
        return Result(
            "unsubscribe",
            0.9,
            bounce.reasons + ["the recipient reported the message as unwanted"],
            bounce=bounce,
            bounce_recipient=found,
            complaint=True,
        )
    line = bounce.for_address(recipient)
    confidence = 0.99 if bounce.standard else 0.9
    return Result(
        "bounce",
        confidence,
        list(bounce.reasons),
        bounce=bounce,
        bounce_type=("hard" if line and line.hard else "soft"),
        bounce_status=line.status if line else None,
        bounce_recipient=(line.address or None) if line else None,
    )
