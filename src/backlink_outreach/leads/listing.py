"""`GET /campaigns/{id}/leads`: a campaign's leads, filtered, sorted and paged (API.md part 2,
"Everyday operations" and "Lists: filters and pages").

Which index serves which page (PostgreSQL 15, EXPLAIN ANALYZE, one campaign of 100,000 leads
among 120,000, a page of 50, half the leads `discovered`, a tenth without each score):

| sort (either direction)  | index, for every filter (none, `status`, `q`, both)  |
|--------------------------|------------------------------------------------------|
| `created_at` (default)   | `ix_leads_campaign_created` (campaign_id, created_at, id) |
| `updated_at`             | `ix_leads_campaign_updated` (campaign_id, updated_at, id) |
| `quality_score`          | `ix_leads_campaign_quality` (..., quality_score, id) |
| `relevance_score`        | `ix_leads_campaign_relevance` (..., relevance_score, id) |
| `guest_post_likelihood`  | `ix_leads_campaign_likelihood` (..., guest_post_likelihood, id) |
| `authority`              | `ix_leads_campaign_authority` (..., authority, id)   |

Every shape is an index range scan in the page's order from the cursor, stopped by `LIMIT n +
1`; `status` and `q` are filters on the rows it reads (0.1-0.3 ms unfiltered, 1-2 ms with
`status` or `q` alone, 4-25 ms with both at about 1% of the leads matching: the cost is the
rows read before 51 match). `ix_leads_campaign_status` is no longer chosen for a list page.
Descending scores are read in two ranges on PostgreSQL (`_descending_nulls_last`): as one
`ORDER BY score DESC NULLS LAST` no index matched, and every shape was a scan and sort of the
whole campaign (27-500 ms). `q` is a substring, so no B-tree narrows it; on PostgreSQL a
`pg_trgm` GIN index on the four columns would serve rare matches (a migration's work).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, NamedTuple, cast, get_args

from sqlalchemy import (
    ColumnElement,
    Dialect,
    Integer,
    Select,
    Table,
    bindparam,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from .. import pages
from ..auth import Principal
from ..database import Database
from ..errors import NotFound, Unprocessable
from ..models import Campaign, Lead, LeadStatus
from ..rows import Driver, DriverQuery, driver_of, on_driver
from ..tenancy import in_workspaces, lookup_params
from .schemas import LeadOut, LeadRow

LeadSort = Literal[
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "quality_score",
    "-quality_score",
    "relevance_score",
    "-relevance_score",
    "guest_post_likelihood",
    "-guest_post_likelihood",
    "authority",
    "-authority",
]
DEFAULT_SORT: LeadSort = "created_at"

_LEADS = cast(Table, Lead.__table__)
_CAMPAIGNS = cast(Table, Campaign.__table__)
_FIELDS = tuple(LeadOut.model_fields)
_ROW = select(*(_LEADS.c[name] for name in _FIELDS))
_CAMPAIGN = select(_CAMPAIGNS.c.id).where(
    _CAMPAIGNS.c.id == bindparam("id"), in_workspaces(_CAMPAIGNS.c.workspace_id)
)
# The campaign's leads, if it is the caller's: a lead has its campaign's workspace, so the page
# itself says whether the campaign is theirs whenever it has rows (`_checked`).
_IN_CAMPAIGN = _ROW.where(
    _LEADS.c.campaign_id == bindparam("id"), in_workspaces(_LEADS.c.workspace_id)
)
# Scores may be missing (NULL): they come last in either direction.
_NULLABLE = frozenset({"quality_score", "relevance_score", "guest_post_likelihood", "authority"})
KEYSETS: dict[str, pages.Keyset] = {
    sort: pages.Keyset(
        sort.lstrip("-"),
        _LEADS.c[sort.lstrip("-")],
        _LEADS.c.id,
        descending=sort.startswith("-"),
        nullable=sort.lstrip("-") in _NULLABLE,
    )
    for sort in get_args(LeadSort)
}
_SEARCHED = ("domain", "website_title", "contact_email", "contact_name")


def _pattern(q: str) -> str:
    """`q` as a LIKE pattern for a substring, its own LIKE wildcards escaped."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(patterns: Sequence[Any]) -> ColumnElement[bool]:
    """A case-blind LIKE of each searched column against its pattern (a value or a bound
    parameter): any of them matches."""
    columns = (_LEADS.c[name] for name in _SEARCHED)
    return or_(*(column.ilike(p, escape="\\") for column, p in zip(columns, patterns, strict=True)))


def _matches(q: str) -> ColumnElement[bool]:
    """`q` as a case-blind substring of any searched column (LIKE wildcards in it escaped)."""
    return _matching([_pattern(q)] * len(_SEARCHED))


