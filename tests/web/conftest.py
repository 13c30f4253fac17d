"""Fixtures for the web app's page tests: an in-process app in clerk mode and a signed-in
`WebClient` (cookies and CSRF as a browser keeps them)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from backlink_outreach.app import create_app
from backlink_outreach.config import Settings
from tests.support.database import Database
from tests.web.client import WebClient


@pytest.fixture
def make_web(
    db: Database, make_settings: Callable[..., Settings], signing_key: rsa.RSAPrivateKey
) -> Callable[..., contextlib.AbstractAsyncContextManager[WebClient]]:
    @contextlib.asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[WebClient]:
        app = create_app(make_settings(**overrides), engine=db.engine)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        async with app.router.lifespan_context(app), client:
            yield WebClient(client, signing_key)

    return factory


@pytest.fixture
async def web(
    make_web: Callable[..., contextlib.AbstractAsyncContextManager[WebClient]],
) -> AsyncIterator[WebClient]:
    """Signed in as user_a (personal workspace)."""
    async with make_web() as client:
        client.sign_in()
        yield client
