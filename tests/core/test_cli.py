"""The command line as a user runs it: dev mode end to end, and clerk mode refusing to start.

The end-to-end test and the banner's command run real processes (the installed command, a
server, a fresh shell). The others check what one command answers, its exit code and its
words on stderr: they run the same typer app in this process (`_run_here`), which saves a
Python start and the package's imports (seconds each) per call.
"""

from __future__ import annotations

import email
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from backlink_outreach import cli
from backlink_outreach.cli import dev_token_command
from backlink_outreach.config import Settings, get_settings
from tests.support.servers import start_server

CLI = [sys.executable, "-m", "backlink_outreach"]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CLERK_", "AUTH_"))}
    return subprocess.run(
        CLI + args, env={**clean, **env}, cwd=cwd, capture_output=True, text=True, timeout=60
    )


# What `serve` writes into its environment before it reads the settings.
_SERVE_WRITES = ("BO_EMBEDDED_WORKER", "PUBLIC_BASE_URL")


def _run_here(
    args: list[str], env: dict[str, str], cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> subprocess.CompletedProcess[str]:
    """`backlink-outreach ARGS` in this process, with the environment `_run` gives a child
    (and `cwd`, where a `.env` would be read); the environment and the cached settings are
    as before afterwards."""
    for key in _SERVE_WRITES:
        monkeypatch.setenv(key, "")  # so that monkeypatch restores them (unset) afterwards
        monkeypatch.delenv(key)
    for key in [k for k in os.environ if k.upper().startswith(("CLERK_", "AUTH_"))]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(cwd)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, args)
    finally:
        get_settings.cache_clear()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def test_clerk_mode_without_key_refuses_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run_here(
        ["serve", "--port", "1"],
        {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
        tmp_path,
        monkeypatch,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "CLERK_JWT_KEY" in lines[0]


def test_dev_token_refused_outside_dev_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run_here(["dev-token", "--user", "alice"], {}, tmp_path, monkeypatch)
    assert result.returncode == 2 and "AUTH_MODE=dev" in result.stderr


def test_dev_mode_end_to_end(tmp_path: Path) -> None:
    env = {
        "AUTH_MODE": "dev",
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path}/data/app.db",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
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
        # Without PUBLIC_BASE_URL, unsubscribe links point at the address the server listens on.
        campaign = created.json()["id"]
        lead = httpx.post(
            f"{api}/campaigns/{campaign}/leads",
            json={"website_url": "https://garden.test", "contact_email": "ed@garden.test"},
            headers=headers,
        ).json()
        sent = httpx.post(
            f"{api}/outreach/send",
            json={"campaign_id": campaign, "lead_id": lead["id"], "subject": "Hi", "body": "Hi"},
            headers=headers,
        )
        assert sent.status_code == 200, sent.text
    finally:
        server.stop()
    [message] = (tmp_path / "outbox").glob("*.eml")
    header = email.message_from_bytes(message.read_bytes())["List-Unsubscribe"]
    assert f"<{server.base_url}/api/v1/backlink-outreach/unsubscribe/" in " ".join(header.split())
    log = (tmp_path / "server.log").read_text()
    assert "Get a token: AUTH_MODE=dev" in log and "dev-token --user alice" in log
    assert token not in log
    # The worker runs one pass and exits.
    once = _run(["worker", "--once"], env, tmp_path)
    assert once.returncode == 0, once.stderr


def test_migrate_says_what_it_did(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/new.db"}
    first = _run_here(["migrate"], env, tmp_path, monkeypatch)
    assert first.returncode == 0 and "created the schema" in first.stderr, first.stderr
    again = _run_here(["migrate"], env, tmp_path, monkeypatch)
    assert again.returncode == 0 and "nothing to do" in again.stderr, again.stderr


def test_migrate_on_an_unreachable_database_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"DATABASE_URL": f"postgresql://nobody@127.0.0.1:{port}/nothing"}
    result = _run_here(["migrate"], env, tmp_path, monkeypatch)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot migrate" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_the_banner_prints_a_dev_token_command_that_works(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(_env_file=None, auth_mode="dev", data_dir=data)
    command = dev_token_command(settings)
    assert command.startswith("AUTH_MODE=dev ")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CLERK_", "AUTH_", "DATA"))}
    # As typed into a fresh shell, from the folder the server was started in.
    result = subprocess.run(
        ["bash", "-c", command], env=clean, cwd=Path.cwd(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().count(".") == 2
