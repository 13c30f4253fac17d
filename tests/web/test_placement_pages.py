"""Placements: live, lost and nofollow links with their check history; recording a placement
(from the list by the lead's site, or from the lead's page), checked at once against a fixture
web on loopback, and checking one again now (the placement services the API uses)."""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from backlink_outreach.db import make_sessionmaker
from tests.conftest import Api, create_campaign
from tests.discovery.conftest import crawl_settings
from tests.discovery.fixture_server import FixtureWeb
from tests.placements.web import TARGET, LinkSite, article, link, page, site
from tests.support.database import Database
from tests.web.client import WebClient, error_texts
from tests.web.mail_seed import add_sent, placement_row

WebFactory = Callable[..., contextlib.AbstractAsyncContextManager[WebClient]]
_hosts = itertools.count()
_CARD = re.compile(r'<article class="card placement" id="plc-(plc_[A-Za-z0-9]+)"')


@pytest.fixture(scope="module")
def fixture_web() -> Iterator[FixtureWeb]:
    server = FixtureWeb([]).start()
    yield server
    server.stop()


@pytest.fixture
async def pweb(make_web: WebFactory, fixture_web: FixtureWeb) -> AsyncIterator[WebClient]:
    """Signed in as user_a, the checker reaching the fixture web's sites by name."""
    async with make_web(**crawl_settings(fixture_web)) as client:
        client.sign_in()
        yield client


def _site(fixture_web: FixtureWeb, body: str) -> LinkSite:
    made = site(f"blog-{next(_hosts)}.example", **{"/post": page(body)})
    fixture_web.sites[made.host] = made
    return made


async def _lead(api: Api, host: str, user: str = "user_a") -> tuple[str, str]:
    campaign = await create_campaign(api, user=user)
    made = await api.post(
        f"/campaigns/{campaign['id']}/leads",
        user=user,
        json={"website_url": f"https://{host}/", "target_url": TARGET},
    )
    assert made.status_code == 201, made.text
    return campaign["id"], made.json()["id"]


async def test_a_placement_from_the_lead_page_is_checked_and_listed(
    api: Api, pweb: WebClient, fixture_web: FixtureWeb
) -> None:
    blog = _site(fixture_web, article(link(rel="nofollow")))
    campaign_id, lead_id = await _lead(api, blog.host)
    lead_url = f"/app/campaigns/{campaign_id}/leads/{lead_id}"
    await pweb.get(lead_url)
    placed = await pweb.post(lead_url + "/placement", {"placement_url": f"http://{blog.host}/post"})
    assert placed.status_code == 303 and placed.headers["location"] == lead_url + "?done=placed"
    lead_page = await pweb.get(placed.headers["location"])
    assert 'badge-placed">placed' in lead_page.text
    assert f"Link check of http://{blog.host}/post" in lead_page.text

    listed = await pweb.get("/app/placements")
    [placement_id] = _CARD.findall(listed.text)
    assert 'badge-live">live' in listed.text and 'badge-rel">nofollow' in listed.text
    assert "composting guide" in listed.text
    for view, shown in (("live", True), ("nofollow", True), ("lost", False), ("missing", False)):
        found = _CARD.findall((await pweb.get(f"/app/placements?status={view}")).text)
        assert found == ([placement_id] if shown else []), view

    # The link is taken down: checking again now answers the card's new contents.
    blog.routes["/post"] = page(article("No link any more."))
    checked = await pweb.post(
        f"/app/placements/{placement_id}/check", {}, headers={"X-Fragment": "1"}
    )
    assert checked.status_code == 200 and "<html" not in checked.text
    assert "Check history (2)" in checked.text and 'badge-missing">missing' in checked.text
    again = await pweb.post(f"/app/placements/{placement_id}/check", {})
    assert again.status_code == 303
    lost = await pweb.get("/app/placements?status=lost")
    assert _CARD.findall(lost.text) == [placement_id]
    assert "Check history (3)" in lost.text


async def test_a_placement_named_by_its_site_from_the_list(
    api: Api, pweb: WebClient, fixture_web: FixtureWeb
) -> None:
    blog = _site(fixture_web, article(link()))
    campaign_id, _lead_id = await _lead(api, blog.host)
    await pweb.get("/app/placements")
    form = {
        "campaign_id": campaign_id,
        "site": f"WWW.{blog.host.upper()}",
        "placement_url": f"http://{blog.host}/post",
    }
    unknown = await pweb.post("/app/placements", {**form, "site": "nobody.example"})
    assert unknown.status_code == 422
    assert re.search(
        r'id="f-site-error">No lead of this campaign is the site nobody\.example', unknown.text
    )
    bad = await pweb.post("/app/placements", {**form, "placement_url": "ftp://x.example/"})
    assert bad.status_code == 422 and re.search(r'id="f-placement_url-error">', bad.text)
    assert _CARD.findall(bad.text) == []
    added = await pweb.post("/app/placements", form)
    assert added.status_code == 303
    listed = await pweb.get(added.headers["location"])
    assert "Placement recorded and checked." in listed.text
    assert len(_CARD.findall(listed.text)) == 1 and 'badge-live">live' in listed.text
    assert 'badge-rel"' not in listed.text
    nofollow = await pweb.get("/app/placements?status=nofollow")
    assert _CARD.findall(nofollow.text) == []


async def test_the_lead_page_says_what_is_wrong(api: Api, pweb: WebClient) -> None:
    campaign = await create_campaign(api)
    made = await api.post(f"/campaigns/{campaign['id']}/leads", json={"website_url": "a.example"})
    lead_url = f"/app/campaigns/{campaign['id']}/leads/{made.json()['id']}"
    await pweb.get(lead_url)
    # The lead has no target page and the form gives none: said next to that field.
    missing = await pweb.post(lead_url + "/placement", {"placement_url": "https://a.example/p"})
    assert missing.status_code == 422
    assert re.search(r'id="f-placement_target_url-error">target_url is required', missing.text)
    assert 'value="https://a.example/p"' in missing.text
    blank = await pweb.post(lead_url + "/placement", {"placement_url": ""})
    assert blank.status_code == 422 and error_texts(blank.text)


async def test_another_workspaces_placements_are_not_found(
    db: Database, api: Api, pweb: WebClient
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        theirs = await add_sent(session, "ed@their-blog.test", workspace="user_b")
        row = placement_row(theirs, status="lost")
        session.add(row)
    listed = await pweb.get("/app/placements")
    assert _CARD.findall(listed.text) == []
    assert "No placements yet." in listed.text
    assert (await pweb.post(f"/app/placements/{row.id}/check", {})).status_code == 404
    form = {"placement_url": "https://their-blog.test/p"}
    lead_url = f"/app/campaigns/{theirs.campaign.id}/leads/{theirs.lead.id}"
    assert (await pweb.post(lead_url + "/placement", form)).status_code == 404
    await create_campaign(api)  # so that the form is there to show the error
    site_form = {**form, "campaign_id": theirs.campaign.id, "site": "their-blog.test"}
    refused = await pweb.post("/app/placements", site_form)
    assert refused.status_code == 422 and "Choose one of your campaigns." in refused.text
    assert (await pweb.get("/app/placements?status=bogus")).status_code == 422


async def test_the_check_history_is_shown_newest_first(db: Database, pweb: WebClient) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        sent = await add_sent(session, "ed@my-blog.test")
        session.add(placement_row(sent, status="live", nofollow=True))
    listed = await pweb.get("/app/placements?status=nofollow")
    history = listed.text[listed.text.index("Check history (2)") :]
    assert history.index('badge-live">live') < history.index('badge-missing">missing')
    assert "HTTP 404" in history
