"""Discovery jobs through the real app and the real worker duty, against a fixture web on
loopback: queued, run with progress that moves, min_score, saving, tenancy, validation, pages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from backlink_outreach.config import Settings
from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.discovery import job_runner
from backlink_outreach.duties import DUTIES
from backlink_outreach.models import DiscoveryJob
from tests.conftest import Api, create_campaign
from tests.discovery.conftest import crawl_settings
from tests.discovery.fixture_server import FixtureWeb
from tests.discovery.job_web import EXPECTED_NAMES, GUEST_HOSTS, KEYWORD, job_sites
from tests.support.database import Database

MakeApi = Callable[..., contextlib.AbstractAsyncContextManager[Api]]
PROGRESS_KEYS = ("queries_done", "queries_total", "sites_found", "pages_fetched", "sites_scored")
# Between the guest-post sites (about 0.8) and the two that take none (about 0.5).
BAR = 0.65


@pytest.fixture(scope="module")
def job_web() -> Iterator[FixtureWeb]:
    server = FixtureWeb(job_sites()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def slow_job_web() -> Iterator[FixtureWeb]:
    """The same sites, each answer 0.3 s late: a job runs for a few seconds."""
    server = FixtureWeb(job_sites(), delay=0.3).start()
    yield server
    server.stop()


async def _queue(api: Api, user: str = "user_a", **body: Any) -> str:
    response = await api.post("/discover/jobs", user=user, json={"keyword": KEYWORD, **body})
    assert response.status_code == 202, response.text
    data = response.json()
    assert set(data) == {"id", "status"} and data["status"] == "queued"
    job_id: str = data["id"]
    return job_id


async def _job(api: Api, job_id: str, user: str = "user_a") -> dict[str, Any]:
    response = await api.get(f"/discover/jobs/{job_id}", user=user)
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


async def _run_duty(db: Database, settings: Settings) -> int:
    return await job_runner.run_due_jobs(AppDatabase(db.engine), settings)


async def _jobs_in_db(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(DiscoveryJob)) or 0)


def test_the_duty_is_listed_for_the_worker() -> None:
    assert ("discovery_jobs", job_runner.start_due_jobs) in DUTIES


async def test_the_worker_pass_does_not_wait_for_a_crawl(
    make_api: MakeApi,
    make_settings: Callable[..., Settings],
    slow_job_web: FixtureWeb,
    db: Database,
) -> None:
    """Sends and polls fall due while a crawl runs: the duty starts the job and returns."""
    settings = crawl_settings(slow_job_web)
    async with make_api(**settings) as api:
        job_id = await _queue(api, max_results=10)
        database = AppDatabase(db.engine)
        assert await job_runner.start_due_jobs(database, make_settings(**settings)) == 1
        assert (await _job(api, job_id))["status"] == "running"  # the pass is over, the job not
        assert await job_runner.start_due_jobs(database, make_settings(**settings)) == 0
        await job_runner.wait_for_running()
        assert (await _job(api, job_id))["status"] == "done"


async def test_a_job_runs_through_the_worker_with_progress_that_moves(
    make_api: MakeApi,
    make_settings: Callable[..., Settings],
    slow_job_web: FixtureWeb,
    db: Database,
) -> None:
    settings = crawl_settings(slow_job_web)
    async with make_api(**settings) as api:
        job_id = await _queue(api, max_results=10)
        queued = await _job(api, job_id)
        assert queued["status"] == "queued" and queued["results"] == []
        assert queued["progress"] == dict.fromkeys(PROGRESS_KEYS, 0)
        assert queued["finished_at"] is None and queued["error"] is None

        duty = asyncio.create_task(_run_duty(db, make_settings(**settings)))
        seen: list[dict[str, int]] = []
        while not duty.done():
            job = await _job(api, job_id)
            if job["status"] == "running" and job["progress"] not in seen:
                seen.append(job["progress"])
            await asyncio.sleep(0.05)
        assert await duty == 1
        done = await _job(api, job_id)

    assert done["status"] == "done", done
    assert done["error"] is None and done["finished_at"] >= done["created_at"]
    final = done["progress"]
    assert final["queries_total"] == final["queries_done"] == 8
    assert final["sites_found"] == final["sites_scored"] == len(EXPECTED_NAMES)
    assert final["pages_fetched"] > final["sites_found"]
    # The page saw the job move: several different progress reports while it ran, each
    # field only ever growing, and some taken mid-crawl.
    assert len(seen) >= 2, seen
    for earlier, later in zip([*seen, final], [*seen[1:], final], strict=False):
        assert all(earlier[k] <= later[k] for k in PROGRESS_KEYS), (earlier, later)
    assert any(0 < p["pages_fetched"] < final["pages_fetched"] for p in seen), seen

    results = done["results"]
    assert {r["domain"] for r in results} == set(EXPECTED_NAMES)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    for result in results:
        assert result["website_title"] == EXPECTED_NAMES[result["domain"]]
        if result["domain"] in GUEST_HOSTS:
            assert result["guest_post_page"] == f"http://{result['domain']}/write-for-us"
        else:
            assert result["guest_post_page"] is None
    assert done["saved_to_campaign"] == done["already_in_campaign"] == done["save_failed"] == 0
    assert await _run_duty(db, make_settings(**settings)) == 0  # nothing is left to do


async def test_min_score_filters_what_is_returned_and_what_is_saved(
    make_api: MakeApi, make_settings: Callable[..., Settings], job_web: FixtureWeb, db: Database
) -> None:
    settings = crawl_settings(job_web)
    async with make_api(**settings) as api:
        campaign = await create_campaign(api, keywords=["tofu"])
        # One guest-post site is already a lead: counted as already there, not saved again.
        added = await api.post(
            f"/campaigns/{campaign['id']}/leads", json={"website_url": "http://beanbox.org/"}
        )
        assert added.status_code == 201, added.text
        everything = await _queue(api, max_results=20)
        barred = await _queue(api, campaign_id=campaign["id"], save_to_campaign=True, min_score=BAR)
        assert await _run_duty(db, make_settings(**settings)) == 2
        unfiltered = (await _job(api, everything))["results"]
        done = await _job(api, barred)
        detail = (await api.get(f"/campaigns/{campaign['id']}")).json()

    scores = {r["domain"]: r["score"] for r in unfiltered}
    above = {d for d, s in scores.items() if s >= BAR}
    # The bar cuts the list: some results are above it, some below.
    assert above == GUEST_HOSTS and set(scores) - above, scores
    assert done["status"] == "done", done
    assert {r["domain"] for r in done["results"]} == above
    assert all(r["score"] >= BAR for r in done["results"])
    assert done["saved_to_campaign"] == len(above) - 1
    assert done["already_in_campaign"] == 1 and done["save_failed"] == 0
    leads = {lead["domain"]: lead for lead in detail["leads"]}
    assert set(leads) == above  # nothing below the bar was saved
    saved = leads["cashewcreamery.com"]
    assert saved["website_title"] == "The Cashew Creamery & Co"
    assert saved["source"] == "discovery:searxng"
    assert saved["contact_email"] == "editor@cashewcreamery.com"
    assert leads["beanbox.org"]["source"] is None  # the earlier lead is untouched


async def test_deep_discovery_results_carry_score_site_name_and_guest_page(
    make_api: MakeApi, job_web: FixtureWeb
) -> None:
    async with make_api(**crawl_settings(job_web)) as api:
        response = await api.post("/discover/deep", json={"keyword": KEYWORD})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert {r["domain"]: r["website_title"] for r in results} == EXPECTED_NAMES
    assert {r["domain"] for r in results if r["guest_post_page"]} == GUEST_HOSTS


async def test_another_workspaces_job_is_404(
    make_api: MakeApi, make_settings: Callable[..., Settings], job_web: FixtureWeb, db: Database
) -> None:
    settings = crawl_settings(job_web)
    async with make_api(**settings) as api:
        mine = await _queue(api, max_results=3)
        theirs_campaign = await create_campaign(api, user="user_b")
        # A job for someone else's campaign is refused before anything is queued.
        refused = await api.post(
            "/discover/jobs",
            json={"keyword": KEYWORD, "campaign_id": theirs_campaign["id"]},
        )
        assert refused.status_code == 404
        assert refused.json() == {"detail": "Resource not found"}
        assert await _jobs_in_db(db) == 1
        assert await _run_duty(db, make_settings(**settings)) == 1
        for path in (f"/discover/jobs/{mine}", "/discover/jobs/djob_nope", "/discover/jobs/a%00b"):
            other = await api.get(path, user="user_b")
            assert other.status_code == 404, path
            assert other.json() == {"detail": "Resource not found"}
        assert (await api.get("/discover/jobs", user="user_b")).json() == []
        foreign = await api.get("/discover/jobs", user="user_b", params={"workspace_id": "user_a"})
        assert foreign.status_code == 404
        # An organisation's job is seen by its members, not in their personal workspace.
        org_job = await _queue(api, user="user_c", max_results=3)
        shared = await api.post(
            "/discover/jobs",
            user="user_b",
            org="org_1",
            json={"keyword": KEYWORD, "max_results": 3},
        )
        assert shared.status_code == 202
        in_org = await api.get("/discover/jobs", user="user_c", org="org_1")
        assert [j["id"] for j in in_org.json()] == [shared.json()["id"]]
        personal = await api.get(
            "/discover/jobs", user="user_c", org="org_1", params={"workspace_id": "user_c"}
        )
        assert [j["id"] for j in personal.json()] == [org_job]
        assert (await _job(api, mine))["status"] == "done"


async def test_bad_requests_are_422_and_queue_nothing(
    make_api: MakeApi, job_web: FixtureWeb, db: Database
) -> None:
    searches = len(job_web.requested("127.0.0.1", "/search"))
    async with make_api(**crawl_settings(job_web)) as api:
        campaign = await create_campaign(api)
        for body in (
            {"keyword": KEYWORD, "min_score": -0.1},
            {"keyword": KEYWORD, "min_score": 1.5},
            {"keyword": KEYWORD, "min_score": "0.5"},
            {"keyword": KEYWORD, "min_score": True},
            {"keyword": KEYWORD, "save_to_campaign": True},
            {"keyword": KEYWORD, "campaign_id": campaign["id"], "save_to_campaign": "yes"},
            {"keyword": KEYWORD, "max_results": 0},
            {"keyword": KEYWORD, "max_results": 101},
            {"keyword": "!!!"},
            {"keyword": "   "},
            {},
        ):
            response = await api.post("/discover/jobs", json=body)
            assert response.status_code == 422, body
            assert isinstance(response.json()["detail"], list)
        for params in (
            {"status": "sleeping"},
            {"limit": 0},
            {"limit": 1001},
            {"cursor": "bm9wZQ"},
            {"sort": "keyword"},
        ):
            listed = await api.get("/discover/jobs", params=params)
            assert listed.status_code == 422, params
        unknown = await api.post(
            "/discover/jobs", json={"keyword": KEYWORD, "campaign_id": "cmp_nope"}
        )
        assert unknown.status_code == 404
        assert await _jobs_in_db(db) == 0
    assert len(job_web.requested("127.0.0.1", "/search")) == searches  # nothing was searched


async def test_no_search_provider_is_422_before_queuing(make_api: MakeApi, db: Database) -> None:
    async with make_api(searxng_url=None, search_provider=None) as api:
        response = await api.post("/discover/jobs", json={"keyword": KEYWORD})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "not_configured" and error["loc"] == []
    assert await _jobs_in_db(db) == 0


async def test_the_list_pages_by_keyset_with_filters(
    make_api: MakeApi, make_settings: Callable[..., Settings], job_web: FixtureWeb, db: Database
) -> None:
    settings = crawl_settings(job_web)
    async with make_api(**settings) as api:
        ids = [await _queue(api, max_results=1) for _ in range(5)]
        first = await api.get("/discover/jobs", params={"limit": 2})
        assert first.status_code == 200
        assert [j["id"] for j in first.json()] == ids[:2]
        cursor = first.headers["X-Next-Cursor"]
        assert (
            first.headers["Link"].endswith('>; rel="next"') and "cursor=" in first.headers["Link"]
        )
        # A job queued between two pages does not shift the next page.
        late = await _queue(api, max_results=1)
        second = await api.get("/discover/jobs", params={"limit": 2, "cursor": cursor})
        assert [j["id"] for j in second.json()] == ids[2:4]
        rest = await api.get(
            "/discover/jobs", params={"limit": 2, "cursor": second.headers["X-Next-Cursor"]}
        )
        assert [j["id"] for j in rest.json()] == [ids[4], late]
        assert "X-Next-Cursor" not in rest.headers
        newest = await api.get("/discover/jobs", params={"sort": "-created_at", "limit": 2})
        assert [j["id"] for j in newest.json()] == [late, ids[4]]
        wrong_order = await api.get(
            "/discover/jobs", params={"sort": "-created_at", "cursor": cursor}
        )
        assert wrong_order.status_code == 422
        assert wrong_order.json()["detail"][0]["type"] == "invalid_cursor"

        database = AppDatabase(db.engine)
        [claimed] = await job_runner.claim(database, make_settings(**settings), "wrk_a", limit=1)
        assert claimed.id == ids[0]
        running = await api.get("/discover/jobs", params={"status": "running"})
        assert [j["id"] for j in running.json()] == [ids[0]]
        queued = await api.get("/discover/jobs", params={"status": "queued"})
        assert [j["id"] for j in queued.json()] == [*ids[1:], late]
        listed = (await api.get("/discover/jobs", params={"limit": 1})).json()[0]
        assert listed == await _job(api, ids[0])  # the list's items are the job objects
