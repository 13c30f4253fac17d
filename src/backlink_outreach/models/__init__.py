"""All tables, split by domain. Importing this package registers every table on Base.metadata."""

from .campaigns import LEAD_STATUSES, Campaign, Lead
from .outreach import FollowUp, OutreachAttempt, SendCounter
from .replies import InboundMessage, MailboxState, Reply
from .suppression import Suppression
from .templates import EmailTemplate

__all__ = [
    "LEAD_STATUSES",
    "Campaign",
    "EmailTemplate",
    "FollowUp",
    "InboundMessage",
    "Lead",
    "MailboxState",
    "OutreachAttempt",
    "Reply",
    "SendCounter",
    "Suppression",
]
