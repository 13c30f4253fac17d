"""discovery jobs (issue 19): a deep discovery queued by the API and run by a worker.

- `discovery_jobs`: the request, its status, live progress, results and save counts; the
  worker's lease (`lease_owner`, `next_run_at`: due while queued, the lease's end while
  running, indexed) and the workspace list's keyset index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discovery_jobs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("keyword", sa.String(length=200), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("max_results", sa.Integer(), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.Column("save_to_campaign", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("saved_to_campaign", sa.Integer(), nullable=False),
        sa.Column("already_in_campaign", sa.Integer(), nullable=False),
        sa.Column("save_failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_jobs")),
    )
    op.create_index("ix_discovery_jobs_due", "discovery_jobs", ["next_run_at"])
    op.create_index(
        "ix_discovery_jobs_workspace_created",
        "discovery_jobs",
        ["workspace_id", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_table("discovery_jobs")
