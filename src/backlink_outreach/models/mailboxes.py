"""Mailboxes: the accounts a workspace sends from (and reads), and every mailbox's health.

`mbx_default` (the deployment's `SMTP_*`/`IMAP_*` settings) has no `mailboxes` row, only a
`mailbox_health` row: its status and breaker state live there as every mailbox's do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

MailboxStatus = Literal["active", "paused"]
Security = Literal["none", "starttls", "ssl"]
Delivery = Literal["smtp", "outbox"]

DEFAULT_MAILBOX_ID = "mbx_default"
# The bounce breaker's window: a mailbox's last RECENT_SENDS sends.
RECENT_SENDS = 50


class Mailbox(Base):
    __tablename__ = "mailboxes"
    __table_args__ = (Index("ix_mailboxes_workspace_created", "workspace_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    from_email: Mapped[str] = mapped_column(String(320))
    from_name: Mapped[str | None] = mapped_column(String(200))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    signature: Mapped[str | None] = mapped_column(Text)
    sender_website: Mapped[str | None] = mapped_column(String(2048))
    postal_address: Mapped[str | None] = mapped_column(Text)
    smtp_host: Mapped[str] = mapped_column(String(255))
    smtp_port: Mapped[int] = mapped_column(Integer)
    smtp_security: Mapped[Security] = mapped_column(String(10))
    smtp_username: Mapped[str | None] = mapped_column(String(320))
    smtp_password_sealed: Mapped[str | None] = mapped_column(Text)
    imap_host: Mapped[str | None] = mapped_column(String(255))
    imap_port: Mapped[int | None] = mapped_column(Integer)
    imap_security: Mapped[Security | None] = mapped_column(String(10))
    imap_username: Mapped[str | None] = mapped_column(String(320))
    imap_folder: Mapped[str | None] = mapped_column(String(255))
    imap_password_sealed: Mapped[str | None] = mapped_column(Text)
    dkim_domain: Mapped[str | None] = mapped_column(String(255))
    dkim_selector: Mapped[str | None] = mapped_column(String(63))
    dkim_private_key_sealed: Mapped[str | None] = mapped_column(Text)
    daily_cap: Mapped[int] = mapped_column(Integer, default=50)
    min_interval_seconds: Mapped[int] = mapped_column(Integer, default=90)
    warmup_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    warmup_start_per_day: Mapped[int] = mapped_column(Integer, default=5)
    warmup_increase_per_day: Mapped[int] = mapped_column(Integer, default=5)
    warmup_max_per_day: Mapped[int] = mapped_column(Integer, default=50)
    sent_folder: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MailboxHealth(Base):
    """Status and counters of one mailbox (own or `mbx_default`)."""

    __tablename__ = "mailbox_health"

    mailbox_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[MailboxStatus] = mapped_column(String(20), default="active")
    paused_reason: Mapped[str | None] = mapped_column(String(40))
    # Sends recorded so far (sent, or permanently refused): the next ring slot is this % 50.
    sends_recorded: Mapped[int] = mapped_column(BigInteger, default=0)
    # `sends_recorded` when it was last set active by hand: the breaker counts only later sends.
    breaker_reset_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_test_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MailboxRecentSend(Base):
    """The ring of a mailbox's last RECENT_SENDS sends: the breaker's window."""

    __tablename__ = "mailbox_recent_sends"
    __table_args__ = (Index("ix_mailbox_recent_sends_attempt", "attempt_id", unique=True),)

    mailbox_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)  # 1 for the mailbox's first recorded send
    attempt_id: Mapped[str] = mapped_column(String(40))
    hard_bounce: Mapped[bool] = mapped_column(Boolean, default=False)


class SecretsKeyCheck(Base):
    """A value sealed under the current SECRETS_KEY: a start with another key is refused."""

    __tablename__ = "secrets_key_checks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
