"""Keyset pages for every list (API.md part 2, "Lists: filters and pages").

A list takes `limit` (1..1000) and an opaque `cursor`. When more rows exist, the response
carries `Link: <the same URL with cursor=...>; rel="next"` (RFC 8288) and `X-Next-Cursor`; the
body stays a plain JSON array. A page is "the rows after the last one shown, in the list's
order", never an offset, so rows inserted between two page requests cannot shift a row onto
the next page twice, or off it: every row that existed at the start is seen exactly once.

The cursor is base64url JSON `[sort, value, id]`: the name of the order it belongs to, the last
row's sort value (an ISO time, a number, or null) and its id. A cursor that does not decode, or
belongs to another order (`?sort=` changed between pages), is a 422 in API.md's format
(`loc: ["query", "cursor"]`, type `invalid_cursor`), never a 500.

Adopting it in a list (the query parameters come with the dependency, OpenAPI included):

    from .. import pages

    BY_CREATED = pages.Keyset("created_at", Thing.created_at, Thing.id)

    @router.get("/things", response_model=list[ThingOut])
    async def list_things(
        request: Request, response: Response, page: pages.NewList, session: SessionDep, ...
    ) -> list[ThingOut]:
        statement = BY_CREATED.apply(select(Thing).where(...), page)  # where, order, limit
        rows = list(await session.scalars(statement))
        rows = pages.finish(rows, page, BY_CREATED, request, response)
        return [ThingOut.model_validate(r) for r in rows]

- `pages.NewList`: a list new in part 2, `limit` defaults to 100.
- `pages.AllByDefault`: a part 1 list, which returns every row when `limit` is absent.
- A route that returns its own `Response` takes `shown, headers = pages.next_page(rows, page,
  BY_CREATED, request)` instead, and passes the headers to its response.
- `Keyset(name, column, id_column, descending=, nullable=)`: the order. `apply` adds the
  cursor's condition, `ORDER BY column, id` (both descending for `-column`; NULLs last in
  either direction, on both backends) and `LIMIT limit + 1` (the extra row says whether a next
  page exists). `finish` drops that extra row and sets the headers; rows are read with
  `getattr(row, name)` and `row.id`, or pass `key=` for other shapes (dicts).
- The id column must be unique; ties on the sort column are broken by it. An index on
  `(filter columns..., column, id)` serves the query (see the lead list in
  `leads/listing.py`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import msgspec
from fastapi import Depends, Query, Request, Response
from sqlalchemy import ColumnElement, DateTime, Select, and_, literal, or_, tuple_

from .errors import Unprocessable

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_CURSOR_CHARS = 600
_CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"
_MAX_ID_CHARS = 64

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """What the caller asked for: `limit` None means every row (part 1 lists only)."""

    limit: int | None
    cursor: str | None


_CURSOR_DOC = "Opaque: the `X-Next-Cursor` (or `Link` rel=next) of the previous page."

CursorQuery = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_CHARS, pattern=_CURSOR_PATTERN, description=_CURSOR_DOC),
]


async def _new_list_page(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Rows per page (1..1000, default 100).")
    ] = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page:
    return Page(limit, cursor)


async def _part_one_page(
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_LIMIT, description="Rows per page (1..1000); absent: every row."),
    ] = None,
    cursor: CursorQuery = None,
) -> Page:
    return Page(limit, cursor)


NewList = Annotated[Page, Depends(_new_list_page)]
AllByDefault = Annotated[Page, Depends(_part_one_page)]


def _bad_cursor(msg: str = "cursor is not one this API gave out") -> Unprocessable:
    return Unprocessable(msg, "invalid_cursor", ["query", "cursor"])


@dataclass(frozen=True)
class Keyset:
    """An order of a list: `column` then `id_column`, ascending or (`descending`) both
    descending, NULLs of a `nullable` column last either way."""

    name: str
    column: Any
    id_column: Any
    descending: bool = False
    nullable: bool = False

    @property
    def label(self) -> str:
        return f"-{self.name}" if self.descending else self.name

    def order_by(self) -> list[Any]:
        if self.descending:
            first = self.column.desc()
            return [first.nulls_last() if self.nullable else first, self.id_column.desc()]
        first = self.column.asc()
        return [first.nulls_last() if self.nullable else first, self.id_column.asc()]

    def encode(self, value: Any, row_id: str) -> str:
        shown = value.isoformat() if isinstance(value, datetime) else value
        # msgspec: compact JSON, a tenth of what `json.dumps` with separators costs per call.
        raw = msgspec.json.encode([self.label, shown, row_id])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str) -> tuple[Any, str]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            label, value, row_id = json.loads(raw)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise _bad_cursor() from None
        if label != self.label:
            raise _bad_cursor("cursor belongs to another sort order: start again without it")
        if not isinstance(row_id, str) or not row_id or len(row_id) > _MAX_ID_CHARS:
            raise _bad_cursor()
        if "\x00" in row_id:
            raise _bad_cursor()
        return self._value(value), row_id

    def _value(self, value: Any) -> Any:
        if value is None:
            if not self.nullable:
                raise _bad_cursor()
            return None
        column_type = self.column.type
        if isinstance(getattr(column_type, "impl", column_type), DateTime):
            if not isinstance(value, str):
                raise _bad_cursor()
            try:
                when = datetime.fromisoformat(value)
            except ValueError:
                raise _bad_cursor() from None
            if when.tzinfo is None:
                raise _bad_cursor()
            return when
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad_cursor()
        if value != value or value in (float("inf"), float("-inf")):
            raise _bad_cursor()
        return float(value)

    def after(self, value: Any, row_id: str) -> ColumnElement[bool]:
        """Rows strictly after (value, row_id) in this order."""
        bound = None if value is None else literal(value, self.column.type)
        return self.after_sql(bound, literal(row_id, self.id_column.type))

    def after_sql(self, bound: Any, row: Any) -> ColumnElement[bool]:
        """`after` for the cursor's value and id as SQL (literals, or bound parameters of a
        statement compiled once); `bound` None: the cursor's row had no value."""
        column, ids = self.column, self.id_column
        if bound is None:  # NULLs come last: only NULLs with a later id remain
            return and_(column.is_(None), ids < row if self.descending else ids > row)
        if not self.nullable:
            if self.descending:
                return tuple_(column, ids) < tuple_(bound, row)
            return tuple_(column, ids) > tuple_(bound, row)
        beyond = column < bound if self.descending else column > bound
        later_id = ids < row if self.descending else ids > row
        return or_(beyond, and_(column == bound, later_id), column.is_(None))

    def apply(self, statement: Select[Any], page: Page) -> Select[Any]:
        """`statement` from after the page's cursor, in this order, one row over the limit."""
        if page.cursor is not None:
            statement = statement.where(self.after(*self.decode(page.cursor)))
        statement = statement.order_by(*self.order_by())
        return statement if page.limit is None else statement.limit(page.limit + 1)


