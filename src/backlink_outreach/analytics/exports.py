"""CSV exports of a campaign's leads, attempts and replies, streamed from a server-side cursor.

The request's own session is closed before a streamed body starts, so the generator opens its
own read-only session (`Database.read`). On SQLite that transaction starts with a
plain BEGIN, not the writers' `BEGIN IMMEDIATE`: a long export must not hold the write lock (WAL
lets the one SELECT read a consistent snapshot while others write). On PostgreSQL it is a READ
ONLY transaction on the app's pool, and streaming makes asyncpg use a server-side cursor.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Lead, OutreachAttempt, Placement, Reply
from ..outreach.service import attempt_of_a_lead
from . import csv_safety

ROWS_PER_FETCH = 1000
FLUSH_BYTES = 64 * 1024


@dataclass(frozen=True)
class ExportKind:
    model: Any
    fields: tuple[str, ...]
    order_by: tuple[str, ...]
    list_fields: tuple[str, ...] = ()  # JSON lists, joined and guarded in Python
    shown: Callable[[], ColumnElement[bool]] | None = None  # rows the API shows, when not all

    def query(self, campaign_id: str) -> Select[Any]:
        columns = [csv_safety.sql_cell(getattr(self.model, name)) for name in self.fields]
        order = [getattr(self.model, name) for name in self.order_by]
        shown = () if self.shown is None else (self.shown(),)
        return (
            select(*columns)
            .where(self.model.campaign_id == campaign_id, *shown)
            .order_by(*order)
            .execution_options(yield_per=ROWS_PER_FETCH)
        )


# Every field of the API object, in API.md's order, then the fields beyond it.
KINDS: dict[str, ExportKind] = {
    "leads": ExportKind(
        Lead,
        (
            "id",
            "campaign_id",
            "website_url",
            "domain",
            "website_title",
            "contact_email",
            "quality_score",
            "relevance_score",
            "guest_post_likelihood",
            "source",
            "status",
            "created_at",
            "updated_at",
            "contact_name",
            "notes",
            "consent",
            "target_url",
            "anchor_text",
        ),
        ("created_at", "id"),
    ),
    "attempts": ExportKind(
        OutreachAttempt,
        (
            "id",
            "campaign_id",
            "lead_id",
            "kind",
            "step",
            "sender_email",
            "recipient_email",
            "subject",
            "body",
            "message_id",
            "status",
            "legal_basis",
            "error",
            "created_at",
            "sent_at",
        ),
        ("created_at", "id"),
        shown=attempt_of_a_lead,
    ),
    "replies": ExportKind(
        Reply,
        (
            "id",
            "campaign_id",
            "lead_id",
            "attempt_id",
            "from_email",
            "subject",
            "snippet",
            "received_at",
            "classification",
            "confidence",
            "reasons",
            "bounce_type",
            "bounce_status",
            "bounce_recipient",
        ),
        ("received_at", "id"),
        list_fields=("reasons",),
    ),
    # The Placement object with its `link` flattened (`link_*`); each history entry is
    # "<at> <status> <http_status>".
    "placements": ExportKind(
        Placement,
        (
            "id",
            "lead_id",
            "campaign_id",
            "placement_url",
            "target_url",
            "status",
            "checked_at",
            "next_check_at",
            "http_status",
            "final_url",
            "link_href",
            "link_anchor_text",
            "link_rel",
            "link_in_content",
            "noindex",
            "robots_blocked",
            "canonical_url",
            "first_seen_at",
            "last_seen_at",
            "consecutive_misses",
            "history",
            "link_anchor_matches",
            "expected_anchor_text",
            "error",
            "lost_at",
            "created_at",
            "updated_at",
        ),
        ("created_at", "id"),
        list_fields=("link_rel", "history"),
    ),
}

SessionOpener = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def filename(campaign_id: str, kind: str) -> str:
    return f"{campaign_id}-{kind}.csv"


async def stream_csv(
    open_session: SessionOpener, kind: str, campaign_id: str
) -> AsyncIterator[bytes]:
    """The CSV bytes, in chunks of about FLUSH_BYTES; memory does not grow with row count."""
    spec = KINDS[kind]
    list_positions = [spec.fields.index(name) for name in spec.list_fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(spec.fields)
    async with open_session() as session:
        options: dict[str, Any] = {}
        if session.get_bind().dialect.name == "postgresql":
            # A server-side cursor needs a transaction (read sessions default to autocommit);
            # a read-only snapshot also makes the whole file consistent.
            options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        # Core rows straight from the connection: the ORM layer adds nothing for plain columns.
        connection = await session.connection(execution_options=options)
        result = await connection.stream(spec.query(campaign_id))
        async for partition in result.partitions():
            # Every other cell arrives rendered and guarded by the database (csv_safety.sql_cell).
            rows: Iterable[Sequence[Any]] = partition
            if list_positions:
                rows = (_render_lists(row, list_positions) for row in partition)
            writer.writerows(rows)
            if buffer.tell() >= FLUSH_BYTES:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _render_lists(row: Sequence[Any], positions: list[int]) -> list[Any]:
    values = list(row)
    for position in positions:
        values[position] = csv_safety.cell(values[position] or [])
    return values
