"""What a classified reply means for its lead, as lifecycle events (pure: no database).

Per reply, in the order the replies were read:
- hard bounce: `hard_bounce` (suppressed with source `bounce`); a soft bounce (a final failure
  that says nothing against the address) is `final_failure`: bounced, steps stopped, not
  suppressed, unless it is the third for its address within 7 days (`soft_bounces.py` upgrades
  it to hard first); a delay warning is filed as `auto_reply` and does nothing;
- unsubscribe: `unsubscribed` (source `reply`, or `complaint` for feedback reports);
- not_interested: `not_interested`;
- out_of_office: `away` until the return date plus one day (7 days without one);
- the other human replies: `replied`; auto_reply: nothing, a machine says nothing about the lead.
What each event does (a placed lead stays placed) is `leads/lifecycle.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..leads.lifecycle import Event, Suppress
from ..models import HUMAN_CONVERSATION

NO_DATE_POSTPONE = timedelta(days=7)


@dataclass
class ReplyRow:
    """A `replies` row to insert. `bounce_type` and `reasons` may still change before it is
    (the repeated soft bounce rule)."""

    id: str
    workspace_id: str
    campaign_id: str
    lead_id: str
    attempt_id: str | None
    message_id: str | None
    from_email: str
    subject: str
    snippet: str
    received_at: datetime
    classification: str
    confidence: float
    reasons: list[str]
    bounce_type: str | None
    bounce_status: str | None
    bounce_recipient: str | None
    return_date: date | None
    created_at: datetime

    def values(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class Filed:
    """One reply to file: its row and what its effects need."""

    row: ReplyRow
    address: str  # the address we wrote to
    complaint: bool = False


def events_for(filed: list[Filed]) -> list[Event]:
    """The lifecycle events of the replies, in list order."""
    events: list[Event] = []
    for item in filed:
        event = _event(item)
        if event is not None:
            events.append(event)
    return events


def _event(item: Filed) -> Event | None:
    row = item.row
    kind = row.classification
    if kind == "bounce":
        if row.bounce_type != "hard":
            # A final failure that says nothing against the address (full mailbox, content,
            # reputation, a temporary failure the server gave up on): the sequence ends, the
            # address stays usable. Delay warnings are filed as auto_reply and never get here.
            return Event("final_failure", row.lead_id)
        reason = f"hard bounce {row.bounce_status or ''}".strip()
        return Event(
            "hard_bounce",
            row.lead_id,
            suppress=Suppress(row.workspace_id, item.address, "bounce", reason),
            attempt_id=row.attempt_id,  # the mailbox breaker counts it against that send
        )
    if kind == "unsubscribe":
        if item.complaint:
            entry = Suppress(row.workspace_id, item.address, "complaint", "spam complaint")
        else:
            entry = Suppress(row.workspace_id, item.address, "reply", "asked by reply")
        return Event("unsubscribed", row.lead_id, suppress=entry)
    if kind == "not_interested":
        return Event("not_interested", row.lead_id)
    if kind == "out_of_office":
        back = row.return_date
        if back is not None:
            until = datetime.combine(back + timedelta(days=1), time(), tzinfo=UTC)
        else:
            until = row.received_at + NO_DATE_POSTPONE
        return Event("away", row.lead_id, until=until)
    if kind in HUMAN_CONVERSATION:
        return Event("replied", row.lead_id)
    return None
