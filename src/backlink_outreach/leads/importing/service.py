"""A CSV file's rows added to a campaign by bulk add's rules, in one transaction.

Each row goes through bulk add's validation (`leads.service.validate_values`: the same `failed`
strings) and insert (`bulk_insert.insert_new`, which skips a domain already in the campaign),
then the lead count is kept (`counts.count_added`), as for bulk add. Rows are validated and
inserted a batch at a time, so memory holds one batch, not the file: duplicates, within the file
and against the campaign, are found by the insert itself (`ON CONFLICT DO NOTHING` on the
campaign's unique domain), not by a set of every domain seen.

A dry run is the same run, rolled back: it answers exactly what a real run would have added,
duplicates counted the same way, and leaves nothing behind. Any error half-way (a row past the
limit, an unreadable row) rolls back the whole file.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ...auth import Principal
from ...campaigns.service import get_campaign
from ...database import Database
from ...db import utcnow
from ...errors import Unprocessable
from ...models import Campaign
from .. import bulk_insert, counts, service
from . import columns, reading
from .schemas import ImportColumns, ImportResult
from .upload import Upload

MAX_ROWS = 100_000
# Rows per insert: large enough that per-statement costs vanish, small enough to hold.
BATCH = 2_000
# Validating is CPU work: hand the event loop over every so many rows, so that other requests
# (and the running insert) move on meanwhile.
_YIELD_EVERY = 100


class _RollBack(Exception):
    """Ends a dry run's transaction with a rollback, carrying its answer out."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("dry run")
        self.result = result


async def _add(
    session: AsyncSession, campaign: Campaign, table: reading.Table, column_map: columns.ColumnMap
) -> ImportResult:
    failed: list[str] = []
    valid = added = rows = 0
    batch: list[dict[str, Any]] = []
    # One batch's insert runs while the next batch is validated: the database's time (SQLite's
    # thread, or PostgreSQL's round trip) overlaps with ours, the insert moving on at each
    # yield below. One insert at a time on the session, never two.
    inserting: asyncio.Future[int] | None = None
    shared = service.shared_columns(campaign, utcnow())
    try:
        for index, cells in table.rows:
            entry = column_map.entry(cells)
            if entry is None:  # a row of blank cells: spreadsheets leave some at the end
                continue
            rows += 1
            if rows % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
            if rows > MAX_ROWS:
                raise Unprocessable(
                    f"The file has more than {MAX_ROWS:,} rows: split it into several imports.",
                    "too_many_rows",
                    ["body"],
                )
            checked = service.validate_values(index, entry)
            if isinstance(checked, str):
                failed.append(checked)
                continue
            values, domain = checked
            batch.append(service.new_row(shared, values, domain))
            if len(batch) >= BATCH:
                if inserting is not None:
                    added += await inserting
                inserting = asyncio.ensure_future(bulk_insert.insert_new(session, batch))
                # Let it start now, up to its wait for the database: the database has just
                # finished the last batch and would otherwise sit idle until the next yield.
                await asyncio.sleep(0)
                valid += len(batch)
                batch = []
        if inserting is not None:
            added += await inserting
            inserting = None
        if batch:
            added += await bulk_insert.insert_new(session, batch)
            valid += len(batch)
    finally:
        if inserting is not None:  # an error while it ran: let it end before the rollback
            with contextlib.suppress(Exception):
                await inserting
    await counts.count_added(session, campaign.id, added)
    answer = ImportColumns.model_validate(column_map.answer())
    return ImportResult(added=added, skipped=valid - added, failed=failed, columns=answer)


async def import_file(
    database: Database,
    principal: Principal,
    campaign_id: str,
    upload: Upload,
    mapping: dict[str, str] | None,
    mapping_loc: columns.Loc,
    *,
    dry_run: bool,
) -> ImportResult:
    """The file's rows into the campaign (404 unless it is the caller's); written only when
    every row was read and `dry_run` is false."""
    with reading.open_table(upload) as table:
        column_map = (
            columns.automatic(table.headers)
            if mapping is None
            else columns.explicit(table.headers, mapping, mapping_loc)
        )
        try:
            async with database.write() as session:
                campaign = await get_campaign(session, principal, campaign_id)
                result = await _add(session, campaign, table, column_map)
                if dry_run:
                    raise _RollBack(result)
        except _RollBack as rolled_back:
            return rolled_back.result
    return result
