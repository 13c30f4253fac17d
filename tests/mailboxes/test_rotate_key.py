"""`backlink-outreach rotate-secrets-key --new-key-file F` re-seals every secret in one
transaction; a start with the old key then fails with a clear message (CLI: exit 2, one line;
the app's lifespan: ConfigError), never a 500; a wrong old key changes nothing."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from backlink_outreach.config import ConfigError
from backlink_outreach.mailboxes import secrets
from tests.mailboxes.support import KEY, OTHER_KEY, PASSWORD, create_mailbox
from tests.outreach.conftest import MakeApi
from tests.support.database import Database

CLI = [sys.executable, "-m", "backlink_outreach"]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLERK_", "AUTH_", "SECRETS_", "SMTP_"))
    }
    return subprocess.run(
        CLI + args, env={**clean, **env}, cwd=cwd, capture_output=True, text=True, timeout=120
    )


async def _sealed(
    db: Database, query: str = "SELECT id, smtp_password_sealed FROM mailboxes"
) -> list[tuple[str, str]]:
    # A fresh engine: what another process committed, not a pooled connection's snapshot.
    engine = create_async_engine(db.url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(query))
            return [(str(a), str(b)) for a, b in rows]
    finally:
        await engine.dispose()


async def test_rotation_re_seals_and_the_old_key_is_refused_at_start(
    db: Database, make_api: MakeApi, tmp_path: Path, make_settings: Any
) -> None:
    async with make_api(secrets_key=KEY) as api:
        mailbox = await create_mailbox(api)
        made = await api.post(
            "/webhooks",
            json={"url": "https://hooks.example.com/in", "events": ["send.sent"]},
        )
        assert made.status_code == 201, made.text
        webhook = made.json()
    before = await _sealed(db)
    hooks_before = await _sealed(db, "SELECT id, secret_sealed FROM webhook_endpoints")
    key_file = tmp_path / "new.key"
    key_file.write_text(OTHER_KEY + "\n")
    env = {"DATABASE_URL": db.plain_url, "DATA_DIR": str(tmp_path / "data"), "SECRETS_KEY": KEY}

    wrong = _run(
        ["rotate-secrets-key", "--new-key-file", str(key_file)],
        {**env, "SECRETS_KEY": base64.b64encode(b"x" * 32).decode()},
        tmp_path,
    )
    assert wrong.returncode == 1 and "nothing was changed" in wrong.stderr
    assert await _sealed(db) == before

    done = _run(["rotate-secrets-key", "--new-key-file", str(key_file)], env, tmp_path)
    assert done.returncode == 0, done.stderr
    after = await _sealed(db)
    assert after != before and [i for i, _ in after] == [mailbox["id"]], done.stderr
    new_key = base64.b64decode(OTHER_KEY)
    assert secrets.unseal(new_key, after[0][1], mailbox["id"]) == PASSWORD
    # Webhook signing secrets are rotated in the same transaction.
    hooks = await _sealed(db, "SELECT id, secret_sealed FROM webhook_endpoints")
    assert hooks != hooks_before and [i for i, _ in hooks] == [webhook["id"]]
    assert secrets.unseal(new_key, hooks[0][1], webhook["id"]) == webhook["secret"]
    assert PASSWORD not in done.stdout + done.stderr

    # A restart with the old key: a clear message, not a 500.
    worker = _run(["worker", "--once"], {**env, "AUTH_MODE": "dev"}, tmp_path)
    assert worker.returncode == 2
    assert "SECRETS_KEY does not decrypt" in worker.stderr and "Traceback" not in worker.stderr
    with pytest.raises(ConfigError, match="SECRETS_KEY does not decrypt"):
        async with make_api(secrets_key=KEY):
            pass
    # With the new key everything works, the password included.
    async with make_api(secrets_key=OTHER_KEY) as api:
        got = await api.get(f"/mailboxes/{mailbox['id']}")
        assert got.status_code == 200 and got.json()["smtp"]["password_set"] is True
