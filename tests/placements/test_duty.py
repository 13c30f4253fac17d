"""The re-check duty: due placements only, the interval with its jitter, per-host limits, the
last 20 checks, events through the lifecycle, and the worker's composition root."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update

from backlink_outreach.config import Settings
from backlink_outreach.database import Database
from backlink_outreach.db import utcnow
from backlink_outreach.duties import DUTIES
from backlink_outreach.models import OutboxEvent, Placement
from backlink_outreach.placements.duty import LEASE, claim_due, recheck_due
from tests.conftest import Api
from tests.discovery.conftest import crawl_settings
from tests.discovery.fixture_server import FixtureWeb, Reply
from tests.mailboxes.support import KEY as SECRETS_KEY
from tests.placements.conftest import place, placed_lead
from tests.placements.web import LinkSite, article, link, page
from tests.support.database import Database as DbHandle

AddSite = Callable[..., LinkSite]


async def _make_due(db: DbHandle, *placement_ids: str) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            update(Placement)
            .where(Placement.id.in_(placement_ids))
            .values(next_check_at=utcnow() - timedelta(minutes=1))
        )


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _placement(api: Api, placement_id: str) -> dict[str, object]:
    listed = (await api.get("/placements", params={"limit": 1000})).json()
    found: dict[str, object] = next(p for p in listed if p["id"] == placement_id)
    return found


def test_the_duty_is_listed_for_the_worker() -> None:
    assert ("link_checks", recheck_due) in DUTIES


async def test_due_placements_are_rechecked_on_their_interval(
    papi: Api,
    add_site: AddSite,
    db: DbHandle,
    make_settings: Callable[..., Settings],
    web: FixtureWeb,
) -> None:
    blog = add_site(**{"/a": page(article(link())), "/b": page(article(link()))})
    campaign_id, lead_a = await placed_lead(papi)
    first = await place(papi, campaign_id, lead_a, f"http://{blog.host}/a")
    campaign_b, lead_b = await placed_lead(papi)
    not_due = await place(papi, campaign_b, lead_b, f"http://{blog.host}/b")
    settings = make_settings(**crawl_settings(web), link_check_interval_hours=10)
    database = Database(db.engine)
    assert await recheck_due(database, settings) == 0  # nothing is due yet
    blog.routes["/a"] = page(article("gone"))
    await _make_due(db, first["id"])
    before = utcnow()
    assert await recheck_due(database, settings) == 1
    after = utcnow()
    again = await _placement(papi, first["id"])
    assert again["status"] == "missing" and again["consecutive_misses"] == 1
    due = _at(str(again["next_check_at"]))
    assert before + timedelta(hours=9) <= due <= after + timedelta(hours=11)
    assert await recheck_due(database, settings) == 0
    assert (await _placement(papi, not_due["id"]))["checked_at"] == not_due["checked_at"]


async def test_jitter_spreads_due_times_within_ten_percent(
    papi: Api,
    add_site: AddSite,
    db: DbHandle,
    make_settings: Callable[..., Settings],
    web: FixtureWeb,
) -> None:
    routes = {f"/p{i}": page(article(link())) for i in range(12)}
    blog = add_site(**routes)
    ids = []
    for path in routes:
        campaign_id, lead_id = await placed_lead(papi)
        ids.append((await place(papi, campaign_id, lead_id, f"http://{blog.host}{path}"))["id"])
    await _make_due(db, *ids)
    settings = make_settings(**crawl_settings(web), link_check_interval_hours=100)
    assert await recheck_due(Database(db.engine), settings) == 12
    offsets = []
    for placement_id in ids:
        found = await _placement(papi, placement_id)
        delay = _at(str(found["next_check_at"])) - _at(str(found["checked_at"]))
        offsets.append(delay / timedelta(hours=1))
    assert all(90 <= hours <= 110 for hours in offsets), offsets
    assert len({round(hours, 3) for hours in offsets}) > 6  # not all the same time


async def test_history_keeps_the_last_20_checks(
    papi: Api,
    add_site: AddSite,
    db: DbHandle,
    make_settings: Callable[..., Settings],
    web: FixtureWeb,
) -> None:
    blog = add_site(**{"/post": page(article(link()))})
    campaign_id, lead_id = await placed_lead(papi)
    placement = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    settings = make_settings(**crawl_settings(web))
    for _ in range(21):
        await _make_due(db, placement["id"])
        assert await recheck_due(Database(db.engine), settings) == 1
    found = await _placement(papi, placement["id"])
    history = found["history"]
    assert isinstance(history, list) and len(history) == 20
    assert history[-1]["at"] == found["checked_at"]
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)


async def test_lost_by_the_worker_and_the_lead_stays_placed(
    papi: Api,
    add_site: AddSite,
    db: DbHandle,
    make_settings: Callable[..., Settings],
    web: FixtureWeb,
) -> None:
    blog = add_site(**{"/post": page(article(link()))})
    campaign_id, lead_id = await placed_lead(papi)
    placement = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    settings = make_settings(**crawl_settings(web))
    blog.routes["/post"] = Reply(404, b"gone")
    for expected in ("missing", "lost"):
        await _make_due(db, placement["id"])
        await recheck_due(Database(db.engine), settings)
        assert (await _placement(papi, placement["id"]))["status"] == expected
    campaign = (await papi.get(f"/campaigns/{campaign_id}")).json()
    assert campaign["leads"][0]["status"] == "placed"


async def test_a_user_status_is_not_overwritten_by_a_link_still_live(
    papi: Api,
    add_site: AddSite,
    db: DbHandle,
    make_settings: Callable[..., Settings],
    web: FixtureWeb,
) -> None:
    """Only a first find (or a find after `lost`) places the lead: a re-check of a live link
    does not undo what the user set since."""
    blog = add_site(**{"/post": page(article(link()))})
    campaign_id, lead_id = await placed_lead(papi)
    placement = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    response = await papi.patch(
        f"/campaigns/{campaign_id}/leads/{lead_id}/status", json={"status": "replied"}
    )
    assert response.status_code == 200
    await _make_due(db, placement["id"])
    await recheck_due(Database(db.engine), make_settings(**crawl_settings(web)))
    campaign = (await papi.get(f"/campaigns/{campaign_id}")).json()
    assert campaign["leads"][0]["status"] == "replied"


async def test_a_claim_is_leased_so_another_worker_skips_it(
    papi: Api, add_site: AddSite, db: DbHandle
) -> None:
    blog = add_site(**{"/post": page(article(link()))})
    campaign_id, lead_id = await placed_lead(papi)
    placement = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    await _make_due(db, placement["id"])
    database = Database(db.engine)
    now = utcnow()
    async with database.write() as session:
        claimed = await claim_due(session, now, 10)
    assert [job.placement_id for job in claimed] == [placement["id"]]
    async with database.write() as session:
        assert await claim_due(session, now, 10) == []  # a second worker finds nothing
    async with database.write() as session:  # the lease runs out: due again
        again = await claim_due(session, now + LEASE + timedelta(seconds=1), 10)
    assert [job.placement_id for job in again] == [placement["id"]]


class _Tracked(LinkSite):
    """Answers slowly and records how many of its requests were in flight at once."""

    in_flight: Counter[str] = Counter()
    peak: Counter[str] = Counter()

    def reply(self, path: str, web: FixtureWeb) -> Reply:
        if path == "/robots.txt":
            return super().reply(path, web)
        html = page(article(link())).body
        host = self.host

        async def slow() -> AsyncIterator[bytes]:
            self.in_flight[host] += 1
            self.peak[host] = max(self.peak[host], self.in_flight[host])
            try:
                await asyncio.sleep(0.15)
                yield html
            finally:
                self.in_flight[host] -= 1

        return Reply(stream=slow)


async def test_per_host_limits_hold_while_hosts_run_side_by_side(
    papi: Api, db: DbHandle, make_settings: Callable[..., Settings], web: FixtureWeb
) -> None:
    hosts = [f"tracked-{i}.example" for i in range(3)]
    for host in hosts:
        web.sites[host] = _Tracked(host=host, topic="", kind="special", search_keywords=set())
    ids = []
    for host in hosts:
        for n in range(5):
            campaign_id, lead_id = await placed_lead(papi)
            ids.append((await place(papi, campaign_id, lead_id, f"http://{host}/p{n}"))["id"])
    _Tracked.peak.clear()
    await _make_due(db, *ids)
    settings = make_settings(**crawl_settings(web), discovery_per_host_concurrency=2)
    started = asyncio.get_running_loop().time()
    assert await recheck_due(Database(db.engine), settings) == 15
    elapsed = asyncio.get_running_loop().time() - started
    assert {host: _Tracked.peak[host] for host in hosts} == dict.fromkeys(hosts, 2)
    # 3 rounds per host (5 pages, 2 at a time), hosts side by side: far below 15 in a row.
    assert elapsed < 15 * 0.15


async def test_a_found_and_a_lost_link_are_webhook_events(
    make_api: Callable[..., contextlib.AbstractAsyncContextManager[Api]],
    add_site: AddSite,
    db: DbHandle,
    make_settings: Callable[..., Settings],
    web: FixtureWeb,
) -> None:
    async with make_api(**crawl_settings(web), secrets_key=SECRETS_KEY) as papi:
        await _found_then_lost(papi, add_site, db, make_settings, web)


async def _found_then_lost(
    papi: Api,
    add_site: AddSite,
    db: DbHandle,
    make_settings: Callable[..., Settings],
    web: FixtureWeb,
) -> None:
    hook = await papi.post(
        "/webhooks",
        json={"url": "https://hooks.example.com/in", "events": ["link.verified", "link.lost"]},
    )
    assert hook.status_code == 201, hook.text
    blog = add_site(**{"/post": page(article(link()))})
    campaign_id, lead_id = await placed_lead(papi)
    placement = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    blog.routes["/post"] = Reply(404, b"gone")
    settings = make_settings(**crawl_settings(web))
    for _ in range(2):  # two misses: lost
        await _make_due(db, placement["id"])
        await recheck_due(Database(db.engine), settings)
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(OutboxEvent.type, OutboxEvent.payload).order_by(OutboxEvent.created_at)
            )
        ).all()
    assert [kind for kind, _ in rows] == ["link.verified", "link.lost"]
    for _, payload in rows:
        data = json.loads(payload)["data"]
        assert data["placement_id"] == placement["id"] and data["lead_id"] == lead_id
