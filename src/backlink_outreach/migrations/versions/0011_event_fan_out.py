"""the webhook fan-out moves to the delivery duty (issue 18): `endpoint_ids` on `events`, the
endpoints an event is for until the duty has made their deliveries, and the partial index the
duty finds such events by. Events already fanned out keep NULL.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TO_FAN_OUT = sa.text("endpoint_ids IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("endpoint_ids", sa.Text(), nullable=True))
    op.create_index(
        "ix_events_to_fan_out",
        "events",
        ["id"],
        postgresql_where=_TO_FAN_OUT,
        sqlite_where=_TO_FAN_OUT,
    )


def downgrade() -> None:
    op.drop_index("ix_events_to_fan_out", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("endpoint_ids")
