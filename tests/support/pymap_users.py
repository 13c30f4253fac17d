"""One real pymap server (in-memory `dict` backend) with several users: several mailboxes.

pymap's `dict` backend makes one demo user; run as a script, this module adds every user named
in the `PYMAP_USERS` environment variable (a JSON object `{login: password}`) the same way and
then starts pymap with the command line it is given. `pymap_users_server` runs it on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

USERS_ENV = "PYMAP_USERS"


def _serve() -> None:
    from pymap.backend.dict import DictBackend, Login
    from pymap.main import main
    from pymap.user import Passwords, UserMetadata

    users: dict[str, str] = json.loads(os.environ[USERS_ENV])

    async def add_users(cls: Any, config: Any, login: Login) -> None:
        for name, password in users.items():
            hashed = await Passwords(config).hash_password(password)
            identity = type(login.demo_user_identity)(name, login, None, frozenset())
            await identity.set(UserMetadata(config, name, password=hashed))

    DictBackend._add_demo_user = classmethod(add_users)  # type: ignore[method-assign,assignment]
    main()


@contextmanager
def pymap_users_server(log_dir: Path, users: Mapping[str, str]) -> Iterator[int]:
    """pymap on loopback (no TLS) where each of `users` logs in with its password."""
    # Imported here, not at the top: this file is also the pymap child's script, run where the
    # `tests` package is not importable.
    from tests.support.servers import free_port, wait_for_port

    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-tls", "--no-service", "admin", "dict"]
    env = {**os.environ, USERS_ENV: json.dumps(dict(users))}
    with (log_dir / f"pymap-users-{port}.log").open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_for_port(port, proc, "pymap")
            yield port
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    _serve()
