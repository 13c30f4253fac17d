"""Authentication cost (issue 18): an API key against a verified and cached RS256 session token.

Both run the same cheap authenticated GETs through the real app in process, one after the
other, many times; the session token's signature was checked once and then comes from the
verifier's cache, which is the baseline. An API key is looked up in the database on every request
(so a DELETE stops it on every process at once): that lookup is what the ratio measures.

- `GET /emails/placeholders` touches no database: the ratio is the key lookup against nothing,
  the worst case.
- `GET /emails/templates?limit=1` is a cheap read of the workspace's data: one query.

Target: ratio <= 1.2 on the database read.
"""

from __future__ import annotations

import statistics
import time

import httpx

from bench.common import bench_api, bench_database, postgres_available
from bench.report import Figure

PAIRS = 800
# Token and key requests alternate one by one, each timed alone, and the medians are compared:
# the machine's load changes from second to second (other suites, other benchmarks), and
# alternating makes it land on both sides alike.


async def _timed(api: httpx.AsyncClient, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = await api.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed


async def _measure(backend: str) -> list[Figure]:
    figures: list[Figure] = []
    async with bench_database(backend) as db, bench_api(db) as api:
        created = await api.post("/api-keys", json={"name": "bench", "scopes": ["read"]})
        assert created.status_code == 201, created.text
        key = {"Authorization": f"Bearer {created.json()['key']}"}
        token = {"Authorization": api.headers["Authorization"]}
        template = {"name": "b", "subject": "Hi {name}", "body": "Hello"}
        assert (await api.post("/emails/templates", json=template)).status_code == 201
        for path, label in (
            ("/emails/placeholders", "no database"),
            ("/emails/templates?limit=1", "one query"),
        ):
            for _ in range(50):  # warm: the token verified, the lookup's connections open
                await _timed(api, path, token)
                await _timed(api, path, key)
            cached_times, keyed_times = [], []
            for _ in range(PAIRS):
                cached_times.append(await _timed(api, path, token))
                keyed_times.append(await _timed(api, path, key))
            cached, keyed = statistics.median(cached_times), statistics.median(keyed_times)
            figures.append(
                Figure(
                    f"auth: API key vs cached token, GET {path} ({label}, {backend})",
                    "ms/request",
                    keyed * 1000,
                    cached * 1000,
                    "ratio <= 1.2" if label == "one query" else "(worst case, no target)",
                )
            )
    return figures


async def run() -> list[Figure]:
    figures = await _measure("sqlite")
    if await postgres_available():
        figures += await _measure("postgresql")
    return figures
