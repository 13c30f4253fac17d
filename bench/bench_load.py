"""Load (issue 8): 50 concurrent clients from a separate process, a mixed read/write workload
for 30 s against two server processes on PostgreSQL; then the read-only part alone; then a bare
FastAPI endpoint served the same way, as the ceiling. Targets: zero errors, p99 < 250 ms, and
read-only throughput at least a third of the bare endpoint's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from tests.support.servers import ServerProcess, free_port, start_server

from backlink_outreach.auth import mint_dev_token
from backlink_outreach.config import Settings
from bench.common import bench_database, postgres_available
from bench.report import Figure

CLIENTS = 50
MIXED_SECONDS = 30
READ_SECONDS = 15
PREFIX = "/api/v1/backlink-outreach"
MIXED_OPS = [
    ("list_campaigns", 2),
    ("get_campaign", 1),
    ("add_lead", 2),
    ("update_status", 2),
    ("validate_policy", 2),
]
READ_OPS = [("list_campaigns", 2), ("get_campaign", 1)]


def _drive(cfg: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.load_driver", json.dumps(cfg)],
        capture_output=True,
        text=True,
        check=True,
        timeout=cfg["seconds"] + 120,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _cpu_seconds(servers: list[ServerProcess]) -> float | None:
    """User + system CPU of the server processes so far (Linux /proc), else None. Per request it
    is steadier than throughput on a machine whose cores the driver and others share."""
    total = 0
    try:
        for server in servers:
            stat = Path(f"/proc/{server.process.pid}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


def _drive_measured(servers: list[ServerProcess], cfg: dict[str, Any]) -> dict[str, Any]:
    before = _cpu_seconds(servers)
    result = _drive(cfg)
    after = _cpu_seconds(servers)
    if before is not None and after is not None and result["requests"]:
        result["cpu_ms_per_request"] = 1000 * (after - before) / result["requests"]
    return result


def _seed(base: str, token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base + PREFIX, headers=headers, timeout=60) as client:
        big = client.post("/campaigns", json={"name": "big"}).json()["id"]
        write = client.post("/campaigns", json={"name": "writes"}).json()["id"]
        for n in range(10):
            client.post("/campaigns", json={"name": f"other {n}"})
        leads = [
            {"website_url": f"https://big{i}.example/", "contact_email": f"ed@big{i}.example"}
            for i in range(500)
        ]
        assert client.post(f"/campaigns/{big}/leads/bulk", json=leads).json()["added"] == 500
        lead_ids = [lead["id"] for lead in client.get(f"/campaigns/{big}").json()["leads"]]
    return {"big_campaign": big, "write_campaign": write, "lead_ids": lead_ids}


def _bare_servers(tmp: Path) -> list[tuple[subprocess.Popen[bytes], int]]:
    """Two bare uvicorn servers, each with the port it listens on."""
    procs: list[tuple[subprocess.Popen[bytes], int]] = []
    for _ in range(2):
        port = free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.bare_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append((proc, port))
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
    return procs


async def run() -> list[Figure]:
    if not await postgres_available():
        return []
    async with bench_database("postgresql") as db:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            env = {
                "DATABASE_URL": db.url,
                "AUTH_MODE": "dev",
                "DATA_DIR": str(tmp_path),
                "LOG_LEVEL": "WARNING",
                "POLICY_SENDER_DAILY_CAP": "1000000",
                "SMTP_FROM_EMAIL": "outreach@agency.example",
            }
            settings = Settings(_env_file=None, auth_mode="dev", data_dir=tmp_path)
            token = mint_dev_token(settings, "load")
            servers: list[ServerProcess] = []
            try:
                for n in range(2):
                    servers.append(start_server(env, tmp_path / f"server{n}.log"))
                bases = [s.base_url for s in servers]
                cfg = {
                    "bases": bases,
                    "token": token,
                    "clients": CLIENTS,
                    "run": uuid.uuid4().hex[:6],
                    **_seed(bases[0], token),
                }
                mixed = _drive_measured(
                    servers, {**cfg, "seconds": MIXED_SECONDS, "ops": MIXED_OPS}
                )
                read = _drive_measured(servers, {**cfg, "seconds": READ_SECONDS, "ops": READ_OPS})
            finally:
                for server in servers:
                    server.stop()
            bare_procs = _bare_servers(tmp_path)
            try:
                bare = _drive(
                    {
                        "bases": [f"http://127.0.0.1:{port}" for _, port in bare_procs],
                        "clients": CLIENTS,
                        "seconds": READ_SECONDS,
                        "ops": [("bare", 1)],
                    }
                )
            finally:
                for proc, _ in bare_procs:
                    proc.terminate()
                    proc.wait(timeout=10)
    os.environ.pop("BO_EMBEDDED_WORKER", None)
    label = "load 50 clients, 2 servers (pg)"
    cpu = [
        Figure(label, f"{name} server CPU ms/req", result["cpu_ms_per_request"])
        for name, result in (("mixed", mixed), ("read-only", read))
        if "cpu_ms_per_request" in result
    ]
    return [
        Figure(label, "mixed req/s", mixed["rps"], target="errors = 0", higher_is_better=True),
        Figure(label, "mixed p50 ms", mixed["p50_ms"]),
        Figure(label, "mixed p95 ms", mixed["p95_ms"]),
        Figure(label, "mixed p99 ms", mixed["p99_ms"], target="< 250 ms"),
        Figure(label, "mixed errors", mixed["errors"], target="0"),
        Figure(
            label,
            "read-only req/s",
            read["rps"],
            baseline=bare["rps"],
            target="ratio <= 3 (>= 1/3 of bare)",
            higher_is_better=True,
        ),
        Figure(label, "read-only p99 ms", read["p99_ms"], baseline=bare["p99_ms"]),
        Figure(label, "read-only errors", read["errors"], target="0"),
        *cpu,
    ]
