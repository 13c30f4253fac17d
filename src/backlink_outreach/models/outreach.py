from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

AttemptKind = Literal["initial", "follow_up"]
AttemptStatus = Literal["sending", "sent", "failed"]
FollowUpStatus = Literal["scheduled", "sent", "cancelled", "failed"]


class OutreachAttempt(Base):
    """One message we tried to send; a `sending` row holds a cap slot until sent or failed."""

    __tablename__ = "outreach_attempts"
    __table_args__ = (
        Index("ix_attempts_sender_day", "sender_email", "send_day"),
        Index("ix_attempts_workspace_day", "workspace_id", "send_day"),
        Index("ix_attempts_recipient_subject", "workspace_id", "recipient_email", "subject_key"),
        Index("ix_attempts_campaign_created", "campaign_id", "created_at", "id"),
        Index("ix_attempts_lead", "lead_id"),
        # Analytics (migration 0003): contacted leads, sent counts, daily volume per campaign.
        Index(
            "ix_attempts_campaign_status_lead",
            "campaign_id",
            "status",
            "lead_id",
            "permanent_failure",
        ),
        Index("ix_attempts_campaign_status_sent", "campaign_id", "status", "sent_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[AttemptKind] = mapped_column(String(20), default="initial")
    step: Mapped[int] = mapped_column(Integer, default=0)
    sender_email: Mapped[str] = mapped_column(String(320))
    recipient_email: Mapped[str] = mapped_column(String(320))
    recipient_domain: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(1000))
    # Lowercased, whitespace-collapsed, Re:/Fwd: stripped: the duplicate check's key.
    subject_key: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[AttemptStatus] = mapped_column(String(20), default="sending")
    legal_basis: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(String(300))
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    # A permanent refusal of the recipient (5.1.x): counts as a hard bounce in analytics.
    permanent_failure: Mapped[bool] = mapped_column(Boolean, default=False)
    send_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The mailbox it went from (`mbx_default`: the deployment's settings), and how it left:
    # `smtp`, or `outbox` (written to MAIL_OUTBOX_DIR: delivered to no one).
    mailbox_id: Mapped[str | None] = mapped_column(String(40))
    delivery: Mapped[str | None] = mapped_column(String(10))


class SendCounter(Base):
    """A row per (sender, UTC day): locked FOR UPDATE on PostgreSQL so concurrent sends queue."""

    __tablename__ = "send_counters"

    sender_email: Mapped[str] = mapped_column(String(320), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reserved: Mapped[int] = mapped_column(Integer, default=0)


class FollowUp(Base):
    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("attempt_id", "step"),
        Index("ix_follow_ups_due", "status", "scheduled_for"),
        Index("ix_follow_ups_campaign", "campaign_id", "scheduled_for", "id"),
        Index("ix_follow_ups_lead", "lead_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    attempt_id: Mapped[str] = mapped_column(ForeignKey("outreach_attempts.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[FollowUpStatus] = mapped_column(String(20), default="scheduled")
    reason: Mapped[str | None] = mapped_column(String(300))
    sent_attempt_id: Mapped[str | None] = mapped_column(
        ForeignKey("outreach_attempts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
