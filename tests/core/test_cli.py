"""The command line as a user runs it: dev mode end to end, and clerk mode refusing to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.servers import start_server

CLI = [sys.executable, "-m", "backlink_outreach"]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CLERK_", "AUTH_"))}
    return subprocess.run(
        CLI + args, env={**clean, **env}, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_clerk_mode_without_key_refuses_with_one_line(tmp_path: Path) -> None:
    result = _run(
        ["serve", "--port", "1"], {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, tmp_path
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "CLERK_JWT_KEY" in lines[0]


def test_dev_token_refused_outside_dev_mode(tmp_path: Path) -> None:
    result = _run(["dev-token", "--user", "alice"], {}, tmp_path)
    assert result.returncode == 2 and "AUTH_MODE=dev" in result.stderr


def test_dev_mode_end_to_end(tmp_path: Path) -> None:
    env = {
        "AUTH_MODE": "dev",
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path}/data/app.db",
    }
    assert _run(["migrate"], env, tmp_path).returncode == 0
    token = _run(["dev-token", "--user", "alice", "--org", "org_1"], env, tmp_path).stdout.strip()
    assert token.count(".") == 2
    server = start_server(env, tmp_path / "server.log")
    try:
        api = f"{server.base_url}/api/v1/backlink-outreach"
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(f"{api}/campaigns", json={"name": "CLI"}, headers=headers)
        assert created.status_code == 201 and created.json()["workspace_id"] == "org_1"
        assert httpx.get(f"{api}/campaigns", headers=headers).json()[0]["name"] == "CLI"
        assert httpx.get(f"{api}/campaigns").status_code == 401
        assert httpx.get(f"{server.base_url}/docs").status_code == 200
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert token not in log
    # The worker runs one pass and exits.
    once = _run(["worker", "--once"], env, tmp_path)
    assert once.returncode == 0, once.stderr
