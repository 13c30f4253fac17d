"""POST /discover/deep through the real app: validation, configuration errors, tenancy, saving."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backlink_outreach.models import Lead
from tests.conftest import Api, create_campaign
from tests.discovery.conftest import crawl_settings
from tests.discovery.fixture_server import FixtureWeb
from tests.support.database import Database
from tests.support.servers import free_port

MakeApi = Callable[..., contextlib.AbstractAsyncContextManager[Api]]
VEGAN_GOOD = {
    "plantplatekitchen.com", "veganweeknight.com", "lentilandlime.com", "tofutales.net",
    "greenbowlrecipes.com", "chickpeachronicles.com", "oatsandgreens.org",
}  # fmt: skip


async def _leads(db: Database, campaign_id: str) -> list[Lead]:
    async with AsyncSession(db.engine) as session:
        rows = await session.scalars(select(Lead).where(Lead.campaign_id == campaign_id))
        return list(rows.all())


async def test_discover_and_save_to_campaign(
    make_api: MakeApi, web: FixtureWeb, db: Database
) -> None:
    async with make_api(**crawl_settings(web)) as api:
        campaign = await create_campaign(api, keywords=["tofu", "curry"])
        # One prospect is already a lead: it is skipped, neither saved nor failed.
        r = await api.post(
            f"/campaigns/{campaign['id']}/leads", json={"website_url": "https://tofutales.net/"}
        )
        assert r.status_code == 201
        body: dict[str, Any] = {
            "keyword": "vegan recipes",
            "campaign_id": campaign["id"],
            "max_results": 7,
            "save_to_campaign": True,
        }
        response = await api.post("/discover/deep", json=body)
        assert response.status_code == 200, response.text
        data = response.json()
        assert {r["domain"] for r in data["results"]} == VEGAN_GOOD
        assert set(data["results"][0]) == {
            "website_url", "domain", "website_title", "guest_post_page", "contact_email",
            "contact_page", "quality_score", "relevance_score", "guest_post_likelihood", "score",
            "signals",
        }  # fmt: skip
        assert data["saved_to_campaign"] == 6 and data["save_failed"] == 0
        leads = {lead.domain: lead for lead in await _leads(db, campaign["id"])}
        assert set(leads) == VEGAN_GOOD
        saved = leads["plantplatekitchen.com"]
        assert saved.source == "discovery:searxng" and saved.status == "discovered"
        assert saved.contact_email == "recipes@plantplatekitchen.com"
        assert saved.guest_post_likelihood and saved.guest_post_likelihood > 0.5
        assert leads["tofutales.net"].source is None  # the earlier lead is untouched

        again = await api.post("/discover/deep", json=body)
        assert again.json()["saved_to_campaign"] == 0 and again.json()["save_failed"] == 0
        assert len(await _leads(db, campaign["id"])) == 7


async def test_bad_requests_are_422_and_change_nothing(make_api: MakeApi, web: FixtureWeb) -> None:
    async with make_api(**crawl_settings(web)) as api:
        campaign = await create_campaign(api)
        for body in (
            {"keyword": "gardening", "save_to_campaign": True},
            {"keyword": "gardening", "max_results": 0},
            {"keyword": "gardening", "max_results": 101},
            {"keyword": "   "},
            {"keyword": "!!!"},
            {},
        ):
            response = await api.post("/discover/deep", json=body)
            assert response.status_code == 422, body
            assert isinstance(response.json()["detail"], list)
        searches = len(web.requested("127.0.0.1", "/search"))
        response = await api.post("/discover/deep", json={"keyword": "gardening", "max_results": 0})
        assert len(web.requested("127.0.0.1", "/search")) == searches
        detail = (await api.get(f"/campaigns/{campaign['id']}")).json()
        assert detail["leads"] == []


async def test_unknown_or_foreign_campaign_is_404(make_api: MakeApi, web: FixtureWeb) -> None:
    async with make_api(**crawl_settings(web)) as api:
        theirs = await create_campaign(api, user="user_b")
        for campaign_id in ("cmp_nope", theirs["id"]):
            response = await api.post(
                "/discover/deep",
                json={"keyword": "vegan recipes", "campaign_id": campaign_id, "max_results": 3},
            )
            assert response.status_code == 404
            assert response.json() == {"detail": "Resource not found"}


async def test_no_provider_is_422(make_api: MakeApi) -> None:
    async with make_api(searxng_url=None, search_provider=None) as api:
        response = await api.post("/discover/deep", json={"keyword": "gardening"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "not_configured" and error["loc"] == []
    assert "SEARXNG_URL" in error["msg"]


async def test_unreachable_provider_is_503(make_api: MakeApi) -> None:
    async with make_api(searxng_url=f"http://127.0.0.1:{free_port()}") as api:
        response = await api.post("/discover/deep", json={"keyword": "gardening"})
    assert response.status_code == 503
    assert response.json() == {"detail": "Search provider unavailable"}
