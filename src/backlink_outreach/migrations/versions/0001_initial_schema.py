"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("follow_up_days", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaigns_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "email_templates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("placeholders", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_templates")),
    )
    with op.batch_alter_table("email_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_templates_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "inbound_messages",
        sa.Column("message_key", sa.String(length=998), nullable=False),
        sa.Column("mailbox_id", sa.String(length=600), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_key", name=op.f("pk_inbound_messages")),
    )
    op.create_table(
        "mailbox_states",
        sa.Column("id", sa.String(length=600), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_states")),
    )
    op.create_table(
        "send_counters",
        sa.Column("sender_email", sa.String(length=320), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sender_email", "day", name=op.f("pk_send_counters")),
    )
    op.create_table(
        "suppressions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
        sa.UniqueConstraint(
            "workspace_id", "email", name=op.f("uq_suppressions_workspace_id_email")
        ),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("website_url", sa.String(length=2048), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("website_title", sa.String(length=500), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("quality_score", sa.Float(), nullable=True),
        sa.Column("relevance_score", sa.Float(), nullable=True),
        sa.Column("guest_post_likelihood", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_leads_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("campaign_id", "domain", name=op.f("uq_leads_campaign_id_domain")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_leads_campaign_created", ["campaign_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_leads_contact_email", ["contact_email"], unique=False)
        batch_op.create_index("ix_leads_workspace_domain", ["workspace_id", "domain"], unique=False)

    op.create_table(
        "outreach_attempts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("lead_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("sender_email", sa.String(length=320), nullable=False),
        sa.Column("recipient_email", sa.String(length=320), nullable=False),
        sa.Column("recipient_domain", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("subject_key", sa.String(length=1000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("in_reply_to", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("legal_basis", sa.String(length=40), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("smtp_code", sa.Integer(), nullable=True),
        sa.Column("permanent_failure", sa.Boolean(), nullable=False),
        sa.Column("send_day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_outreach_attempts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_outreach_attempts_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_attempts")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outreach_attempts_message_id")),
    )
    with op.batch_alter_table("outreach_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attempts_campaign_created", ["campaign_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_attempts_lead", ["lead_id"], unique=False)
        batch_op.create_index(
            "ix_attempts_recipient_subject",
            ["workspace_id", "recipient_email", "subject_key"],
            unique=False,
        )
        batch_op.create_index("ix_attempts_sender_day", ["sender_email", "send_day"], unique=False)
        batch_op.create_index(
            "ix_attempts_workspace_day", ["workspace_id", "send_day"], unique=False
        )

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("lead_id", sa.String(length=40), nullable=False),
        sa.Column("attempt_id", sa.String(length=40), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("sent_attempt_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["outreach_attempts.id"],
            name=op.f("fk_follow_ups_attempt_id_outreach_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_follow_ups_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_follow_ups_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sent_attempt_id"],
            ["outreach_attempts.id"],
            name=op.f("fk_follow_ups_sent_attempt_id_outreach_attempts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("attempt_id", "step", name=op.f("uq_follow_ups_attempt_id_step")),
    )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follow_ups_campaign", ["campaign_id", "scheduled_for", "id"], unique=False
        )
        batch_op.create_index("ix_follow_ups_due", ["status", "scheduled_for"], unique=False)
        batch_op.create_index("ix_follow_ups_lead", ["lead_id", "status"], unique=False)

    op.create_table(
        "replies",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("lead_id", sa.String(length=40), nullable=False),
        sa.Column("attempt_id", sa.String(length=40), nullable=True),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("from_email", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("classification", sa.String(length=30), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("bounce_type", sa.String(length=10), nullable=True),
        sa.Column("bounce_status", sa.String(length=20), nullable=True),
        sa.Column("bounce_recipient", sa.String(length=320), nullable=True),
        sa.Column("return_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["outreach_attempts.id"],
            name=op.f("fk_replies_attempt_id_outreach_attempts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_replies_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_replies_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replies")),
    )
    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.create_index("ix_replies_attempt", ["attempt_id"], unique=False)
        batch_op.create_index(
            "ix_replies_campaign_received", ["campaign_id", "received_at", "id"], unique=False
        )
        batch_op.create_index("ix_replies_lead", ["lead_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.drop_index("ix_replies_lead")
        batch_op.drop_index("ix_replies_campaign_received")
        batch_op.drop_index("ix_replies_attempt")

    op.drop_table("replies")
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_ups_lead")
        batch_op.drop_index("ix_follow_ups_due")
        batch_op.drop_index("ix_follow_ups_campaign")

    op.drop_table("follow_ups")
    with op.batch_alter_table("outreach_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_attempts_workspace_day")
        batch_op.drop_index("ix_attempts_sender_day")
        batch_op.drop_index("ix_attempts_recipient_subject")
        batch_op.drop_index("ix_attempts_lead")
        batch_op.drop_index("ix_attempts_campaign_created")

    op.drop_table("outreach_attempts")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_workspace_domain")
        batch_op.drop_index("ix_leads_contact_email")
        batch_op.drop_index("ix_leads_campaign_created")

    op.drop_table("leads")
    op.drop_table("suppressions")
    op.drop_table("send_counters")
    op.drop_table("mailbox_states")
    op.drop_table("inbound_messages")
    with op.batch_alter_table("email_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_templates_workspace_id"))

    op.drop_table("email_templates")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_workspace_id"))

    op.drop_table("campaigns")
