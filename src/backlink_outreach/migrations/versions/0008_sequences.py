"""part 2 operations: sequences, the decision log, the inbox, lead sorts, send history.

- `campaigns.status`, `timezone`, `send_window`, `sequence` (sequences and pausing).
- `sequence_steps`: the scheduler's queue, due rows found through `(status, not_before)`.
- `mailbox_slots`: when each mailbox may next send a scheduled message.
- `policy_decisions`: every policy evaluation of a real send.
- `outreach_attempts` lose their foreign keys to campaigns and leads, so deleting either keeps
  the send ledger policy counts; `lead_domain` serves the recontact cool-down.
- `follow_ups.cancelled_by`: the event (a reply) that cancelled a step, for corrections.
- `leads.authority` and an index per sortable lead column.
- `replies`: `campaign_id`/`lead_id` nullable (unmatched mail), the full text, headers,
  `referral_email`, `mailbox_id`, `unmatched`, `corrections`; an inbox index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_LEAD_SORTS = {
    "ix_leads_campaign_updated": "updated_at",
    "ix_leads_campaign_quality": "quality_score",
    "ix_leads_campaign_relevance": "relevance_score",
    "ix_leads_campaign_likelihood": "guest_post_likelihood",
    "ix_leads_campaign_authority": "authority",
}


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=20), server_default="active", nullable=False)
        )
        batch.add_column(
            sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False)
        )
        batch.add_column(sa.Column("send_window", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("sequence", sa.JSON(), nullable=True))
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("authority", sa.Integer(), nullable=True))
    for name, column in _LEAD_SORTS.items():
        op.create_index(name, "leads", ["campaign_id", column, "id"])
    with op.batch_alter_table("outreach_attempts") as batch:
        batch.drop_constraint("fk_outreach_attempts_campaign_id_campaigns", type_="foreignkey")
        batch.drop_constraint("fk_outreach_attempts_lead_id_leads", type_="foreignkey")
        batch.add_column(sa.Column("lead_domain", sa.String(length=255), nullable=True))
    op.create_index(
        "ix_attempts_workspace_lead_domain",
        "outreach_attempts",
        ["workspace_id", "lead_domain", "created_at"],
    )
    with op.batch_alter_table("follow_ups") as batch:
        batch.add_column(sa.Column("cancelled_by", sa.String(length=40), nullable=True))
    with op.batch_alter_table("replies") as batch:
        batch.alter_column("campaign_id", existing_type=sa.String(length=40), nullable=True)
        batch.alter_column("lead_id", existing_type=sa.String(length=40), nullable=True)
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch.add_column(sa.Column("headers", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("referral_email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("mailbox_id", sa.String(length=40), nullable=True))
        batch.add_column(
            sa.Column("unmatched", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("corrections", sa.JSON(), server_default="[]", nullable=False))
    op.create_index(
        "ix_replies_workspace_received", "replies", ["workspace_id", "received_at", "id"]
    )
    op.create_table(
        "sequence_steps",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("lead_id", sa.String(length=40), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mailbox_id", sa.String(length=40), nullable=True),
        sa.Column("attempt_id", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("cancelled_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_sequence_steps_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_sequence_steps_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_steps")),
    )
    op.create_index("ix_sequence_steps_due", "sequence_steps", ["status", "not_before"])
    op.create_index(
        "ix_sequence_steps_campaign", "sequence_steps", ["campaign_id", "status", "not_before"]
    )
    op.create_index("ix_sequence_steps_lead", "sequence_steps", ["lead_id", "status"])
    op.create_index("ix_sequence_steps_attempt", "sequence_steps", ["attempt_id"])
    op.create_table(
        "mailbox_slots",
        sa.Column("mailbox_id", sa.String(length=40), nullable=False),
        sa.Column("next_send_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox_id", name=op.f("pk_mailbox_slots")),
    )
    op.create_table(
        "policy_decisions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=True),
        sa.Column("lead_id", sa.String(length=40), nullable=True),
        sa.Column("mailbox_id", sa.String(length=40), nullable=True),
        sa.Column("recipient_email", sa.String(length=320), nullable=True),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("legal_basis", sa.String(length=40), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("limits", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_decisions")),
    )
    op.create_index(
        "ix_policy_decisions_workspace_at", "policy_decisions", ["workspace_id", "at", "id"]
    )
    op.create_index("ix_policy_decisions_campaign", "policy_decisions", ["campaign_id", "at"])
    op.create_index("ix_policy_decisions_lead", "policy_decisions", ["lead_id", "at"])


def downgrade() -> None:
    op.drop_table("policy_decisions")
    op.drop_table("mailbox_slots")
    op.drop_table("sequence_steps")
    op.drop_index("ix_replies_workspace_received", table_name="replies")
    with op.batch_alter_table("replies") as batch:
        for column in (
            "corrections",
            "unmatched",
            "mailbox_id",
            "referral_email",
            "headers",
            "body",
            "text",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("follow_ups") as batch:
        batch.drop_column("cancelled_by")
    op.drop_index("ix_attempts_workspace_lead_domain", table_name="outreach_attempts")
    with op.batch_alter_table("outreach_attempts") as batch:
        batch.drop_column("lead_domain")
    for name in _LEAD_SORTS:
        op.drop_index(name, table_name="leads")
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("authority")
    with op.batch_alter_table("campaigns") as batch:
        for column in ("sequence", "send_window", "timezone", "status"):
            batch.drop_column(column)
