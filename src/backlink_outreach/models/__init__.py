"""All tables, split by domain. Importing this package registers every table on Base.metadata."""

from .campaigns import LEAD_STATUSES, Campaign, Lead, LeadCountStripe, LeadStatus
from .integrations import (
    ApiKey,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from .mailboxes import (
    DEFAULT_MAILBOX_ID,
    RECENT_SENDS,
    Delivery,
    Mailbox,
    MailboxHealth,
    MailboxRecentSend,
    MailboxStatus,
    SecretsKeyCheck,
)
from .outreach import (
    AttemptKind,
    AttemptStatus,
    FollowUp,
    FollowUpStatus,
    OutreachAttempt,
    SendCounter,
)
from .placements import HISTORY_KEPT, PLACEMENT_STATUSES, Placement, PlacementStatus
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
    "DEFAULT_MAILBOX_ID",
    "RECENT_SENDS",
    "Delivery",
    "Mailbox",
    "MailboxHealth",
    "MailboxRecentSend",
    "MailboxStatus",
    "SecretsKeyCheck",
    "AUTOMATIC_REPLIES",
    "HUMAN_CONVERSATION",
    "LEAD_STATUSES",
    "NOT_FROM_A_PERSON",
    "REPLY_CLASSIFICATIONS",
    "ApiKey",
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
    "OutboxEvent",
    "OutreachAttempt",
    "HISTORY_KEPT",
    "PLACEMENT_STATUSES",
    "Placement",
    "PlacementStatus",
    "Reply",
    "ReplyClassification",
    "SendCounter",
    "Suppression",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
