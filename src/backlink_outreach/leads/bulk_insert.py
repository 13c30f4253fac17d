"""Inserting many leads at once, skipping any whose domain is already in the campaign (also one
added by a concurrent request a moment ago)."""

from __future__ import annotations

import functools
import itertools
import operator
from typing import Any, cast

from sqlalchemy import String, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..db import insert_for
from ..models import Lead
from ..rows import Processor, bind_processor

_TABLE = cast(Table, Lead.__table__)
_COLUMNS = tuple(column.name for column in _TABLE.columns)
_ID = _COLUMNS.index("id")
_CONFLICT = "ON CONFLICT (campaign_id, domain) DO NOTHING"
_SQLITE_INSERT = (
    f"INSERT INTO leads ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    f"{_CONFLICT}"
)


async def insert_new(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert the rows (dicts of every column); return how many were inserted."""
    if not rows:  # no statement has an empty form on every route
        return 0
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        return await _insert_sqlite(connection, rows)
    if connection.dialect.driver == "asyncpg":
        return await _insert_asyncpg(connection, rows)
    return await _insert_general(session, rows)


async def _insert_general(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """The route every fast path here must agree with: SQLAlchemy's own INSERT, one row of
    parameters per lead (its "insertmanyvalues" batching, one cached statement)."""
    stmt = (
        insert_for(session, _TABLE)
        .on_conflict_do_nothing(index_elements=["campaign_id", "domain"])
        .returning(_TABLE.c.id)
    )
    result = await session.execute(stmt, rows)
    return len(result.scalars().all())


async def _insert_sqlite(connection: AsyncConnection, rows: list[dict[str, Any]]) -> int:
    """sqlite3's own executemany, with each value bound as SQLAlchemy would bind it. SQLAlchemy's
    per-row parameter processing was a quarter of a 10,000-lead bulk add on SQLite, and the
    values that need processing (the two times, shared by every row) repeat."""
    binders = _binders(connection.dialect)
    bound: dict[tuple[int, Any], Any] = {}
    params = []
    for row in rows:
        values = [row[name] for name in _COLUMNS]
        for index, processor in binders:
            key = (index, values[index])
            if key not in bound:
                bound[key] = processor(values[index])
            values[index] = bound[key]
        params.append(tuple(values))
    result = await connection.exec_driver_sql(_SQLITE_INSERT, params)
    return max(result.rowcount, 0)


async def _insert_asyncpg(connection: AsyncConnection, rows: list[dict[str, Any]]) -> int:
    """The whole batch as ONE statement over one array per column (`INSERT ... SELECT FROM
    unnest(...)`), each value bound as SQLAlchemy would bind it. SQLAlchemy's insertmanyvalues
    spent about 1 s of client CPU on the 100,000 rows of a CSV import, processing each row's
    parameters and sending them in several statements one after the other; asyncpg encodes
    arrays in C, and one round trip per batch lets the next batch be validated meanwhile.

    A column with one value in every row (the campaign, the times, the status, a field no row
    has) goes as one value, not an array: encoding array elements was most of what remained of
    the client's time, and it is time the database waits for the next batch. `id` always goes
    as an array, so unnest yields one row per lead.

    Rows come out of unnest in array order, so within a batch the first row of a domain wins,
    as with a VALUES list, and ON CONFLICT DO NOTHING skips the rest. The count is the
    statement's own ("INSERT 0 n"), no ids sent back."""
    columns = [[row[name] for row in rows] for name in _COLUMNS]
    for index, processor in _binders(connection.dialect):
        columns[index] = _processed(columns[index], processor)
    shared = tuple(index != _ID and _one_value(values) for index, values in enumerate(columns))
    params = tuple(
        values[0] if one else values for values, one in zip(columns, shared, strict=True)
    )
    result = await connection.exec_driver_sql(
        _unnest_insert(_elements(connection.dialect), shared), params
    )
    return max(result.rowcount, 0)


def _one_value(values: list[Any]) -> bool:
    """Whether every value is the first: the very object, or for text the same characters.
    Equality alone would not do: 0.0 == -0.0, which PostgreSQL stores apart. (Both checks run
    in C: `list.count`, and `map` over `operator.is_`.)"""
    first = values[0]
    if isinstance(first, str):
        return values.count(first) == len(values)
    return all(map(operator.is_, values, itertools.repeat(first)))


_ELEMENTS: dict[str, tuple[str, ...]] = {}


def _elements(dialect: Dialect) -> tuple[str, ...]:
    """Each column's type as the statement casts it, per backend. Strings go as `text`, not
    `varchar(n)`: a cast to varchar(n) would cut an overlong value short, where storing it
    into the column refuses it, as a plain INSERT does."""
    elements = _ELEMENTS.get(dialect.name)
    if elements is None:
        elements = _ELEMENTS[dialect.name] = tuple(
            "text" if isinstance(column.type, String) else str(column.type.compile(dialect=dialect))
            for column in _TABLE.columns
        )
    return elements


@functools.lru_cache(maxsize=256)
def _unnest_insert(elements: tuple[str, ...], shared: tuple[bool, ...]) -> str:
    """`INSERT INTO leads (...) SELECT u.id, $2::text, ... FROM unnest($1::text[], ...) AS
    u(id, ...) ON CONFLICT ...`: parameter n is column n, an array or (`shared`) one value.
    A few shapes in practice (which optional fields a file fills), each prepared once per
    connection."""
    selected: list[str] = []
    arrays: list[str] = []
    names: list[str] = []
    for n, (name, element, one) in enumerate(zip(_COLUMNS, elements, shared, strict=True), 1):
        if one:
            selected.append(f"${n}::{element}")
        else:
            selected.append(f"u.{name}")
            arrays.append(f"${n}::{element}[]")
            names.append(name)
    return (
        f"INSERT INTO leads ({', '.join(_COLUMNS)}) SELECT {', '.join(selected)} "
        f"FROM unnest({', '.join(arrays)}) AS u({', '.join(names)}) {_CONFLICT}"
    )


def _processed(values: list[Any], processor: Processor) -> list[Any]:
    """`processor` over a column's values, run once per distinct value (the two times and the
    consent flag repeat across a batch)."""
    bound: dict[Any, Any] = {}
    out = []
    for value in values:
        if value not in bound:
            bound[value] = processor(value)
        out.append(bound[value])
    return out


def _binders(dialect: Dialect) -> list[tuple[int, Processor]]:
    """The columns whose values SQLAlchemy processes on this dialect, with their processors."""
    return [
        (index, processor)
        for index, name in enumerate(_COLUMNS)
        if (processor := bind_processor(_TABLE.c[name].type, dialect)) is not None
    ]
