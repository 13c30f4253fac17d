"""The one place the SSRF guard leans on httpx internals (`ssrf.replace_pool`): if an httpx
upgrade stops sending requests through the pool we install, these tests fail loudly."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import httpcore
import httpx
import pytest

from backlink_outreach.discovery.ssrf import BlockedURL, guarded_transport, replace_pool
from tests.discovery.fixture_server import FixtureWeb

LIMITS = httpx.Limits(max_connections=2, max_keepalive_connections=1)


async def test_requests_go_through_the_guarded_pool(web: FixtureWeb) -> None:
    """A plain transport reaches the loopback server; the guarded one refuses to connect."""
    url = f"{web.url}/internal/admin"
    async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(trust_env=False)) as plain:
        assert (await plain.get(url)).status_code == 200
    async with httpx.AsyncClient(transport=guarded_transport(LIMITS)) as guarded:
        with pytest.raises(BlockedURL):
            await guarded.get(url)
    assert len(web.requested("127.0.0.1", "/internal/admin")) == 1  # the plain request only


def test_a_transport_without_the_pool_attribute_is_refused() -> None:
    pool = httpcore.AsyncConnectionPool()
    with pytest.raises(RuntimeError, match="_pool"):
        replace_pool(cast(Any, SimpleNamespace()), pool)
    with pytest.raises(RuntimeError, match="_pool"):
        replace_pool(cast(Any, SimpleNamespace(_pool=object())), pool)
