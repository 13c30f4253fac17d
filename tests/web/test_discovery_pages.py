"""The discovery screen against the loopback fixture web: a keyword queues a job, the
progress fragment polls until done, the results show their signals and score (a crawled
`<script>` title escaped), and picked sites are saved to a campaign."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator

import pytest

from backlink_outreach.discovery.job_runner import run_due_jobs
from tests.discovery.conftest import crawl_settings
from tests.discovery.fixture_server import FixtureWeb
from tests.discovery.fixture_sites import Site
from tests.discovery.job_web import KEYWORD, job_sites
from tests.support.tokens import make_token
from tests.web.client import WebClient, error_texts

WebFactory = Callable[..., contextlib.AbstractAsyncContextManager[WebClient]]
API = "/api/v1/backlink-outreach"
HOSTILE_HOST = "beanbox.org"
HOSTILE_NAME = "<script>alert(1)</script> Bean Box"


def hostile_sites() -> list[Site]:
    """The job fixture web, with one site whose name (its og:site_name) is a script tag."""
    sites = job_sites()
    for site in sites:
        if site.host == HOSTILE_HOST:
            home = site.pages["/"]
            og = (
                '<meta property="og:site_name" '
                'content="&lt;script&gt;alert(1)&lt;/script&gt; Bean Box">'
            )
            site.pages["/"] = home.replace("</title>", "</title>" + og, 1)
    return sites


@pytest.fixture(scope="module")
def fixture_web() -> Iterator[FixtureWeb]:
    server = FixtureWeb(hostile_sites()).start()
    yield server
    server.stop()


def app_of(web: WebClient):  # type: ignore[no-untyped-def]
    return web.client._transport.app  # type: ignore[attr-defined]


async def run_worker(web: WebClient) -> int:
    app = app_of(web)
    return await run_due_jobs(app.state.database, app.state.settings)


def job_location(response_location: str) -> str:
    assert re.fullmatch(r"/app/discovery/jobs/djob_[A-Za-z0-9]+", response_location)
    return response_location


async def new_campaign(web: WebClient, name: str = "Vegan pitches") -> str:
    made = await web.post("/app/campaigns/new", {"name": name, "keywords": "vegan"})
    assert made.status_code == 303
    return made.headers["location"].rsplit("/", 1)[1]


async def test_without_a_search_provider_the_form_says_what_to_set(web: WebClient) -> None:
    page = await web.get("/app/discovery")
    assert page.status_code == 200 and "No discoveries yet" in page.text
    refused = await web.post("/app/discovery", {"keyword": "vegan recipes"})
    assert refused.status_code == 422
    assert any("SEARXNG_URL" in text for text in error_texts(refused.text)), refused.text


async def test_bad_forms_say_why_by_the_field(
    make_web: WebFactory, fixture_web: FixtureWeb
) -> None:
    async with make_web(**crawl_settings(fixture_web)) as web:
        web.sign_in()
        for values, field in (
            ({"keyword": "   "}, "keyword"),
            ({"keyword": "!!!"}, "keyword"),
            ({"keyword": "vegan", "max_results": "500"}, "max_results"),
            ({"keyword": "vegan", "max_results": "ten"}, "max_results"),
            ({"keyword": "vegan", "min_score": "2"}, "min_score"),
            ({"keyword": "vegan", "save_to_campaign": "on"}, "campaign_id"),
        ):
            response = await web.post("/app/discovery", values)
            assert response.status_code == 422, values
            assert f'id="f-{field}-error"' in response.text, (values, error_texts(response.text))
        other = await web.post("/app/discovery", {"keyword": "vegan", "campaign_id": "cmp_nope"})
        assert other.status_code == 404
        assert "No discoveries yet" in (await web.get("/app/discovery")).text


async def test_a_job_runs_to_done_and_picked_results_are_saved(
    make_web: WebFactory, fixture_web: FixtureWeb
) -> None:
    async with make_web(**crawl_settings(fixture_web)) as web:
        web.sign_in()
        campaign = await new_campaign(web)
        queued = await web.post(
            "/app/discovery", {"keyword": KEYWORD, "campaign_id": campaign, "max_results": "10"}
        )
        assert queued.status_code == 303
        job = job_location(queued.headers["location"])
        page = await web.get(job)
        assert f'data-poll="{job}/progress"' in page.text and "Waiting for the worker" in page.text
        waiting = await web.get(f"{job}/progress", headers={"X-Fragment": "1"})
        assert "X-Poll-Done" not in waiting.headers and "<html" not in waiting.text

        assert await run_worker(web) == 1
        done = await web.get(f"{job}/progress", headers={"X-Fragment": "1"})
        assert done.headers["X-Poll-Done"] == "1"
        assert "Done:" in done.text and "<html" not in done.text
        # A crawled name is text: escaped, never markup.
        assert "<script>alert(1)" not in done.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Bean Box" in done.text
        picks = re.findall(r'name="pick" value="([^"]+)"', done.text)
        assert HOSTILE_HOST in picks and len(picks) >= 3
        assert done.text.count('<ul class="signals">') == len(picks)
        assert re.search(r"<strong>0\.\d\d</strong>", done.text)  # the score
        full = await web.get(job)
        assert "data-poll" not in full.text  # done: nothing left to poll

        saved = await web.post(
            f"{job}/save", {"pick": [HOSTILE_HOST, picks[0]], "campaign_id": campaign}
        )
        assert saved.status_code == 303
        shown = await web.get(saved.headers["location"].split("#")[0])
        expected = 1 if picks[0] == HOSTILE_HOST else 2
        assert f"{expected} saved to the campaign." in shown.text
        again = await web.post(f"{job}/save", {"pick": [HOSTILE_HOST], "campaign_id": campaign})
        shown = await web.get(again.headers["location"].split("#")[0])
        assert "0 saved to the campaign, 1 already there." in shown.text
        token = make_token(web.key, "user_a", ttl=600)
        leads = await web.client.get(
            f"{API}/campaigns/{campaign}", headers={"Authorization": f"Bearer {token}"}
        )
        titles = {lead["domain"]: lead["website_title"] for lead in leads.json()["leads"]}
        assert titles[HOSTILE_HOST] == HOSTILE_NAME
        assert len(titles) == expected

        nothing = await web.post(f"{job}/save", {"campaign_id": campaign})
        assert nothing.status_code == 422 and "Pick at least one site" in nothing.text
        listing = await web.get("/app/discovery")
        assert KEYWORD in listing.text and "badge-done" in listing.text

        web.sign_in("user_b")
        await web.get("/app/discovery")
        assert (await web.get(job)).status_code == 404
        assert (await web.get(f"{job}/progress")).status_code == 404
        theirs = await new_campaign(web, "B's")
        assert (
            await web.post(f"{job}/save", {"pick": [HOSTILE_HOST], "campaign_id": theirs})
        ).status_code == 404
        web.sign_in("user_a")
        await web.get("/app/discovery")
        assert (
            await web.post(f"{job}/save", {"pick": [HOSTILE_HOST], "campaign_id": theirs})
        ).status_code == 404
