from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.discovery.fixture_catalogue import catalogue
from tests.discovery.fixture_server import FixtureWeb


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    """The fixture web on loopback, one per test module."""
    server = FixtureWeb(catalogue()).start()
    yield server
    server.stop()


def crawl_settings(web: FixtureWeb, **overrides: Any) -> dict[str, Any]:
    """Settings that point discovery at the fixture web (search API and crawler proxy).
    Private networks stay refused: the sites are reached by name through the proxy."""
    values: dict[str, Any] = {
        "searxng_url": web.url,
        "discovery_http_proxy": web.url,
        "discovery_allow_private_networks": False,
        # Long enough that a fixture site answering at once is read even on a loaded CI
        # machine (1.5 s was not: pages timed out and rankings changed), short enough that
        # the site that never answers ends each crawl in seconds.
        "discovery_page_timeout_seconds": 4.0,
        "discovery_read_timeout_seconds": 3.0,
    }
    values.update(overrides)
    return values
