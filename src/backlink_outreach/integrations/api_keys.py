"""API keys: `blo_` + 32 random bytes in base62, per workspace, `read` or `read`+`write`.

Stored as SHA-256 hashes: the key has 256 bits of entropy, so a slow hash would add nothing but
latency. Each request with a key reads its row (one indexed lookup on a bare read-only
connection): nothing is cached, so a DELETE that has answered stops the key on every process.
`last_used_at` is written only when the stored value is a minute old or more, so a busy key
costs one UPDATE a minute, not one per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Table, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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


class ApiKeyVerifier:
    """`auth.current_principal` hands it every bearer token that starts with `blo_`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._touching: set[asyncio.Task[None]] = set()

    async def verify(self, token: str, method: str) -> Principal:
        if len(token) > MAX_KEY_CHARS or not token.isascii():
            raise NotAuthenticated()
        async with self.database.connection() as conn:
            row = (await conn.execute(_LOOKUP, {"hash": key_hash(token)})).first()
        if row is None:
            raise NotAuthenticated()
        now = utcnow()
        if row.expires_at is not None and row.expires_at <= now:
            raise NotAuthenticated()
        scopes = frozenset(row.scopes or ())
        if method.upper() in WRITE_METHODS and "write" not in scopes:
            raise InsufficientScope()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
            # In the background: the request may hold the SQLite writer queue already (a POST's
            # unit of work is opened before its principal), and the caller need not wait.
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
