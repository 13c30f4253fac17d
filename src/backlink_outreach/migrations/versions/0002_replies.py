"""replies: mailbox lease owner, attribution of inbound messages, bounce-recipient index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mailbox_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workspace_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("campaign_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("error", sa.String(length=200), nullable=True))
    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_replies_bounce_recipient", ["workspace_id", "bounce_recipient"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.drop_index("ix_replies_bounce_recipient")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_column("error")
        batch_op.drop_column("campaign_id")
        batch_op.drop_column("workspace_id")
    with op.batch_alter_table("mailbox_states", schema=None) as batch_op:
        batch_op.drop_column("lease_owner")
