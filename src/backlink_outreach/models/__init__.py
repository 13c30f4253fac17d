"""All tables, split by domain. Importing this package registers every table on Base.metadata."""

from .campaigns import LEAD_STATUSES, Campaign, Lead, LeadCountStripe, LeadStatus
from .outreach import FollowUp, OutreachAttempt, SendCounter
from .replies import REPLY_CLASSIFICATIONS, InboundMessage, MailboxState, Reply, ReplyClassification
from .suppression import Suppression
from .templates import EmailTemplate

__all__ = [
    "LEAD_STATUSES",
    "REPLY_CLASSIFICATIONS",
    "Campaign",
    "EmailTemplate",
    "FollowUp",
    "InboundMessage",
    "Lead",
    "LeadCountStripe",
    "LeadStatus",
    "MailboxState",
    "OutreachAttempt",
    "Reply",
    "ReplyClassification",
    "SendCounter",
    "Suppression",
]
