"""The load generator, run as its own process: N concurrent clients for a fixed time.

`python -m bench.load_driver CONFIG_JSON` prints one JSON line: throughput, latency
percentiles and errors, overall and per operation.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from typing import Any

import httpx


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _client(
    n: int,
    cfg: dict[str, Any],
    deadline: float,
    latencies: dict[str, list[float]],
    errors: dict[str, int],
) -> None:
    rng = random.Random(n)
    bases: list[str] = cfg["bases"]
    headers = {"Authorization": f"Bearer {cfg['token']}"} if cfg.get("token") else {}
    ops: list[tuple[str, int]] = cfg["ops"]
    names = [name for name, _ in ops]
    weights = [weight for _, weight in ops]
    counter = 0
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    async with httpx.AsyncClient(headers=headers, timeout=30, limits=limits) as client:
        while time.perf_counter() < deadline:
            op = rng.choices(names, weights)[0]
            base = bases[(n + counter) % len(bases)]
            counter += 1
            method, path, body = _request(op, cfg, n, counter, rng)
            started = time.perf_counter()
            try:
                response = await client.request(method, base + path, json=body)
                ok = response.status_code < 400
            except httpx.HTTPError:
                ok = False
            latencies.setdefault(op, []).append(time.perf_counter() - started)
            if not ok:
                errors[op] = errors.get(op, 0) + 1


def _request(
    op: str, cfg: dict[str, Any], n: int, counter: int, rng: random.Random
) -> tuple[str, str, Any]:
    prefix = "/api/v1/backlink-outreach"
    if op == "bare":
        return "GET", "/ping", None
    if op == "list_campaigns":
        return "GET", f"{prefix}/campaigns", None
    if op == "get_campaign":
        return "GET", f"{prefix}/campaigns/{cfg['big_campaign']}", None
    if op == "add_lead":
        url = f"https://load-{cfg['run']}-{n}-{counter}.example/"
        return "POST", f"{prefix}/campaigns/{cfg['write_campaign']}/leads", {"website_url": url}
    if op == "update_status":
        lead = rng.choice(cfg["lead_ids"])
        status = rng.choice(["discovered", "contacted", "replied"])
        return (
            "PATCH",
            f"{prefix}/campaigns/{cfg['big_campaign']}/leads/{lead}/status",
            {"status": status},
        )
    if op == "validate_policy":
        return (
            "POST",
            f"{prefix}/policy/validate",
            {
                "recipient_email": f"editor{counter % 97}@site{n}.example",
                "sender_email": "outreach@agency.example",
                "subject": "Guest post idea",
            },
        )
    raise ValueError(op)


async def main(cfg: dict[str, Any]) -> dict[str, Any]:
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    started = time.perf_counter()
    deadline = started + cfg["seconds"]
    await asyncio.gather(
        *(_client(n, cfg, deadline, latencies, errors) for n in range(cfg["clients"]))
    )
    elapsed = time.perf_counter() - started
    every = [x for values in latencies.values() for x in values]
    return {
        "requests": len(every),
        "seconds": elapsed,
        "rps": len(every) / elapsed,
        "p50_ms": _percentile(every, 0.50) * 1000,
        "p95_ms": _percentile(every, 0.95) * 1000,
        "p99_ms": _percentile(every, 0.99) * 1000,
        "errors": sum(errors.values()),
        "by_op": {
            op: {"n": len(v), "p99_ms": _percentile(v, 0.99) * 1000, "errors": errors.get(op, 0)}
            for op, v in latencies.items()
        },
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
