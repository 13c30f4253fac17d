"""Placements (issue 17): one worker pass re-checking 1,000 due placements on 200 hosts of a
fixture web (its own process) that answers every request after 100 ms, at most 2 requests at
once per host; against a raw httpx `gather` of the same 1,000 fetches under the same limits
(2 per host, the checker's overall concurrency) in the same run. And finding the link in a
2 MB page, against selectolax's bare parse and link walk of the same page."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import timedelta

import httpx
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy import func, select
from tests.placements.web import TARGET, big_page, link

from backlink_outreach.config import Settings
from backlink_outreach.database import Database
from backlink_outreach.db import utcnow
from backlink_outreach.models import Campaign, Lead, Placement
from backlink_outreach.placements.duty import recheck_due
from backlink_outreach.placements.finder import find_link
from bench.common import bench_database
from bench.report import Figure

HOSTS = 200
PER_HOST = 5
DELAY = 0.1
PER_HOST_LIMIT = 2
BENCH = f"re-check {HOSTS * PER_HOST} placements, {HOSTS} hosts @100ms"


def _urls() -> list[str]:
    return [
        f"http://bench-blog-{h:03d}.example/post-{k}" for h in range(HOSTS) for k in range(PER_HOST)
    ]


async def _seed(db: Database, urls: list[str]) -> None:
    now = utcnow()
    async with db.write() as session:
        session.add(Campaign(id="cmp_bench", workspace_id="ws_bench", name="bench"))
        await session.flush()
        for n, url in enumerate(urls):
            lead_id = f"lead_bench{n:05d}"
            host = url.split("/")[2]
            session.add(
                Lead(
                    id=lead_id,
                    campaign_id="cmp_bench",
                    workspace_id="ws_bench",
                    website_url=f"http://{host}",
                    domain=f"{host}-{n}",
                    target_url=TARGET,
                )
            )
            session.add(
                Placement(
                    id=f"plc_bench{n:05d}",
                    workspace_id="ws_bench",
                    campaign_id="cmp_bench",
                    lead_id=lead_id,
                    placement_url=url,
                    target_url=TARGET,
                    next_check_at=now - timedelta(minutes=1),
                )
            )
            if n % 200 == 199:
                await session.flush()


async def _raw(proxy: str, urls: list[str], concurrency: int) -> float:
    overall = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(PER_HOST_LIMIT))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(proxy=proxy, trust_env=False, timeout=30, limits=limits) as client:

        async def get(url: str) -> None:
            async with overall, hosts[url.split("/")[2]]:
                (await client.get(url)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(get(u) for u in urls))
        return time.perf_counter() - started


def _finder_figures() -> list[Figure]:
    html = big_page(2_000_000, link()).body.decode()
    url = "http://blog.example/big"

    def timed(work: object) -> float:
        runs = []
        for _ in range(7):
            started = time.perf_counter()
            work()  # type: ignore[operator]
            runs.append(time.perf_counter() - started)
        return statistics.median(runs) * 1000

    def bare() -> None:
        for node in LexborHTMLParser(html).css("a[href]"):
            node.attributes.get("href")

    found = find_link(html, url, TARGET)
    assert found.link is not None, "the link must be found"
    links = html.count("<a ")
    return [
        Figure(
            f"find the link in a 2 MB page ({links:,} links)",
            "ms (raw: parse + walk every href)",
            timed(lambda: find_link(html, url, TARGET)),
            timed(bare),
            "< 50 ms",
        )
    ]


async def run() -> list[Figure]:
    urls = _urls()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.placements.web", str(HOSTS), str(PER_HOST), str(DELAY)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        proxy = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        settings = Settings(
            _env_file=None,
            discovery_http_proxy=proxy,
            discovery_per_host_concurrency=PER_HOST_LIMIT,
        )
        async with bench_database("sqlite") as bench_db:
            db = Database(bench_db.engine)
            await _seed(db, urls)
            started = time.perf_counter()
            checked = await recheck_due(db, settings)
            seconds = time.perf_counter() - started
            async with db.read() as session:
                live = await session.scalar(select(func.count()).where(Placement.status == "live"))
        assert checked == len(urls), f"checked {checked} of {len(urls)}"
        raw = await _raw(proxy, urls, settings.link_check_concurrency)
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(10)
    return [
        Figure(
            BENCH,
            f"wall s (raw: httpx gather, {PER_HOST_LIMIT}/host, {settings.link_check_concurrency} "
            "at once)",
            seconds,
            raw,
            "< 15 s and ratio <= 2.5",
        ),
        Figure(
            BENCH, f"placements/s ({live} found live)", checked / seconds, None, "informational"
        ),
        *_finder_figures(),
    ]
