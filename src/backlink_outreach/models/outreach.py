from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

AttemptKind = Literal["initial", "follow_up"]
AttemptStatus = Literal["sending", "sent", "failed"]
FollowUpStatus = Literal["scheduled", "sent", "cancelled", "failed"]
# A sequence step: `scheduled` (due at `not_before`, or after the step before when null),
# `sending` (reserved: its attempt holds the slot), then `sent`, `failed`, `skipped` (policy
# blocked it at send time) or `cancelled`.
StepStatus = Literal["scheduled", "sending", "sent", "failed", "skipped", "cancelled"]


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
        Index("ix_attempts_workspace_lead_domain", "workspace_id", "lead_domain", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    # No foreign keys (migration 0008): the attempts of a deleted campaign or lead stay, as the
    # send ledger policy counts (caps, duplicates, recontact cool-down); they point at nothing.
    campaign_id: Mapped[str] = mapped_column(String(40))
    lead_id: Mapped[str] = mapped_column(String(40))
    # The lead's website domain: the recontact cool-down counts initial messages per site.
    lead_domain: Mapped[str | None] = mapped_column(String(255))
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
    # What ended it, when a lifecycle event did (a reply's id): a correction restores exactly
    # the steps its reply cancelled.
    cancelled_by: Mapped[str | None] = mapped_column(String(40))
    # Its due time before an out-of-office reply moved it (the first move, when several did):
    # a correction of that reply puts it back (`lifecycle.refile`).
    postponed_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SequenceStep(Base):
    """One step of one lead's sequence: the scheduler's queue (see `sequences/scheduler.py`)."""

    __tablename__ = "sequence_steps"
    __table_args__ = (
        # A pass reads what is due, never what is enrolled.
        Index("ix_sequence_steps_due", "status", "not_before"),
        Index("ix_sequence_steps_campaign", "campaign_id", "status", "not_before"),
        Index("ix_sequence_steps_lead", "lead_id", "status"),
        Index("ix_sequence_steps_attempt", "attempt_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    status: Mapped[StepStatus] = mapped_column(String(20), default="scheduled")
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Step 0's is chosen when it is sent (rotation); every later step goes from the same one.
    mailbox_id: Mapped[str | None] = mapped_column(String(40))
    attempt_id: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(300))
    cancelled_by: Mapped[str | None] = mapped_column(String(40))
    postponed_from: Mapped[datetime | None] = mapped_column(UTCDateTime)  # as FollowUp's
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MailboxSlot(Base):
    """When a mailbox may next send a scheduled message (`min_interval_seconds`); locked FOR
    UPDATE on PostgreSQL so two workers cannot both take the same slot."""

    __tablename__ = "mailbox_slots"

    mailbox_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_send_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PolicyDecision(Base):
    """Every policy evaluation of a real send, allowed or blocked, with what it read (GDPR
    Art. 5(2) accountability). No foreign keys: it outlives the campaign and the lead."""

    __tablename__ = "policy_decisions"
    __table_args__ = (
        Index("ix_policy_decisions_workspace_at", "workspace_id", "at", "id"),
        Index("ix_policy_decisions_campaign", "campaign_id", "at"),
        Index("ix_policy_decisions_lead", "lead_id", "at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    campaign_id: Mapped[str | None] = mapped_column(String(40))
    lead_id: Mapped[str | None] = mapped_column(String(40))
    mailbox_id: Mapped[str | None] = mapped_column(String(40))
    recipient_email: Mapped[str | None] = mapped_column(String(320))
    allowed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(40))
    legal_basis: Mapped[str | None] = mapped_column(String(40))
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    limits: Mapped[dict[str, int]] = mapped_column(JSON)
