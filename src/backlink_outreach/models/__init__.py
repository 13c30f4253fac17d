"""All tables, split by domain. Importing this package registers every table on Base.metadata."""

from .campaigns import LEAD_STATUSES, Campaign, Lead, LeadCountStripe, LeadStatus
from .outreach import (
    AttemptKind,
    AttemptStatus,
    FollowUp,
    FollowUpStatus,
    OutreachAttempt,
    SendCounter,
)
from .replies import (
    AUTOMATIC_REPLIES,
    HUMAN_CONVERSATION,
    NOT_FROM_A_PERSON,
    REPLY_CLASSIFICATIONS,
    InboundMessage,
    MailboxState,
    Reply,
    ReplyClassification,
)
from .suppression import Suppression
from .templates import EmailTemplate

__all__ = [
    "AUTOMATIC_REPLIES",
    "HUMAN_CONVERSATION",
    "LEAD_STATUSES",
    "NOT_FROM_A_PERSON",
    "REPLY_CLASSIFICATIONS",
    "AttemptKind",
    "AttemptStatus",
    "Campaign",
    "EmailTemplate",
    "FollowUp",
    "FollowUpStatus",
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
