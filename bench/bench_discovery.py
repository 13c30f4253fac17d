"""Deep discovery over a 200-site fixture web that answers every request after 100 ms:
max_results=20 over 8 footprint queries. Wall time, pages/s and peak memory, against a raw
httpx baseline fetching the same number of pages with the same concurrency in the same run,
and a sequential-fetch measurement (extrapolated) for scale."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import tracemalloc

import httpx

from backlink_outreach.config import Settings
from backlink_outreach.discovery import service
from bench.report import Figure

SITES = 200
DELAY = 0.1
BENCH = "discovery 200 sites @100ms"


async def _raw(proxy: str, urls: list[str], concurrency: int) -> float:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(proxy=proxy, trust_env=False, timeout=30) as client:

        async def get(url: str) -> None:
            async with limit:
                (await client.get(url)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(get(u) for u in urls))
        return time.perf_counter() - started


async def _sequential(proxy: str, urls: list[str]) -> float:
    async with httpx.AsyncClient(proxy=proxy, trust_env=False, timeout=30) as client:
        started = time.perf_counter()
        for url in urls:
            (await client.get(url)).raise_for_status()
        return time.perf_counter() - started


async def run() -> list[Figure]:
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.discovery.fixture_server", str(SITES), str(DELAY)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        settings = Settings(_env_file=None, searxng_url=url, discovery_http_proxy=url)
        found = await service.discover(settings, "gardening", max_results=20)
        seconds, pages = found.seconds, found.pages_fetched
        tracemalloc.start()
        await service.discover(settings, "gardening", max_results=20)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        hosts = [f"gardening-site-{i:03d}.com" for i in range(1, SITES, 7)]
        urls = [f"http://{hosts[i % len(hosts)]}/about?n={i}" for i in range(pages)]
        raw = await _raw(url, urls, settings.discovery_concurrency)
        sample = 10
        sequential = await _sequential(url, urls[:sample]) * pages / sample
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(10)
    return [
        Figure(BENCH, "wall s (raw: same pages, httpx gather)", seconds, raw, "< 5 s"),
        Figure(BENCH, "pages/s", pages / seconds, pages / raw, "", higher_is_better=True),
        Figure(BENCH, "wall s vs sequential fetch (extrap.)", seconds, sequential, "ratio << 1"),
        Figure(
            BENCH,
            f"peak traced MB ({pages} pages, {found.sites_crawled} sites)",
            peak / 1e6,
            None,
            "informational",
        ),  # fmt: skip
    ]