def _descending_nulls_last(
    statement: Any, keyset: pages.Keyset, after: tuple[Any, Any] | None
) -> list[Any]:
    """`-score` on PostgreSQL as two index ranges, read in turn: a B-tree read backwards
    yields `DESC NULLS FIRST`, so `ORDER BY score DESC NULLS LAST` sorted every lead of the
    campaign (150-500 ms at 100,000 leads). The scored leads come first (backwards along
    `(campaign_id, score, id)` from the cursor), then, only when they do not fill the page,
    the unscored ones (`score IS NULL`, backwards by id). Same rows, order and cursors as
    `keyset.apply`; SQLite reads its index backwards with NULLs last already.

    `after` is the cursor's last row as SQL (its value, None when it had no score, and its id;
    literals or bound parameters), or None for the first page."""
    column, ids = keyset.column, keyset.id_column
    scored: Any = statement.where(column.is_not(None))
    missing: Any = statement.where(column.is_(None))
    if after is not None:
        value, row = after
        if value is None:  # into the unscored already
            scored = None
            missing = missing.where(ids < row)
        else:  # a row comparison: an index range, not a filter
            scored = scored.where(tuple_(column, ids) < tuple_(value, row))
    return [
        part.order_by(column.desc(), ids.desc()) for part in (scored, missing) if part is not None
    ]


def _split(keyset: pages.Keyset, dialect: Dialect) -> bool:
    """Whether the page is read in two ranges (`_descending_nulls_last`)."""
    return keyset.descending and keyset.nullable and dialect.name == "postgresql"


async def list_leads(
    connection: AsyncConnection,
    principal: Principal,
    campaign_id: str,
    page: pages.Page,
    *,
    status: LeadStatus | None = None,
    q: str | None = None,
    sort: LeadSort = DEFAULT_SORT,
) -> list[LeadRow]:
    """One page of the campaign's leads (plus the row past the limit that `pages.finish`
    looks for); 404 unless the campaign is in one of the caller's workspaces."""
    run = _driver_page if page.limit is not None and on_driver(connection) else _general_page
    return await run(connection, principal, campaign_id, page, status=status, q=q, sort=sort)


async def _checked(
    page: Awaitable[list[LeadRow]], campaign_is_callers: Callable[[], Awaitable[bool]]
) -> list[LeadRow]:
    """The page's rows, 404 unless the campaign is the caller's. Its statements carry the
    tenancy condition (`_IN_CAMPAIGN`), so rows prove the campaign the caller's, and the
    campaign is looked up only when they cannot tell: when the page is empty (no lead matches,
    or not the caller's campaign) and on a bad cursor (an unknown or other tenant's campaign
    is 404 before the cursor's 422). One statement instead of two on a page with rows."""
    try:
        found = await page
    except Unprocessable:
        if not await campaign_is_callers():
            raise NotFound() from None
        raise
    if not found and not await campaign_is_callers():
        raise NotFound()
    return found


async def _general_page(
    connection: AsyncConnection,
    principal: Principal,
    campaign_id: str,
    page: pages.Page,
    *,
    status: LeadStatus | None = None,
    q: str | None = None,
    sort: LeadSort = DEFAULT_SORT,
) -> list[LeadRow]:
    """`list_leads` through SQLAlchemy's execution: the statement built for the request."""
    params = lookup_params(principal, id=campaign_id)

    async def campaign_is_callers() -> bool:
        return (await connection.execute(_CAMPAIGN, params)).first() is not None

    async def read() -> list[LeadRow]:
        statement: Any = _IN_CAMPAIGN
        if status is not None:
            statement = statement.where(_LEADS.c.status == status)
        if q:
            statement = statement.where(_matches(q))
        keyset = KEYSETS[sort]
        if not _split(keyset, connection.dialect) or page.limit is None:
            rows = await connection.execute(keyset.apply(statement, page), params)
            return [LeadRow(*row) for row in rows]
        after = None
        if page.cursor is not None:
            value, row_id = keyset.decode(page.cursor)
            shown = None if value is None else literal(value, keyset.column.type)
            after = (shown, literal(row_id, keyset.id_column.type))
        wanted = page.limit + 1
        found: list[LeadRow] = []
        for part in _descending_nulls_last(statement, keyset, after):
            rows = await connection.execute(part.limit(wanted - len(found)), params)
            found += [LeadRow(*row) for row in rows]
            if len(found) == wanted:
                break
        return found

    return await _checked(read(), campaign_is_callers)


# The fast path (fast_paths.py): each shape of request (sort, which filters, which kind of
# cursor) has its statements built once with named parameters and run as `rows.DriverQuery`s
# (compiled once per dialect, on the driver connection; see `rows.py` for what that saves). No
# transaction: on PostgreSQL the read connection is in autocommit already, and the campaign
# check (when `_checked` needs it) and the page need no shared snapshot. Same SQL, parameters
# and rows as `_general_page`: tests hold them so, page by page, for every sort, filter and kind
# of cursor.


class _Shape(NamedTuple):
    """What decides a page's SQL: everything but the values."""

    sort: LeadSort
    status: bool
    q: bool
    after: Literal["none", "value", "null"]  # the cursor: none, or its last row's value kind
    split: bool  # read in two ranges (`_descending_nulls_last`)


