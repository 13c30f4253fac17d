"""API keys: `blo_` + 32 random bytes in base62, per workspace, `read` or `read`+`write`.

Stored as SHA-256 hashes: the key has 256 bits of entropy, so a slow hash would add nothing but
latency. Each request with a key reads its row (one indexed lookup): nothing is cached, so a
DELETE that has answered stops the key on every process. `last_used_at` is written only when
the stored value is a minute old or more, so a busy key costs one UPDATE a minute, not one per
request.

The lookup runs on a few connections kept for it (`KeyLookup`), straight through the driver, in
autocommit: one round trip (SQLite: one hop to its thread). Through a pooled SQLAlchemy
connection it was five (checkout, BEGIN, SELECT, ROLLBACK, the reset on checkin), and a keyed
request cost three times a session token's (bench/bench_auth.py). Autocommit is also why it
sees a revocation at once: every lookup is its own snapshot, taken after the DELETE committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

import structlog
from sqlalchemy import Table, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from ..auth import Principal
from ..database import Database
from ..db import utcnow
from ..errors import AppError, NotAuthenticated, NotFound
from ..ids import new_id
from ..models import ApiKey
from .schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut

KEY_PREFIX = "blo_"
KEY_BYTES = 32
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_KEY_CHARS = 43  # 62**43 > 2**256
PREFIX_CHARS = len(KEY_PREFIX) + 8
LAST_USED_EVERY = timedelta(minutes=1)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_CHARS = 100
_KEYS = cast(Table, ApiKey.__table__)
log = structlog.get_logger(__name__)


class InsufficientScope(AppError):
    status_code = 403
    detail = "Insufficient scope"


def new_key() -> str:
    number = int.from_bytes(secrets.token_bytes(KEY_BYTES), "big")
    chars = []
    for _ in range(_KEY_CHARS):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return KEY_PREFIX + "".join(chars)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def require_session(principal: Principal) -> None:
    """Keys are managed with a Clerk session only: a key cannot make or see keys."""
    if principal.key_id is not None:
        raise InsufficientScope()


async def create(session: AsyncSession, principal: Principal, data: ApiKeyCreate) -> ApiKeyCreated:
    require_session(principal)
    key = new_key()
    row = ApiKey(
        id=new_id("key"),
        workspace_id=principal.workspace_id,
        name=data.name,
        scopes=list(data.scopes),
        prefix=key[:PREFIX_CHARS],
        key_hash=key_hash(key),
        created_by=principal.user_id,
        created_at=utcnow(),
        expires_at=data.expires_at,
        last_used_at=None,
    )
    session.add(row)
    await session.flush()
    return ApiKeyCreated.model_validate({**ApiKeyOut.model_validate(row).model_dump(), "key": key})


def list_statement(principal: Principal) -> Any:
    require_session(principal)
    return select(ApiKey).where(ApiKey.workspace_id == principal.workspace_id)


async def revoke(session: AsyncSession, principal: Principal, key_id: str) -> None:
    require_session(principal)
    if "\x00" in key_id:
        raise NotFound()
    result = await session.execute(
        delete(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.workspace_id == principal.workspace_id)
        .returning(ApiKey.id)
    )
    if result.first() is None:
        raise NotFound()


_LOOKUP = select(
    _KEYS.c.id,
    _KEYS.c.workspace_id,
    _KEYS.c.scopes,
    _KEYS.c.created_by,
    _KEYS.c.expires_at,
    _KEYS.c.last_used_at,
).where(_KEYS.c.key_hash == bindparam("hash"))
_TOUCH = (
    update(_KEYS)
    .where(
        _KEYS.c.id == bindparam("key_id"),
        or_(_KEYS.c.last_used_at.is_(None), _KEYS.c.last_used_at <= bindparam("stale")),
    )
    .values(last_used_at=bindparam("now"))
)


class KeyRow(NamedTuple):
    id: str
    workspace_id: str
    scopes: list[str] | None
    created_by: str
    expires_at: datetime | None
    last_used_at: datetime | None


# More would only hold pool connections idle; a burst beyond them borrows from the pool.
KEPT_CONNECTIONS = 4


@dataclass
class _Kept:
    connection: AsyncConnection
    driver: Any  # the aiosqlite or asyncpg connection
    statement: Any = None  # asyncpg: the lookup, prepared once per connection


class KeyLookup:
    """`_LOOKUP` on connections of the app's engine kept for it, through the driver.

    Each connection serves one lookup at a time (taken from the idle list, put back after),
    runs outside any transaction (SQLite's connections are in autocommit, see `db.py`;
    asyncpg's outside a transaction are too) and goes back to the engine's pool on `close`.
    The values pass through the columns' own result processors, as SQLAlchemy would do.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        dialect = engine.dialect
        self._engine = engine
        self._sql = str(_LOOKUP.compile(dialect=dialect))
        self._processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in _LOOKUP.selected_columns
        ]
        self._postgres = dialect.name == "postgresql"
        self._idle: list[_Kept] = []
        self._closed = False

    async def find(self, digest: str) -> KeyRow | None:
        # A kept connection may have died since its last use (a server restart): one retry on
        # a fresh one. The lookup only reads, so running it twice is harmless.
        for last_try in (False, True):
            kept = await self._take()
            try:
                values = await self._fetch(kept, digest)
            except Exception:
                await self._discard(kept)
                if last_try:
                    raise
                continue
            await self._put_back(kept)
            if values is None:
                return None
            processed: list[Any] = [
                value if process is None else process(value)
                for process, value in zip(self._processors, values, strict=True)
            ]
            return KeyRow(*processed)
        raise AssertionError("unreachable")

    async def _fetch(self, kept: _Kept, digest: str) -> Any:
        if self._postgres:
            if kept.statement is None:
                kept.statement = await kept.driver.prepare(self._sql)
            return await kept.statement.fetchrow(digest)
        rows = await kept.driver.execute_fetchall(self._sql, (digest,))
        return rows[0] if rows else None

    async def _take(self) -> _Kept:
        while self._idle:
            kept = self._idle.pop()
            if not self._postgres or not kept.driver.is_closed():
                return kept
            await self._discard(kept)
        connection = await self._engine.connect().start()
        raw = await connection.get_raw_connection()
        return _Kept(connection, raw.driver_connection)

    async def _put_back(self, kept: _Kept) -> None:
        # Never hand a transaction to the next lookup: it would read an old snapshot.
        in_transaction = (
            kept.driver.is_in_transaction() if self._postgres else kept.driver.in_transaction
        )
        if in_transaction:
            await self._discard(kept)
        elif self._closed or len(self._idle) >= KEPT_CONNECTIONS:
            await kept.connection.close()
        else:
            self._idle.append(kept)

    async def _discard(self, kept: _Kept) -> None:
        with contextlib.suppress(Exception):
            await kept.connection.invalidate()
        with contextlib.suppress(Exception):
            await kept.connection.close()

    async def close(self) -> None:
        """Give the kept connections back to the engine's pool (at the app's shutdown)."""
        self._closed = True
        while self._idle:
            await self._idle.pop().connection.close()


