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

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from ..leads.lifecycle import Event, Suppress
from ..models import HUMAN_CONVERSATION

NO_DATE_POSTPONE = timedelta(days=7)


@dataclass
class ReplyRow:
    """A `replies` row to insert. `bounce_type` and `reasons` may still change before it is
    (the repeated soft bounce rule)."""

    id: str
    workspace_id: str
    campaign_id: str | None  # None with lead_id: unmatched mail of a workspace's own mailbox
    lead_id: str | None
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
    # The inbox (API.md part 2): the new text, the whole plain text, the main headers, the
    # address the message points to (shown for `wrong_person` only), the mailbox it came in on.
    text: str = ""
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    referral_email: str | None = None
    mailbox_id: str | None = None
    unmatched: bool = False
    corrections: list[dict[str, str]] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class Filed:
    """One reply to file: its row and what its effects need."""

    row: ReplyRow
    address: str  # the address we wrote to
    complaint: bool = False


class Facts(Protocol):
    """What a reply's event is made of: a `ReplyRow` being filed, or a stored `Reply`."""

    @property
    def id(self) -> str: ...
    @property
    def workspace_id(self) -> str: ...
    @property
    def lead_id(self) -> str | None: ...
    @property
    def attempt_id(self) -> str | None: ...
    @property
    def classification(self) -> str: ...
    @property
    def bounce_type(self) -> str | None: ...
    @property
    def bounce_status(self) -> str | None: ...
    @property
    def return_date(self) -> date | None: ...
    @property
    def received_at(self) -> datetime: ...


def events_for(filed: list[Filed]) -> list[Event]:
    """The lifecycle events of the replies, in list order (unmatched mail has none)."""
    events: list[Event] = []
    for item in filed:
        event = event_of(item.row, item.address, complaint=item.complaint)
        if event is not None:
            events.append(event)
    return events


def event_of(row: Facts, address: str, *, complaint: bool = False) -> Event | None:
    """The event of one reply under its classification, caused by it (`cause`: its id, so a
    correction finds the steps it cancelled). `address`: the one its effects suppress."""
    if row.lead_id is None:
        return None
    event = _event(row, row.lead_id, address, complaint)
    return None if event is None else replace(event, cause=row.id)


def _event(row: Facts, lead_id: str, address: str, complaint: bool) -> Event | None:
    kind = row.classification
    if kind == "bounce":
        if row.bounce_type != "hard":
            # A final failure that says nothing against the address (full mailbox, content,
            # reputation, a temporary failure the server gave up on): the sequence ends, the
            # address stays usable. Delay warnings are filed as auto_reply and never get here.
            return Event("final_failure", lead_id)
        reason = f"hard bounce {row.bounce_status or ''}".strip()
        return Event(
            "hard_bounce",
            lead_id,
            suppress=Suppress(row.workspace_id, address, "bounce", reason),
            attempt_id=row.attempt_id,  # the mailbox breaker counts it against that send
        )
    if kind == "unsubscribe":
        if complaint:
            entry = Suppress(row.workspace_id, address, "complaint", "spam complaint")
        else:
            entry = Suppress(row.workspace_id, address, "reply", "asked by reply")
        return Event("unsubscribed", lead_id, suppress=entry)
    if kind == "not_interested":
        return Event("not_interested", lead_id)
    if kind == "out_of_office":
        return Event("away", lead_id, until=away_until(row.return_date, row.received_at))
    if kind in HUMAN_CONVERSATION:
        return Event("replied", lead_id)
    return None


def away_until(return_date: date | None, received_at: datetime) -> datetime:
    """When an out-of-office reply's sender is back: the day after the date it gives, or a
    week after it arrived when it gives none. Reply filing postpones pending steps to it, and
    enrolling the lead later starts its sequence no earlier."""
    if return_date is not None:
        return datetime.combine(return_date + timedelta(days=1), time(), tzinfo=UTC)
    return received_at + NO_DATE_POSTPONE
