"""analytics: the indexes the analytics aggregates and the exports read through.

Each index makes one aggregate an index-only (covering) scan of a single campaign's rows, so the
figures stay fast at 100k leads / 300k attempts without loading rows:

- leads (campaign_id, status, id): leads_by_status; placed leads (and their ids, for the probe).
- outreach_attempts (campaign_id, status, lead_id, permanent_failure): contacted leads and sent
  attempts (grouped by lead_id), "this lead has a sent attempt" probes, permanent refusals.
- outreach_attempts (campaign_id, status, sent_at): daily_send_volume over a window.
- replies (campaign_id, lead_id, classification): replies_by_classification; replies grouped per
  lead in lead order (PostgreSQL merges that with the attempts index above).
- replies (campaign_id, bounce_type, attempt_id): hard-bounced attempts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES: list[tuple[str, str, list[str]]] = [
    ("ix_leads_campaign_status", "leads", ["campaign_id", "status", "id"]),
    (
        "ix_attempts_campaign_status_lead",
        "outreach_attempts",
        ["campaign_id", "status", "lead_id", "permanent_failure"],
    ),
    ("ix_attempts_campaign_status_sent", "outreach_attempts", ["campaign_id", "status", "sent_at"]),
    ("ix_replies_campaign_lead_class", "replies", ["campaign_id", "lead_id", "classification"]),
    ("ix_replies_campaign_bounce", "replies", ["campaign_id", "bounce_type", "attempt_id"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
