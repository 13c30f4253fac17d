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

NO_REPLY_RE = re.compile(r"no-?reply|do-?not-?reply", re.I)
POINTING_RE = re.compile(
    r"contact|reach|write|e-?mail|send|forward|speak|talk|responsible|in charge|handles?|"
    r"kontakt|wenden sie sich|schreiben|zuständig|"
    r"contacte[rz]|écrive[rz]|adresse[rz]|"
    r"contactar|escrib|diríjase|"
    r"contattare|scrivere|rivolgersi|"
    r"contact opnemen|mailen|"
    r"contatar|contate|escreva",
    re.I,
)
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
    # wrong_person: the address the reply points to (a colleague, a new contact), never the
    # sender's own nor ours.
    referral_email: str | None = None

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
    challenge = dsn.challenge_request(parsed, text)
    if challenge:
        reasons = [
            f"challenge-response request ({challenge!r})",
            "challenge-response: the recipient's filter asks the sender to verify",
        ]
        return Result("auto_reply", 0.9, reasons, new_text=text)
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
    result = Result(intent.classification, intent.confidence, intent.reasons, new_text=text)
    if result.classification == "wrong_person":
        result.referral_email = referral(text, parsed, recipient)
        if result.referral_email:
            result.reasons.append(f"points to {result.referral_email}")
    return result


def referral(text: str, parsed: Parsed, recipient: str | None = None) -> str | None:
    """The address a wrong-person reply points to: the first one written after a pointing
    word ("contact", "write to", "reach", and their German, French, Spanish, Italian, Dutch and
    Portuguese equivalents), else the only other address in the new text."""
    own = {parsed.from_email.lower(), *(a.lower() for a in parsed.to_emails)}
    if recipient:
        own.add(recipient.lower())
    candidates: list[tuple[int, str]] = []
    for found in dsn.ADDRESS_RE.finditer(text):
        address = found.group(0).strip(".").lower()
        local = address.split("@")[0]
        if address in own or dsn.DAEMON_RE.match(local) or NO_REPLY_RE.match(local):
            continue
        candidates.append((found.start(), address))
    if not candidates:
        return None
    for start, address in candidates:
        if POINTING_RE.search(text[max(0, start - 80) : start]):
            return address
    distinct = {address for _, address in candidates}
    return candidates[0][1] if len(distinct) == 1 else None


def _from_report(bounce: dsn.Bounce, recipient: str | None) -> Result:
    if bounce.kind == "delivered":
        return Result("auto_reply", 0.95, bounce.reasons + ["success report, not a failure"])
    if bounce.kind in ("delay", "challenge"):
        # A delay warning changes nothing (the server is still trying), and a challenge asks
        # the sender to prove to be a person: both are automatic answers, kept with the report
        # so that they are matched to the attempt as a bounce would be.
        what = (
            "delay: delivery still being attempted"
            if bounce.kind == "delay"
            else ("challenge-response: the recipient's filter asks the sender to verify")
        )
        return Result("auto_reply", 0.95, [*bounce.reasons, what], bounce=bounce)
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
