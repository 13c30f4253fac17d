"""Shared benchmark plumbing: throwaway databases and an in-process API client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from backlink_outreach.app import create_app
from backlink_outreach.auth import mint_dev_token
from backlink_outreach.config import API_PREFIX, Settings, normalize_database_url
from backlink_outreach.db import create_engine
from backlink_outreach.migrations import upgrade_async

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class BenchDatabase:
    backend: str
    url: str  # async SQLAlchemy URL
    engine: AsyncEngine
    sqlite_path: Path | None = None
    pg_dsn: str | None = None  # plain libpq DSN for asyncpg


@contextlib.asynccontextmanager
async def bench_database(backend: str) -> AsyncIterator[BenchDatabase]:
    """A migrated, empty database that is removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.db"
            url = f"sqlite+aiosqlite:///{path}"
            await upgrade_async(url)
            engine = create_engine(url)
            try:
                yield BenchDatabase(backend, url, engine, sqlite_path=path)
            finally:
                await engine.dispose()
        return
    admin = normalize_database_url(PG_ADMIN_URL)
    admin_dsn = admin.replace("postgresql+asyncpg://", "postgresql://")
    name = f"bo_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        yield BenchDatabase(
            backend, url, engine, pg_dsn=url.replace("postgresql+asyncpg://", "postgresql://")
        )
    finally:
        await engine.dispose()
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def postgres_available() -> bool:
    try:
        conn = await asyncpg.connect(
            PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=3
        )
    except Exception:
        return False
    await conn.close()
    return True


@dataclass
class BenchApp:
    """The real app in-process: the ASGI app itself, and an HTTP client on it."""

    app: Any
    client: httpx.AsyncClient
    token: str

    async def asgi_get(self, path: str, params: Mapping[str, str]) -> tuple[int, bytes]:
        """GET `API_PREFIX + path` by calling the ASGI app directly: what the service does for
        a request, without what an HTTP client does on its side (httpx's request and response
        objects cost 0.3-1 ms a request here, more than some of the requests measured)."""
        full = API_PREFIX + path
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": full,
            "raw_path": full.encode(),
            "query_string": urlencode(params).encode(),
            "root_path": "",
            "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {self.token}".encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("bench", 80),
        }
        requested = False
        status = 0
        body: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if requested:  # a GET has no more body; only a disconnect could follow
                await asyncio.Event().wait()
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Mapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(body)


@contextlib.asynccontextmanager
async def bench_app(db: BenchDatabase, **settings: Any) -> AsyncIterator[BenchApp]:
    """The real app in-process (ASGI), with a dev token for user `bench`."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Settings(
            _env_file=None,
            database_url=db.url,
            auth_mode="dev",
            data_dir=Path(tmp),
            **settings,
        )
        app = create_app(config, engine=db.engine)
        token = mint_dev_token(config, "bench")
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(
            transport=transport,
            base_url="http://bench" + API_PREFIX,
            headers={"Authorization": f"Bearer {token}"},
            timeout=600,
        )
        async with app.router.lifespan_context(app), client:
            yield BenchApp(app, client, token)


@contextlib.asynccontextmanager
async def bench_api(db: BenchDatabase, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """`bench_app`'s HTTP client (with the dev token for user `bench`)."""
    async with bench_app(db, **settings) as bench:
        yield bench.client
