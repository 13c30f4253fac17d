from __future__ import annotations

from datetime import date, datetime
from typing import Literal, get_args

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

# Every classification API.md lists, in its order.
ReplyClassification = Literal[
    "interested",
    "not_interested",
    "question",
    "out_of_office",
    "auto_reply",
    "unsubscribe",
    "bounce",
    "wrong_person",
    "payment_request",
    "other",
]
REPLY_CLASSIFICATIONS: tuple[ReplyClassification, ...] = get_args(ReplyClassification)

# The groupings of classes, defined once.
# Written by a machine on the recipient's side: they say nothing about the lead's interest.
AUTOMATIC_REPLIES: tuple[ReplyClassification, ...] = ("out_of_office", "auto_reply")
# Not from a person at all (the automatic ones and bounces): they do not make a lead "replied"
# for the reply rate.
NOT_FROM_A_PERSON: tuple[ReplyClassification, ...] = (*AUTOMATIC_REPLIES, "bounce")
# A person answered and the conversation goes on by hand: the lead is `replied`, the
# sequence stops. (not_interested and unsubscribe stop it too, with their own outcome.)
HUMAN_CONVERSATION: tuple[ReplyClassification, ...] = (
    "interested",
    "question",
    "wrong_person",
    "payment_request",
    "other",
)


class Reply(Base):
    __tablename__ = "replies"
    __table_args__ = (
        Index("ix_replies_campaign_received", "campaign_id", "received_at", "id"),
        Index("ix_replies_lead", "lead_id"),
        Index("ix_replies_attempt", "attempt_id"),
        # The three-soft-bounces-in-7-days rule counts by address within a workspace.
        Index("ix_replies_bounce_recipient", "workspace_id", "bounce_recipient"),
        # Analytics (migration 0003): index-only scans per campaign.
        Index("ix_replies_campaign_lead_class", "campaign_id", "lead_id", "classification"),
        Index("ix_replies_campaign_bounce", "campaign_id", "bounce_type", "attempt_id"),
        # The inbox (migration 0008): a workspace's replies, newest first.
        Index("ix_replies_workspace_received", "workspace_id", "received_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    # Both null for unmatched mail in a workspace's own mailbox (migration 0008).
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    lead_id: Mapped[str | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    attempt_id: Mapped[str | None] = mapped_column(
        ForeignKey("outreach_attempts.id", ondelete="SET NULL")
    )
    message_id: Mapped[str | None] = mapped_column(String(998))
    from_email: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(1000))
    snippet: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    classification: Mapped[str] = mapped_column(String(30))
    confidence: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    bounce_type: Mapped[str | None] = mapped_column(String(10))
    bounce_status: Mapped[str | None] = mapped_column(String(20))
    bounce_recipient: Mapped[str | None] = mapped_column(String(320))
    return_date: Mapped[date | None] = mapped_column(Date)
    # The inbox (migration 0008): the new text, the whole plain text, the main headers, the
    # address a `wrong_person` reply points to, the mailbox it came in on, and every
    # correction `{from, to, by, at}`.
    text: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    referral_email: Mapped[str | None] = mapped_column(String(320))
    mailbox_id: Mapped[str | None] = mapped_column(String(40))
    unmatched: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sql_text("false")
    )
    corrections: Mapped[list[dict[str, str]]] = mapped_column(
        JSON, default=list, server_default=sql_text("'[]'")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailboxState(Base):
    """Where the poller got to in one folder of one mailbox, and who is polling it now."""

    __tablename__ = "mailbox_states"

    id: Mapped[str] = mapped_column(String(600), primary_key=True)  # host|user|folder
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who holds the lease: only the holder may release or renew it.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InboundMessage(Base):
    """Every inbound message seen, by Message-ID (or a hash): a second poll never re-files it."""

    __tablename__ = "inbound_messages"

    message_key: Mapped[str] = mapped_column(String(998), primary_key=True)
    mailbox_id: Mapped[str] = mapped_column(String(600))
    uid: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))  # filed | ignored | failed | own
    tries: Mapped[int] = mapped_column(Integer, default=1)
    # Set when the message belongs to a workspace (filed, or failed but attributable).
    workspace_id: Mapped[str | None] = mapped_column(String(255))
    campaign_id: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
