"""A discovery job against the same search run synchronously: what queuing, claiming, live
progress writes and the final write cost. Over the 200-site fixture web answering after
100 ms (its own process), "gardening", max_results=20: wall time (best of two, alternated)
of `POST /discover/jobs` + the worker duty running it, against `discover()` alone in the
same run (the raw baseline);
progress writes per job second, and the wall time of one progress write while the crawl
keeps the event loop busy (mostly waiting for the loop) and on an idle loop (the database's
own cost), on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from backlink_outreach.config import Settings
from backlink_outreach.database import Database
from backlink_outreach.discovery import job_runner, service
from bench.common import bench_api, bench_database, postgres_available
from bench.report import Figure

SITES = 200
DELAY = 0.1
KEYWORD = "gardening"
IDLE_WRITES = 50
ROUNDS = 2


async def _job(backend: str, settings: dict[str, Any]) -> tuple[float, int, float, float]:
    """(wall s of queue + duty, progress writes, mean s per progress write mid-crawl, mean s
    per progress write on an idle loop)."""
    writes: list[float] = []
    original = job_runner.write_progress

    async def timed(*args: Any, **kwargs: Any) -> bool:
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            writes.append(time.perf_counter() - started)

    async with bench_database(backend) as db, bench_api(db, **settings) as api:
        job_runner.write_progress = timed
        try:
            started = time.perf_counter()
            queued = await api.post("/discover/jobs", json={"keyword": KEYWORD})
            assert queued.status_code == 202, queued.text
            config = Settings(_env_file=None, database_url=db.url, **settings)
            assert await job_runner.run_due_jobs(Database(db.engine), config) == 1
            seconds = time.perf_counter() - started
        finally:
            job_runner.write_progress = original
        job_id = queued.json()["id"]
        done = (await api.get(f"/discover/jobs/{job_id}")).json()
        assert done["status"] == "done" and len(done["results"]) == 20, done["status"]
        idle_started = time.perf_counter()
        for _ in range(IDLE_WRITES):  # the same UPDATE (it finds no lease held: same cost)
            await original(Database(db.engine), config, job_id, "wrk_bench", done["progress"])
        idle = (time.perf_counter() - idle_started) / IDLE_WRITES
    return seconds, len(writes), sum(writes) / max(1, len(writes)), idle


async def run() -> list[Figure]:
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.discovery.fixture_server", str(SITES), str(DELAY)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    figures: list[Figure] = []
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        settings: dict[str, Any] = {"searxng_url": url, "discovery_http_proxy": url}
        await service.discover(Settings(_env_file=None, **settings), KEYWORD)  # warm up
        backends = ["sqlite"] + (["postgresql"] if await postgres_available() else [])
        for backend in backends:
            # Alternated, best of ROUNDS each: the machine's load moves both alike.
            raws, jobs = [], []
            for _ in range(ROUNDS):
                found = await service.discover(Settings(_env_file=None, **settings), KEYWORD)
                raws.append(found.seconds)
                jobs.append(await _job(backend, settings))
            raw = min(raws)
            seconds, writes, per_write, idle = min(jobs)
            bench = f"discovery job 200 sites @100ms ({backend})"
            figures += [
                Figure(bench, "wall s (raw: discover() alone)", seconds, raw, "ratio ~1"),
                Figure(bench, "progress writes per job second", writes / seconds, None, "<= 2"),
                Figure(
                    bench, "ms per progress write (raw: idle loop)", per_write * 1000, idle * 1000
                ),
            ]
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(10)
    return figures
