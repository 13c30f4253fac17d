"""Real server processes for tests that need several of them (multi-process caps, crashes)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], what: str, timeout: float = 15.0
) -> None:
    """Until a TCP connection to `port` succeeds; RuntimeError when `process` exits first or
    the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.05)


# uvicorn closes a keep-alive connection after 5 s idle (its `timeout_keep_alive`), and httpx
# keeps one for 5 s (`keepalive_expiry`): a request sent on it just as the server closes it
# fails with "Server disconnected without sending a response" (seen once in a crash test, after
# the worker phase left the client idle about that long). Clients of server processes drop idle
# connections well before the server does.
CLIENT_KEEPALIVE_SECONDS = 1.0


def client_limits(max_connections: int = 100) -> httpx.Limits:
    """`httpx.Limits` for a client of `start_server`'s processes."""
    return httpx.Limits(max_connections=max_connections, keepalive_expiry=CLIENT_KEEPALIVE_SECONDS)


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    log_file: IO[bytes] | None = None

    def _close_log(self) -> None:
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_log()

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs (crash tests)."""
        self.process.kill()
        self.process.wait()
        self._close_log()


def start_server(
    env: Mapping[str, str],
    log_path: Path,
    *,
    worker: bool = False,
    port: int | None = None,
    timeout: float = 30.0,
) -> ServerProcess:
    """`backlink-outreach serve` in a child process; waits until /health answers."""
    port = port or free_port()
    full_env = {**os.environ, **env}
    args = [sys.executable, "-m", "backlink_outreach", "serve", "--port", str(port)]
    if not worker:
        args.append("--no-worker")
    log_file = log_path.open("wb")
    process = subprocess.Popen(args, env=full_env, stdout=log_file, stderr=subprocess.STDOUT)
    server = ServerProcess(process, port, log_path, log_file)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server._close_log()
            raise RuntimeError(f"server exited early: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.base_url}/health", timeout=1.0).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not start: {log_path.read_text()[-2000:]}")


async def start_servers(
    env: Mapping[str, str], folder: Path, count: int = 2
) -> list[ServerProcess]:
    """`count` API processes on one database, started side by side (the multi-process tests)."""
    started = await asyncio.gather(
        *(asyncio.to_thread(start_server, env, folder / f"server{i}.log") for i in range(count))
    )
    return list(started)