def next_page(
    rows: Sequence[T],
    page: Page,
    keyset: Keyset,
    request: Request,
    key: Callable[[T], tuple[Any, str]] | None = None,
) -> tuple[list[T], dict[str, str]]:
    """The page's rows (the extra row `apply` asked for dropped) and, when more exist, the
    headers that lead on: `Link` (rel="next", the same URL with `cursor` replaced) and
    `X-Next-Cursor`. For a route that returns its own `Response` (the msgspec fast paths)."""
    if page.limit is None or len(rows) <= page.limit:
        return list(rows), {}
    shown = list(rows[: page.limit])
    last: Any = shown[-1]
    value, row_id = key(last) if key else (getattr(last, keyset.name), last.id)
    cursor = keyset.encode(value, row_id)
    link = f'<{with_cursor(request, cursor)}>; rel="next"'
    return shown, {"Link": link, "X-Next-Cursor": cursor}


def finish(
    rows: Sequence[T],
    page: Page,
    keyset: Keyset,
    request: Request,
    response: Response,
    key: Callable[[T], tuple[Any, str]] | None = None,
) -> list[T]:
    """`next_page`, its headers set on the `response` FastAPI injected."""
    shown, headers = next_page(rows, page, keyset, request, key)
    response.headers.update(headers)
    return shown


def with_cursor(request: Request, cursor: str) -> str:
    """The request's URL with `cursor` replaced, written as Starlette's `include_query_params`
    writes it (the other parameters in their order, `cursor` last), from the query the request
    has parsed already instead of parsing it again (issue 15)."""
    kept = [(name, value) for name, value in request.query_params.multi_items() if name != "cursor"]
    return str(request.url.replace(query=urlencode([*kept, ("cursor", cursor)])))
