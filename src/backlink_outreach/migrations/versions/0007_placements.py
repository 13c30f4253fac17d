"""placements: verifying and watching the link (issue 17).

- `leads.target_url`, `leads.anchor_text`: the page of ours the link should point to, and the
  anchor text expected.
- `placements`: one per lead, the page that carries the link, the last check's findings, the
  re-check duty's due time (`next_check_at`, indexed) and the last 20 checks (`history`, JSON).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("target_url", sa.String(length=2048), nullable=True))
        batch.add_column(sa.Column("anchor_text", sa.String(length=500), nullable=True))
    op.create_table(
        "placements",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=False),
        sa.Column("lead_id", sa.String(length=40), nullable=False),
        sa.Column("placement_url", sa.String(length=2048), nullable=False),
        sa.Column("target_url", sa.String(length=2048), nullable=False),
        sa.Column("expected_anchor_text", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.String(length=2048), nullable=True),
        sa.Column("error", sa.String(length=100), nullable=True),
        sa.Column("link_href", sa.String(length=2048), nullable=True),
        sa.Column("link_anchor_text", sa.String(length=500), nullable=True),
        sa.Column("link_rel", sa.JSON(), nullable=True),
        sa.Column("link_in_content", sa.Boolean(), nullable=True),
        sa.Column("link_anchor_matches", sa.Boolean(), nullable=True),
        sa.Column("link_nofollow", sa.Boolean(), nullable=False),
        sa.Column("noindex", sa.Boolean(), nullable=True),
        sa.Column("robots_blocked", sa.Boolean(), nullable=False),
        sa.Column("canonical_url", sa.String(length=2048), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_misses", sa.Integer(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_placements_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_placements_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placements")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_placements_lead_id")),
    )
    op.create_index("ix_placements_due", "placements", ["next_check_at"])
    op.create_index(
        "ix_placements_campaign_created", "placements", ["campaign_id", "created_at", "id"]
    )
    op.create_index(
        "ix_placements_campaign_status", "placements", ["campaign_id", "status", "link_nofollow"]
    )
    op.create_index(
        "ix_placements_workspace_created", "placements", ["workspace_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_placements_workspace_created", table_name="placements")
    op.drop_index("ix_placements_campaign_status", table_name="placements")
    op.drop_index("ix_placements_campaign_created", table_name="placements")
    op.drop_index("ix_placements_due", table_name="placements")
    op.drop_table("placements")
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("anchor_text")
        batch.drop_column("target_url")
