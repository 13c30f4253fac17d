"""mailboxes: each workspace sends from its own accounts (issue 13).

- `mailboxes`: a workspace's sending (and optionally reading) account. Secrets (SMTP/IMAP
  passwords, the DKIM private key) are stored only sealed (`mailboxes/secrets.py`).
- `mailbox_health`: the state that every mailbox has, `mbx_default` included (it has no
  `mailboxes` row): status, why it was paused, the last test. One row per mailbox id.
- `mailbox_recent_sends`: the ring of a mailbox's last 50 sends (slot = sequence % 50) and
  whether each hard-bounced: the bounce breaker reads at most 50 rows, never the history.
- `secrets_key_checks`: a value sealed under the current SECRETS_KEY, so that a start with
  another key (after `rotate-secrets-key`) is refused with a clear message.
- `outreach_attempts.mailbox_id`, `outreach_attempts.delivery` (`smtp` | `outbox`).
- `campaigns.mailbox_ids`: the mailboxes a campaign's sends rotate across.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailboxes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("from_email", sa.String(length=320), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=True),
        sa.Column("reply_to", sa.String(length=320), nullable=True),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("sender_website", sa.String(length=2048), nullable=True),
        sa.Column("postal_address", sa.Text(), nullable=True),
        sa.Column("smtp_host", sa.String(length=255), nullable=False),
        sa.Column("smtp_port", sa.Integer(), nullable=False),
        sa.Column("smtp_security", sa.String(length=10), nullable=False),
        sa.Column("smtp_username", sa.String(length=320), nullable=True),
        sa.Column("smtp_password_sealed", sa.Text(), nullable=True),
        sa.Column("imap_host", sa.String(length=255), nullable=True),
        sa.Column("imap_port", sa.Integer(), nullable=True),
        sa.Column("imap_security", sa.String(length=10), nullable=True),
        sa.Column("imap_username", sa.String(length=320), nullable=True),
        sa.Column("imap_folder", sa.String(length=255), nullable=True),
        sa.Column("imap_password_sealed", sa.Text(), nullable=True),
        sa.Column("dkim_domain", sa.String(length=255), nullable=True),
        sa.Column("dkim_selector", sa.String(length=63), nullable=True),
        sa.Column("dkim_private_key_sealed", sa.Text(), nullable=True),
        sa.Column("daily_cap", sa.Integer(), nullable=False),
        sa.Column("min_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("warmup_enabled", sa.Boolean(), nullable=False),
        sa.Column("warmup_start_per_day", sa.Integer(), nullable=False),
        sa.Column("warmup_increase_per_day", sa.Integer(), nullable=False),
        sa.Column("warmup_max_per_day", sa.Integer(), nullable=False),
        sa.Column("sent_folder", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailboxes")),
    )
    op.create_index(
        "ix_mailboxes_workspace_created", "mailboxes", ["workspace_id", "created_at", "id"]
    )
    op.create_table(
        "mailbox_health",
        sa.Column("mailbox_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("paused_reason", sa.String(length=40), nullable=True),
        # Sends recorded so far (sent, or permanently refused): the next ring slot.
        sa.Column("sends_recorded", sa.BigInteger(), nullable=False),
        # `sends_recorded` when it was last set active by hand: the breaker counts later sends.
        sa.Column("breaker_reset_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_test_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox_id", name=op.f("pk_mailbox_health")),
    )
    op.create_table(
        "mailbox_recent_sends",
        sa.Column("mailbox_id", sa.String(length=40), nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("attempt_id", sa.String(length=40), nullable=False),
        sa.Column("hard_bounce", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("mailbox_id", "slot", name=op.f("pk_mailbox_recent_sends")),
    )
    op.create_index(
        "ix_mailbox_recent_sends_attempt", "mailbox_recent_sends", ["attempt_id"], unique=True
    )
    op.create_table(
        "secrets_key_checks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secrets_key_checks")),
    )
    with op.batch_alter_table("outreach_attempts") as batch:
        batch.add_column(sa.Column("mailbox_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("delivery", sa.String(length=10), nullable=True))
    # Every earlier send went from the deployment's settings: the default mailbox.
    op.execute("UPDATE outreach_attempts SET mailbox_id = 'mbx_default'")
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column("mailbox_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("mailbox_ids")
    with op.batch_alter_table("outreach_attempts") as batch:
        batch.drop_column("delivery")
        batch.drop_column("mailbox_id")
    op.drop_table("secrets_key_checks")
    op.drop_index("ix_mailbox_recent_sends_attempt", table_name="mailbox_recent_sends")
    op.drop_table("mailbox_recent_sends")
    op.drop_table("mailbox_health")
    op.drop_index("ix_mailboxes_workspace_created", table_name="mailboxes")
    op.drop_table("mailboxes")
