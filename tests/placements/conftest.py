from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from tests.conftest import Api, create_campaign
from tests.discovery.conftest import crawl_settings
from tests.discovery.fixture_server import FixtureWeb, Reply
from tests.placements.web import TARGET, LinkSite, site

ApiFactory = Callable[..., contextlib.AbstractAsyncContextManager[Api]]
_hosts = itertools.count()


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    """The fixture web on loopback; each test adds its own sites (`add_site`)."""
    server = FixtureWeb([]).start()
    yield server
    server.stop()


@pytest.fixture
def add_site(web: FixtureWeb) -> Callable[..., LinkSite]:
    """`add_site(**{"/post": page(...)})` -> a new site with a host no other test uses."""

    def factory(name: str = "blog", **routes: Reply) -> LinkSite:
        new = site(f"{name}-{next(_hosts)}.example", **routes)
        web.sites[new.host] = new
        return new

    return factory


@pytest.fixture
async def papi(make_api: ApiFactory, web: FixtureWeb) -> AsyncIterator[Api]:
    """The API with the checker pointed at the fixture web (private networks refused)."""
    async with make_api(**crawl_settings(web)) as client:
        yield client


async def placed_lead(
    api: Api, target_url: str | None = TARGET, user: str = "user_a", **fields: Any
) -> tuple[str, str]:
    """A new campaign with one lead; returns (campaign_id, lead_id)."""
    campaign = await create_campaign(api, user=user)
    body: dict[str, Any] = {"website_url": f"https://lead-{next(_hosts)}.example", **fields}
    if target_url is not None:
        body["target_url"] = target_url
    response = await api.post(f"/campaigns/{campaign['id']}/leads", user=user, json=body)
    assert response.status_code == 201, response.text
    return campaign["id"], response.json()["id"]


async def place(
    api: Api, campaign_id: str, lead_id: str, url: str, user: str = "user_a", **body: Any
) -> dict[str, Any]:
    response = await api.post(
        f"/campaigns/{campaign_id}/leads/{lead_id}/placement",
        user=user,
        json={"placement_url": url, **body},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def recheck(api: Api, placement_id: str) -> dict[str, Any]:
    response = await api.post(f"/placements/{placement_id}/check")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
