"""The web app's server time and page weight (issue 19).

Server time, p95 in process (the real app through ASGI, signed in by the `__session` cookie):
- a campaign's page with 10,000 leads (the first page of 50),
- the inbox over 100,000 replies (the first page),
- the analytics page;
each against the API call that reads the same data in the same run (the JSON the page is built
from), so the ratio is what rendering HTML adds. Target: under 100 ms at p95 each.

Page weight: the HTML of an empty page plus every CSS and JS file it loads, uncompressed.
Target: under 150 KB.
"""

from __future__ import annotations

import re
import time

import httpx

from bench.bench_inbox import _rows as inbox_rows
from bench.bench_inbox import _seed as seed_replies
from bench.common import bench_api, bench_database, postgres_available
from bench.report import Figure

LEADS = 10_000
ROUNDS = 60
APP = "http://bench/app"


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)] * 1000


async def _p95_of(client: httpx.AsyncClient, url: str) -> float:
    for _ in range(5):  # warm up statement caches and templates
        warm = await client.get(url)
        assert warm.status_code == 200, (url, warm.status_code, warm.text[:300])
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = await client.get(url)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    return _p95(samples)


async def _page_weight(client: httpx.AsyncClient) -> float:
    page = await client.get(f"{APP}/campaigns")
    assert page.status_code == 200
    total = len(page.content)
    for asset in re.findall(r'(?:href|src)="(/app/static/[^"]+)"', page.text):
        total += len((await client.get(f"http://bench{asset}")).content)
    return total / 1024


async def _one_backend(backend: str) -> list[Figure]:
    async with bench_database(backend) as db, bench_api(db) as client:
        token = client.headers["Authorization"].removeprefix("Bearer ")
        client.cookies.set("__session", token)
        weight = await _page_weight(client)  # before any data: the empty state
        campaign = (await client.post("/campaigns", json={"name": "web bench"})).json()
        leads = [
            {"website_url": f"https://site{i}.example", "contact_email": f"editor@site{i}.example"}
            for i in range(LEADS)
        ]
        added = await client.post(f"/campaigns/{campaign['id']}/leads/bulk", json=leads)
        assert added.status_code in (200, 201), added.text[:300]
        first_lead = (await client.get(f"/campaigns/{campaign['id']}/leads?limit=1")).json()[0]
        await seed_replies(db, inbox_rows(campaign["id"], first_lead["id"]))
        pairs = (
            (
                "campaign page, 10k leads (first 50)",
                f"{APP}/campaigns/{campaign['id']}",
                f"/campaigns/{campaign['id']}/leads?limit=50",
            ),
            ("inbox page over 100k replies", f"{APP}/inbox", "/replies?limit=50"),
            ("analytics page", f"{APP}/analytics", "/reporting/snapshot"),
        )
        figures = []
        for name, page_url, api_url in pairs:
            baseline = await _p95_of(client, api_url)
            value = await _p95_of(client, page_url)
            figures.append(Figure(f"{name} ({backend})", "p95 ms", value, baseline, "p95 < 100 ms"))
    figures.append(Figure(f"page weight, empty page ({backend})", "KB", weight, None, "< 150 KB"))
    return figures


async def run() -> list[Figure]:
    figures = await _one_backend("sqlite")
    if await postgres_available():
        figures += await _one_backend("postgresql")
    return figures
