"""Shared fixtures: a migrated database per backend, real RS256 tokens, and an in-process app.

Every test that uses `db` (directly or through `api`) runs once per backend: SQLite always,
PostgreSQL too when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from backlink_outreach.app import create_app
from backlink_outreach.config import API_PREFIX, Settings
from tests.support.database import BACKENDS, Database, close_database, open_database
from tests.support.tokens import make_token, new_rsa_key, public_pem


# The garbage collector's full passes walk every object alive, and what a long session keeps
# (imports, caches, apps held by module fixtures) grows to millions of objects: on a busy
# 2-core machine, full passes took 61 s of the first 500 tests, 8 s with this. Objects alive at
# these points are frozen (left out of later passes); anything frozen that dies later is still
# freed by reference counting.
# A garbage cycle's warnings (an unclosed socket) still surface: a collection runs first, and
# pytest reports what it raised in the next test.
def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    result = yield
    if nextitem is not None and nextitem.path != item.path:  # a test file is done
        gc.collect()
        gc.freeze()
    return result


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    return new_rsa_key()


@pytest.fixture(scope="session", params=BACKENDS)
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    db = await open_database(request.param, tmp_path_factory.mktemp(request.param))
    yield db
    await close_database(db)


@pytest.fixture
async def db(database: Database) -> Database:
    """The session's database, emptied before the test."""
    await database.reset()
    return database


@pytest.fixture
def make_settings(
    db: Database, signing_key: rsa.RSAPrivateKey, tmp_path: Path
) -> Callable[..., Settings]:
    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": db.url,
            "data_dir": tmp_path / "data",
            "auth_mode": "clerk",
            "clerk_jwt_key": public_pem(signing_key),
            "public_base_url": "http://testserver",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return factory


class Api:
    """An in-process client for the API, with a token for whoever is asking."""

    def __init__(self, client: httpx.AsyncClient, key: rsa.RSAPrivateKey) -> None:
        self.client = client
        self.key = key

    @property
    def app(self) -> FastAPI:
        """The app behind the in-process client (make_api builds it on an ASGITransport)."""
        transport = self.client._transport
        assert isinstance(transport, httpx.ASGITransport), transport
        return cast(FastAPI, transport.app)

    def headers(
        self, user: str = "user_a", org: str | None = None, **claims: Any
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(self.key, user, org=org, **claims)}"}

    async def request(
        self,
        method: str,
        path: str,
        *,
        user: str = "user_a",
        org: str | None = None,
        auth: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth:
            headers = {**self.headers(user, org), **headers}
        return await self.client.request(method, API_PREFIX + path, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)


@pytest.fixture
def make_api(
    db: Database, make_settings: Callable[..., Settings], signing_key: rsa.RSAPrivateKey
) -> Callable[..., contextlib.AbstractAsyncContextManager[Api]]:
    """`async with make_api(SETTING=value) as api:` an app with those settings on the test db."""

    @contextlib.asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[Api]:
        app = create_app(make_settings(**overrides), engine=db.engine)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        async with app.router.lifespan_context(app), client:
            yield Api(client, signing_key)

    return factory


@pytest.fixture
async def api(
    make_api: Callable[..., contextlib.AbstractAsyncContextManager[Api]],
) -> AsyncIterator[Api]:
    async with make_api() as client:
        yield client


async def create_campaign(
    api: Api, user: str = "user_a", org: str | None = None, **fields: Any
) -> dict[str, Any]:
    response = await api.post(
        "/campaigns", user=user, org=org, json={"name": "Spring guest posts", **fields}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
