"""Statements on the driver connection: written once in SQLAlchemy, compiled once per dialect,
run on asyncpg or aiosqlite directly (reads by `DriverQuery` and `RowQuery`, the webhook
outbox's INSERT by `DriverInsert`).

Through SQLAlchemy's execution a SELECT pays, besides its SQL, for the statement's cache lookup,
an execution context and a result object, and on aiosqlite four thread hops (cursor, execute,
fetchall, close), 0.1-0.25 ms each in a request on this machine: a quarter of the client time of
a 500-lead read on asyncpg, most of a lead-list page's overhead on SQLite (issue 15).
`DriverQuery` sends the same SQL under the same connection (same transaction), with each value
through the bind and result processors SQLAlchemy itself would apply, so the rows are the ones
SQLAlchemy would return; `RowQuery[T]` builds a row type from them.

The driver route is taken only on asyncpg and aiosqlite, and only while nothing listens to the
engine's statement events: tracing tools (and the lead-list benchmark, which replays what a
request sent) hook those, and they see every statement when it goes through SQLAlchemy.

`leased_driver` lends the driver connection of a pooled connection, without SQLAlchemy's
`Connection` around it, to a read made only of `DriverQuery`s: 34 us for the lease and its
return against 87 us for `engine.connect()` and `driver_of`, measured alone (the lead-list
page, issue 15).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, Select, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import greenlet_spawn

T = TypeVar("T")
Processor = Callable[[Any], Any]

DRIVERS = frozenset({"aiosqlite", "asyncpg"})
# Listeners of these expect SQLAlchemy's own cursor and execution context.
_OBSERVING_EVENTS = (
    "before_execute",
    "after_execute",
    "before_cursor_execute",
    "after_cursor_execute",
)


def _observed(dispatch: Any) -> bool:
    return any(getattr(dispatch, name) for name in _OBSERVING_EVENTS)


def on_driver(connection: AsyncConnection) -> bool:
    """Whether statements on this connection may take the driver route."""
    if connection.dialect.driver not in DRIVERS:
        return False
    sync = connection.sync_connection
    return sync is not None and not _observed(sync.dispatch)


@dataclass(frozen=True)
class Driver:
    """A leased driver connection (asyncpg or aiosqlite) and the dialect to compile for."""

    connection: Any
    dialect: Dialect


@contextlib.asynccontextmanager
async def leased_driver(engine: AsyncEngine) -> AsyncIterator[Driver | None]:
    """The driver connection of a connection from `engine`'s pool, back in the pool (with the
    pool's own checks on the way out and in) when the block ends; None where the driver route
    may not be taken (another driver, or statements observed), and the caller reads through
    `engine.connect()` instead. Only for `DriverQuery` reads outside a transaction: no
    SQLAlchemy `Connection` is made, so its execution options are not applied."""
    sync_engine = engine.sync_engine
    if engine.dialect.driver not in DRIVERS or _observed(sync_engine.dispatch):
        yield None
        return
    pooled = await greenlet_spawn(sync_engine.raw_connection)
    try:
        yield Driver(pooled.driver_connection, engine.dialect)
    finally:
        await greenlet_spawn(pooled.close)


def bind_processor(type_: Any, dialect: Dialect) -> Processor | None:
    """What SQLAlchemy runs on a value of `type_` bound for this dialect (the public spelling of
    its own cached lookup: the dialect's implementation of the type, then its processor)."""
    processor: Processor | None = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


async def driver_of(connection: AsyncConnection) -> Any:
    """The asyncpg or aiosqlite connection under `connection` (its transaction, if any)."""
    return (await connection.get_raw_connection()).driver_connection


class DriverQuery:
    """A statement compiled once for a dialect, run on the driver connection: parameters
    through the bind processors SQLAlchemy would apply, result values through its result
    processors, each row a sequence of values in the statement's column order."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.dialect = dialect
        self.sql = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        # Values the compiler added itself, such as SQLite's `OFFSET 0`; every named one must
        # be given (a KeyError, never a silent NULL).
        self.fixed: dict[str, Any] = {
            name: value
            for name, value in compiled.params.items()
            if not compiled.binds[name].required
        }
        self.binds: dict[str, Processor] = {}
        for name in self.names:
            type_ = compiled.binds[name].type
            processor = bind_processor(type_, dialect)
            if processor is not None:
                self.binds[name] = processor
        self.types = [column.type for column in statement.selected_columns]
        # Known at the first run: on asyncpg they depend on the columns' type oids.
        self.results: list[tuple[int, Processor]] | None = None

    def parameters(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional parameters for these values (by name)."""
        given = {**self.fixed, **values}
        out = [given[name] for name in self.names]
        for index, name in enumerate(self.names):
            processor = self.binds.get(name)
            if processor is not None:
                out[index] = processor(out[index])
        return out

    async def _result_processors(self, driver: Any) -> list[tuple[int, Processor]]:
        """SQLAlchemy's result processor of each column that has one, given the type code
        of each column as SQLAlchemy's cursor description has it: on asyncpg the type oids,
        read once from a prepared statement (asyncpg's Float processor depends on them); on
        SQLite none."""
        codes: list[Any] = [None] * len(self.types)
        if self.dialect.driver == "asyncpg":
            prepared = await driver.prepare(self.sql)
            codes = [attribute.type.oid for attribute in prepared.get_attributes()]
        found: list[tuple[int, Processor]] = []
        for index, (type_, code) in enumerate(zip(self.types, codes, strict=True)):
            processor = type_.dialect_impl(self.dialect).result_processor(self.dialect, code)
            if processor is not None:
                found.append((index, processor))
        return found

    async def rows(self, driver: Any, values: Mapping[str, Any]) -> list[Sequence[Any]]:
        """The statement's rows on the driver connection, each a sequence of processed
        values."""
        parameters = self.parameters(values)
        if self.results is None:
            self.results = await self._result_processors(driver)
        if self.dialect.driver == "asyncpg":
            records = await driver.fetch(self.sql, *parameters)
        else:  # aiosqlite: cursor, execute, fetchall and close in one hop
            records = await driver.execute_fetchall(self.sql, parameters)
        return _processed(records, self.results)


def _processed(records: Any, processors: list[tuple[int, Processor]]) -> list[Sequence[Any]]:
    if not processors:  # asyncpg's records and sqlite3's tuples as they are
        return list(records)
    out: list[Sequence[Any]] = []
    for record in records:
        row = list(record)
        for index, processor in processors:
            row[index] = processor(row[index])
        out.append(row)
    return out


class DriverInsert:
    """An INSERT of every column of `table`, compiled once per dialect, its rows sent on the
    driver connection in one call (`executemany`, on asyncpg and aiosqlite alike): on
    aiosqlite one thread hop where SQLAlchemy's execution takes three (cursor, executemany,
    close), which was most of what the webhook outbox added to a send on SQLite (issue 18).
    Values go through the bind processors SQLAlchemy would apply. Every row gives every
    column."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = [column.name for column in table.columns]
        self._compiled: dict[tuple[str, str], tuple[str, list[tuple[str, Processor | None]]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, list[tuple[str, Processor | None]]]:
        """The SQL and, in its parameter order, each column with its bind processor."""
        key = (dialect.name, dialect.driver)
        found = self._compiled.get(key)
        if found is None:
            compiled = insert(self.table).compile(dialect=dialect, column_keys=self.columns)
            binds: list[tuple[str, Processor | None]] = [
                (name, bind_processor(self.table.c[name].type, dialect))
                for name in compiled.positiontup or ()
            ]
            found = (compiled.string, binds)
            self._compiled[key] = found
        return found

    async def execute(self, connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert the rows in `connection`'s transaction (through SQLAlchemy when the driver
        route may not be taken)."""
        if not rows:
            return
        if not on_driver(connection):
            await connection.execute(insert(self.table), list(rows))
            return
        driver = await driver_of(connection)
        if connection.dialect.driver == "asyncpg" and not driver.is_in_transaction():
            # SQLAlchemy begins asyncpg's transaction at its own first statement: an INSERT
            # sent on the driver before that would commit on its own, outside the caller's
            # transaction. Through SQLAlchemy it begins the transaction as any statement does.
            await connection.execute(insert(self.table), list(rows))
            return
        sql, binds = self._for(connection.dialect)
        params = [
            tuple(row[name] if process is None else process(row[name]) for name, process in binds)
            for row in rows
        ]
        await driver.executemany(sql, params)


class RowQuery(Generic[T]):
    """`statement`, whose rows come back as `make(*values)` (a msgspec struct, a tuple,
    anything that takes them positionally): on the driver route when it may be taken, else
    through SQLAlchemy. No JSON columns: their values differ between the two routes' drivers
    more than elsewhere, and no caller needs one."""

    def __init__(self, statement: Select[*tuple[Any, ...]], make: Callable[..., T]) -> None:
        if any(isinstance(column.type, JSON) for column in statement.selected_columns):
            raise TypeError("RowQuery cannot decode JSON columns")
        self.statement = statement
        self.make = make
        self._compiled: dict[tuple[str, str], DriverQuery] = {}

    async def rows(self, connection: AsyncConnection, params: Mapping[str, Any]) -> list[T]:
        """Every row, in the statement's order."""
        make = self.make
        if not on_driver(connection):
            result = await connection.execute(self.statement, dict(params))
            return [make(*row) for row in result]
        dialect = connection.dialect
        key = (dialect.name, dialect.driver)
        query = self._compiled.get(key)
        if query is None:
            query = self._compiled[key] = DriverQuery(self.statement, dialect)
        return [make(*row) for row in await query.rows(await driver_of(connection), params)]
