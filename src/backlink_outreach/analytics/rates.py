"""The rate definitions of API.md, in one place.

The counts come from SQL aggregates (service.py); this module only names the reply classes the
definitions depend on and divides. Every rate is 0.0 when its denominator is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

# Analytics report every lead status and every reply classification, zeros included.
from ..models import LEAD_STATUSES, NOT_FROM_A_PERSON, REPLY_CLASSIFICATIONS

POSITIVE_CLASSIFICATION = "interested"
HARD_BOUNCE = "hard"
SENT = "sent"
FAILED = "failed"
PLACED = "placed"

__all__ = [
    "FAILED",
    "HARD_BOUNCE",
    "LEAD_STATUSES",
    "NOT_FROM_A_PERSON",
    "PLACED",
    "POSITIVE_CLASSIFICATION",
    "REPLY_CLASSIFICATIONS",
    "SENT",
    "RateCounts",
    "ratio",
]


def ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


@dataclass(frozen=True)
class RateCounts:
    """The numerators and denominators behind the four rates."""

    contacted_leads: int  # leads with at least one `sent` attempt
    human_replied_leads: int  # contacted leads with a reply that is not automatic
    interested_leads: int  # contacted leads with an `interested` reply
    placed_leads: int  # contacted leads whose status is now `placed`
    sent_attempts: int
    refused_attempts: int  # not `sent`, refused permanently by the receiving server
    hard_bounced_attempts: int  # refused, or `sent` and then hard-bounced by a DSN

    def rates(self) -> dict[str, float]:
        bounce_denominator = self.sent_attempts + self.refused_attempts
        return {
            "reply_rate": ratio(self.human_replied_leads, self.contacted_leads),
            "positive_reply_rate": ratio(self.interested_leads, self.contacted_leads),
            "placement_rate": ratio(self.placed_leads, self.contacted_leads),
            "bounce_rate": ratio(self.hard_bounced_attempts, bounce_denominator),
        }
