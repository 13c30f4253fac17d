"""Inserting many leads at once, skipping any whose domain is already in the campaign (also one
added by a concurrent request a moment ago)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import String, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..db import insert_for
from ..models import Lead

_TABLE = cast(Table, Lead.__table__)
_COLUMNS = tuple(column.name for column in _TABLE.columns)
_CONFLICT = "ON CONFLICT (campaign_id, domain) DO NOTHING"
_SQLITE_INSERT = (
    f"INSERT INTO leads ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    f"{_CONFLICT}"
)

Processor = Callable[[Any], Any]


async def insert_new(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert the rows (dicts of every column); return how many were inserted."""
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
    Rows come out of unnest in array order, so within a batch the first row of a domain wins,
    as with a VALUES list, and ON CONFLICT DO NOTHING skips the rest. The count is the
    statement's own ("INSERT 0 n"), no ids sent back."""
    columns = [[row[name] for row in rows] for name in _COLUMNS]
    for index, processor in _binders(connection.dialect):
        columns[index] = _processed(columns[index], processor)
    result = await connection.exec_driver_sql(_unnest_insert(connection.dialect), tuple(columns))
    return max(result.rowcount, 0)


_UNNEST_INSERTS: dict[str, str] = {}


def _unnest_insert(dialect: Dialect) -> str:
    """`INSERT INTO leads (...) SELECT * FROM unnest($1::text[], ...) ON CONFLICT ...`, built
    once. Strings go as `text[]`, not `varchar(n)[]`: a cast to varchar(n) would cut an
    overlong value short, where storing it into the column refuses it, as a plain INSERT does."""
    sql = _UNNEST_INSERTS.get(dialect.name)
    if sql is None:
        arrays = ", ".join(
            f"${n}::{_array_element(column.type, dialect)}[]"
            for n, column in enumerate(_TABLE.columns, start=1)
        )
        sql = _UNNEST_INSERTS[dialect.name] = (
            f"INSERT INTO leads ({', '.join(_COLUMNS)}) SELECT * FROM unnest({arrays}) {_CONFLICT}"
        )
    return sql


def _array_element(type_: Any, dialect: Dialect) -> str:
    return "text" if isinstance(type_, String) else str(type_.compile(dialect=dialect))


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
        if (processor := _bind_processor(dialect, name)) is not None
    ]


def _bind_processor(dialect: Dialect, name: str) -> Processor | None:
    """What SQLAlchemy runs on the column's values for this dialect (the public spelling of
    its own cached lookup: the dialect's implementation of the type, then its processor)."""
    processor: Processor | None = (
        _TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    )
    return processor
