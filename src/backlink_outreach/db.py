"""Engine, sessionmakers and the declarative base (the `Database` in `database.py` uses them).

SQLite is made safe for concurrent writers by starting every transaction with `BEGIN IMMEDIATE`
(pysqlite's deferred BEGIN lets a count-then-insert over-send) and waiting on a busy timeout.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands them back naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use utcnow()")
        value = value.astimezone(UTC)
        # SQLite compares datetimes as text: store them without an offset so order is correct.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        # asyncpg decodes timestamptz as an aware UTC datetime: nothing to do per value, which
        # matters when a response carries a thousand of them.
        if dialect.driver == "asyncpg":
            return None
        general = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite":
            return general
        return _sqlite_utc(general)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is UTC:
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The shapes of the text SQLAlchemy stores a DATETIME as on SQLite: `YYYY-MM-DD HH:MM:SS`, and
# the same with `.ffffff` (the length, and where the space and the dot are).
_SQLITE_DATETIME_SHAPES = {19: "", 26: "."}


def _sqlite_utc(general: Any) -> Any:
    """`general` (SQLAlchemy's parse, then `process_result_value`) for a SQLite DATETIME, with
    the text in SQLAlchemy's own storage format parsed by `datetime.fromisoformat` with a UTC
    offset: 0.19 µs a value against 0.95 (most of it `replace(tzinfo=UTC)`), two per lead row
    (issue 15). Any other text takes the general route."""

    def process(value: Any) -> datetime | None:
        if (
            type(value) is str
            and value[10:11] == " "
            and _SQLITE_DATETIME_SHAPES.get(len(value)) == value[19:20]
        ):
            try:
                return datetime.fromisoformat(value + "+00:00")
            except ValueError:
                pass
        result: datetime | None = general(value)
        return result

    return process


READ_ONLY = "backlink_outreach_read_only"
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


# Values per `IN (...)` list: well under both backends' bound-parameter limits (SQLite's 32766,
# PostgreSQL's 65535), and small enough to keep each statement's plan cheap.
IN_BATCH = 500


def in_batches(values: Sequence[T], size: int = IN_BATCH) -> list[Sequence[T]]:
    """`values` cut into lists of at most `size`, for `column.in_(batch)` one batch at a time."""
    return [values[i : i + size] for i in range(0, len(values), size)]


def create_engine(url: str, *, enforce_foreign_keys: bool = True, **kwargs: Any) -> AsyncEngine:
    """An async engine. Migrations pass `enforce_foreign_keys=False`: SQLite's batch mode
    recreates tables, and with foreign keys on, dropping a parent would cascade to children."""
    # Errors name the failing statement but never its parameters: they carry recipients,
    # subjects and message bodies, and exception messages end up in logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        own_reset = "pool_reset_on_return" not in kwargs
        if own_reset:
            kwargs["pool_reset_on_return"] = None  # `_roll_back_open_transactions` instead
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _make_sqlite_transactions_immediate(engine, enforce_foreign_keys)
        if own_reset:
            _roll_back_open_transactions(engine)
        return engine
    # No overflow: an overflow connection is closed again on check-in, so a load just above
    # pool_size opened (TLS handshake, auth) and re-prepared statements on a new connection for
    # many requests. The same ceiling of 30 connections per process, all kept.
    kwargs.setdefault("pool_size", 30)
    kwargs.setdefault("max_overflow", 0)
    engine = create_async_engine(url, **kwargs)
    if "pool_pre_ping" not in kwargs:
        _check_connections_on_checkout(engine)
    return engine


# A connection idle in the pool for longer than this gets a round-trip ping on checkout.
PING_AFTER_IDLE_SECONDS = 5.0
_CHECKED_IN_AT = "backlink_outreach_checked_in_at"


def _check_connections_on_checkout(engine: AsyncEngine) -> None:
    """Pessimistic disconnect handling, cheaper than `pool_pre_ping`.

    asyncpg's pre-ping is three round trips on every checkout (BEGIN, a prepared `;`,
    ROLLBACK), a large share of a short request. A PostgreSQL restart or `pg_terminate_backend`
    closes the socket, and asyncpg marks the connection closed as soon as the event loop reads
    that, so checking the flag is free and catches them. A connection idle long enough to have
    been dropped silently (firewalls, NAT) also gets a real ping: a simple-protocol `SELECT 1`,
    one round trip, nothing prepared, no transaction (so also fine behind pgbouncer).
    `DisconnectionError` makes the pool discard the connection and open a new one.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        connection = dbapi_connection.driver_connection  # the asyncpg connection
        if connection.is_closed():
            raise DisconnectionError("connection closed by the server")
        checked_in = record.info.get(_CHECKED_IN_AT)
        if checked_in is None or time.monotonic() - checked_in < PING_AFTER_IDLE_SECONDS:
            return  # just opened, or in use a moment ago
        try:
            await_(connection.execute("SELECT 1"))
        except Exception as exc:  # any failed ping means "use another one"
            raise DisconnectionError("ping failed") from exc


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _roll_back_open_transactions(engine: AsyncEngine) -> None:
    """The pool's rollback on return, only when SQLite has a transaction open.

    On aiosqlite every rollback is a thread hop (0.1-0.25 ms in a request here), and the pool
    rolled back every connection it got back even with nothing to undo: a connection whose
    SQLAlchemy transaction already ended skips it, but one used without a transaction (the lead
    list's driver reads, `leads/listing.py`) paid it on every request. SQLite says whether a
    transaction is open without a hop; any open one is still rolled back, as before."""

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, _record: Any, state: Any) -> None:
        if state.transaction_was_reset or not state.asyncio_safe:
            return  # what the default reset skips too
        try:
            open_transaction = dbapi_connection.driver_connection.in_transaction
        except ValueError:  # aiosqlite: the connection is closed already
            return
        if open_transaction:
            dbapi_connection.rollback()


# Reads of SQLite's file through a memory map of up to 256 MiB instead of a read() per page not
# in the connection's own 2 MB cache: the lead-list page's SELECT over 100,000 leads went from
# 2.4 to 1.3 ms, and its request from 5.0-5.5 to 1.7-2.5 ms at p95 (issue 15). The map shares
# the OS page cache (no copy per connection). Also for a bare connection on the same file (the
# lead-list benchmark's baseline), so that both read alike.
SQLITE_READ_PRAGMAS = ("PRAGMA mmap_size=268435456",)


def _make_sqlite_transactions_immediate(engine: AsyncEngine, foreign_keys: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN, so that we can make it IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        for pragma in SQLITE_READ_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Readers take no write lock (WAL lets them run beside the one writer); everything
        # else takes it at BEGIN, so count-then-insert cannot interleave.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def read_only_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine for work that only reads (GET requests, exports). On SQLite its transactions
    start with a plain BEGIN and never wait for, or hold, the write lock. On PostgreSQL it runs
    in autocommit: no BEGIN/COMMIT round trips, each SELECT sees committed data."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    return engine.execution_options(**options)


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(read_only_engine(engine))


def make_single_statement_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for work that is one statement (a guarded UPDATE ... RETURNING, say): that
    statement is atomic on its own, so on PostgreSQL it runs in autocommit, one round trip
    instead of BEGIN, statement, COMMIT. SQLite keeps its usual `BEGIN IMMEDIATE` writer."""
    if engine.dialect.name != "postgresql":
        return make_sessionmaker(engine)
    return make_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


def insert_for(session: AsyncSession, table: Any) -> Any:
    """An INSERT that understands ON CONFLICT on the session's backend (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