_Q_NAMES = tuple(f"q_{name}" for name in _SEARCHED)


def _shape_statements(shape: _Shape) -> list[Select[Any]]:
    """The statements of a shape, in reading order, with named parameters: `_IN_CAMPAIGN`'s
    (`tenancy.lookup_params`), `status`, `q_<column>` (one pattern per searched column),
    `after_value`, `after_id` and `limit`."""
    keyset = KEYSETS[shape.sort]
    statement: Any = _IN_CAMPAIGN
    if shape.status:
        statement = statement.where(_LEADS.c.status == bindparam("status"))
    if shape.q:
        statement = statement.where(_matching([bindparam(name) for name in _Q_NAMES]))
    value = None
    if shape.after == "value":
        value = bindparam("after_value", type_=keyset.column.type)
    row = bindparam("after_id", type_=keyset.id_column.type)
    limit = bindparam("limit", type_=Integer)
    if shape.split:
        after = None if shape.after == "none" else (value, row)
        return [part.limit(limit) for part in _descending_nulls_last(statement, keyset, after)]
    if shape.after != "none":
        statement = statement.where(keyset.after_sql(value, row))
    return [statement.order_by(*keyset.order_by()).limit(limit)]


# Compiled per (dialect name, driver) and shape, on first use: at most 12 sorts x 2 x 2 x 3
# cursor kinds x 2 shapes, a few hundred small entries.
_COMPILED: dict[tuple[str, str, _Shape | None], list[DriverQuery]] = {}


def _compiled(dialect: Dialect, shape: _Shape | None) -> list[DriverQuery]:
    """The shape's queries for this dialect (None: the campaign check)."""
    key = (dialect.name, dialect.driver, shape)
    queries = _COMPILED.get(key)
    if queries is None:
        statements = [_CAMPAIGN] if shape is None else _shape_statements(shape)
        queries = _COMPILED[key] = [DriverQuery(s, dialect) for s in statements]
    return queries


def _shape_and_values(
    sort: LeadSort,
    page: pages.Page,
    params: dict[str, str],
    status: LeadStatus | None,
    q: str | None,
    split: bool,
) -> tuple[_Shape, dict[str, Any]]:
    """The request's shape and its parameter values, from `_IN_CAMPAIGN`'s `params` on (a bad
    cursor is the same 422)."""
    keyset = KEYSETS[sort]
    values: dict[str, Any] = dict(params)
    if status is not None:
        values["status"] = status
    if q:
        pattern = _pattern(q)
        values.update(dict.fromkeys(_Q_NAMES, pattern))
    after: Literal["none", "value", "null"] = "none"
    if page.cursor is not None:
        value, values["after_id"] = keyset.decode(page.cursor)
        after = "null" if value is None else "value"
        if value is not None:
            values["after_value"] = value
    return _Shape(sort, status is not None, bool(q), after, split), values


async def list_leads_leased(
    database: Database,
    principal: Principal,
    campaign_id: str,
    page: pages.Page,
    *,
    status: LeadStatus | None = None,
    q: str | None = None,
    sort: LeadSort = DEFAULT_SORT,
) -> list[LeadRow]:
    """`list_leads` for a request that holds no connection: on a driver connection leased from
    the pool (`Database.driver`) where the fast path runs, else on `Database.connection()`."""
    if page.limit is not None:
        async with database.driver() as driver:
            if driver is not None:
                return await _page_on_driver(
                    driver, principal, campaign_id, page, status=status, q=q, sort=sort
                )
    async with database.connection() as connection:
        return await list_leads(
            connection, principal, campaign_id, page, status=status, q=q, sort=sort
        )


async def _driver_page(connection: AsyncConnection, *args: Any, **filters: Any) -> list[LeadRow]:
    """`_page_on_driver` on the driver connection under `connection` (`list_leads`)."""
    driver = Driver(await driver_of(connection), connection.dialect)
    return await _page_on_driver(driver, *args, **filters)


async def _page_on_driver(
    on: Driver,
    principal: Principal,
    campaign_id: str,
    page: pages.Page,
    *,
    status: LeadStatus | None = None,
    q: str | None = None,
    sort: LeadSort = DEFAULT_SORT,
) -> list[LeadRow]:
    """The page on a driver connection: the same statements, compiled once per shape."""
    limit = page.limit
    assert limit is not None
    dialect = on.dialect
    params = lookup_params(principal, id=campaign_id)
    driver = on.connection

    async def campaign_is_callers() -> bool:
        (check,) = _compiled(dialect, None)
        return bool(await check.rows(driver, params))

    async def read() -> list[LeadRow]:
        split = _split(KEYSETS[sort], dialect)
        shape, values = _shape_and_values(sort, page, params, status, q, split)
        wanted = limit + 1
        found: list[LeadRow] = []
        for part in _compiled(dialect, shape):
            values["limit"] = wanted - len(found)
            found += [LeadRow(*row) for row in await part.rows(driver, values)]
            if len(found) == wanted:
                break
        return found

    return await _checked(read(), campaign_is_callers)