class ApiKeyVerifier:
    """`auth.current_principal` hands it every bearer token that starts with `blo_`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lookup = KeyLookup(database.read_engine)
        self._touching: set[asyncio.Task[None]] = set()
        self._touched_keys: set[str] = set()  # the keys whose `last_used_at` write is under way

    async def verify(self, token: str, method: str) -> Principal:
        if len(token) > MAX_KEY_CHARS or not token.isascii():
            raise NotAuthenticated()
        row = await self._lookup.find(key_hash(token))
        if row is None:
            raise NotAuthenticated()
        now = utcnow()
        if row.expires_at is not None and row.expires_at <= now:
            raise NotAuthenticated()
        scopes = frozenset(row.scopes or ())
        if method.upper() in WRITE_METHODS and "write" not in scopes:
            raise InsufficientScope()
        stale = row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY
        if stale and row.id not in self._touched_keys:
            # In the background: the request may hold the SQLite writer queue already (a POST's
            # unit of work is opened before its principal), and the caller need not wait. One
            # write per key at a time: the requests that arrive while it is under way would
            # only queue writes that change nothing.
            self._touched_keys.add(row.id)
            task = asyncio.create_task(self._touch(row.id, now))
            self._touching.add(task)
            task.add_done_callback(self._touching.discard)
        return Principal(
            user_id=row.created_by,
            key_id=row.id,
            key_workspace=row.workspace_id,
            scopes=scopes,
        )

    async def _touch(self, key_id: str, now: datetime) -> None:
        try:
            await self._write_last_used(key_id, now)
        finally:
            self._touched_keys.discard(key_id)

    async def _write_last_used(self, key_id: str, now: datetime) -> None:
        try:
            async with self.database.statement() as session:
                await session.execute(
                    _TOUCH, {"key_id": key_id, "stale": now - LAST_USED_EVERY, "now": now}
                )
        except Exception as exc:  # noqa: BLE001 - a missed touch is retried on the next use
            log.warning("api_key_touch_failed", error_type=type(exc).__name__)

    async def settle(self) -> None:
        """Wait for the `last_used_at` writes in flight (tests, shutdown)."""
        while self._touching:
            await asyncio.gather(*self._touching, return_exceptions=True)

    async def close(self) -> None:
        """At shutdown: the writes in flight, then the lookup's connections back to the pool."""
        await self.settle()
        await self._lookup.close()
