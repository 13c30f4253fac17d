"""The mailbox resource: fields, tenancy (another workspace's mailbox is 404), `mbx_default`
from the environment (read-only but for status, no secrets), secrets only sealed at rest."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import Api
from tests.mailboxes.support import IMAP_PASSWORD, KEY, PASSWORD, create_mailbox, mailbox_body
from tests.outreach.conftest import MakeApi
from tests.support.database import Database

DKIM_PEM: str | None = None


def _dkim_pem() -> str:
    global DKIM_PEM
    if DKIM_PEM is None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        DKIM_PEM = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    return DKIM_PEM


@pytest.fixture
async def mbx_api(make_api: MakeApi) -> AsyncIterator[Api]:
    async with make_api(
        secrets_key=KEY, smtp_host="127.0.0.1", smtp_password="env-smtp-secret-9"
    ) as api:
        yield api


async def test_create_read_list_and_no_secret_in_any_answer(mbx_api: Api) -> None:
    body = mailbox_body(
        imap={
            "host": "127.0.0.1",
            "port": 1143,
            "security": "none",
            "username": "alice",
            "password": IMAP_PASSWORD,
        },
        dkim={"domain": "agency.test", "selector": "s1", "private_key": _dkim_pem()},
        warmup={"enabled": True, "start_per_day": 5, "increase_per_day": 5, "max_per_day": 40},
        sent_folder="[Gmail]/Sent Mail",
    )
    created = await mbx_api.post("/mailboxes", json=body)
    assert created.status_code == 201, created.text
    mailbox = created.json()
    assert mailbox["id"].startswith("mbx_")
    assert mailbox["workspace_id"] == "user_a"
    assert mailbox["smtp"] == {
        "host": "127.0.0.1",
        "port": 2525,
        "security": "none",
        "username": "mailer",
        "password_set": True,
    }
    assert mailbox["imap"]["password_set"] is True and mailbox["imap"]["folder"] == "INBOX"
    assert mailbox["dkim"] == {"domain": "agency.test", "selector": "s1", "private_key_set": True}
    assert mailbox["status"] == "active" and mailbox["paused_reason"] is None
    assert mailbox["daily_cap"] == 50 and mailbox["min_interval_seconds"] == 90
    assert mailbox["warmup"]["enabled"] is True and mailbox["sent_folder"] == "[Gmail]/Sent Mail"
    assert mailbox["health"]["sends_today"] == 0
    assert mailbox["health"]["hard_bounces_last_50"] == 0
    assert mailbox["health"]["cap_today"] == 5  # day 0 of the warm-up
    listed = await mbx_api.get("/mailboxes")
    assert [m["id"] for m in listed.json()] == ["mbx_default", mailbox["id"]]
    got = await mbx_api.get(f"/mailboxes/{mailbox['id']}")
    assert got.status_code == 200 and got.json() == mailbox
    for response in (created, listed, got):
        for secret in (PASSWORD, IMAP_PASSWORD, "PRIVATE KEY", "env-smtp-secret-9"):
            assert secret not in response.text


async def test_another_workspace_sees_404_and_never_lists_it(mbx_api: Api) -> None:
    mailbox = await create_mailbox(mbx_api)
    path = f"/mailboxes/{mailbox['id']}"
    assert (await mbx_api.get(path, user="user_b")).json() == {"detail": "Resource not found"}
    assert (await mbx_api.get(path, user="user_b")).status_code == 404
    assert (await mbx_api.patch(path, user="user_b", json={"name": "x"})).status_code == 404
    assert (await mbx_api.delete(path, user="user_b")).status_code == 404
    assert (await mbx_api.post(f"{path}/test", user="user_b")).status_code == 404
    listed = (await mbx_api.get("/mailboxes", user="user_b")).json()
    assert [m["id"] for m in listed] == ["mbx_default"]
    other = await mbx_api.get("/mailboxes?workspace_id=user_a", user="user_b")
    assert other.status_code == 404
    # An organisation's mailbox is its members'.
    org = await mbx_api.post("/mailboxes", user="user_b", org="org_1", json=mailbox_body())
    assert org.json()["workspace_id"] == "org_1"
    assert (
        await mbx_api.get(f"/mailboxes/{org.json()['id']}", user="user_c", org="org_1")
    ).status_code == 200
    # Its owner's personal workspace is another workspace.
    assert (await mbx_api.get(f"/mailboxes/{org.json()['id']}", user="user_b")).status_code == 404
    assert (await mbx_api.get(f"/mailboxes/{org.json()['id']}", user="user_c")).status_code == 404


async def test_default_mailbox_is_read_only_but_for_status(mbx_api: Api) -> None:
    default = (await mbx_api.get("/mailboxes/mbx_default")).json()
    assert default["workspace_id"] is None and default["read_only"] is True
    assert default["smtp"]["host"] == "127.0.0.1" and default["smtp"]["password_set"] is True
    assert default["daily_cap"] == 50  # POLICY_SENDER_DAILY_CAP
    refused = await mbx_api.patch("/mailboxes/mbx_default", json={"name": "Mine"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["type"] == "read_only"
    assert (await mbx_api.delete("/mailboxes/mbx_default")).status_code == 422
    paused = await mbx_api.patch("/mailboxes/mbx_default", json={"status": "paused"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    active = await mbx_api.patch("/mailboxes/mbx_default", json={"status": "active"})
    assert active.json()["status"] == "active" and active.json()["paused_reason"] is None


async def test_patch_keeps_secrets_unless_given_and_delete(mbx_api: Api, db: Database) -> None:
    mailbox = await create_mailbox(mbx_api)
    path = f"/mailboxes/{mailbox['id']}"
    before = await _sealed(db, mailbox["id"])
    renamed = await mbx_api.patch(path, json={"name": "Renamed", "smtp": {"port": 2626}})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Renamed" and renamed.json()["smtp"]["port"] == 2626
    assert renamed.json()["smtp"]["password_set"] is True
    assert await _sealed(db, mailbox["id"]) == before
    cleared = await mbx_api.patch(path, json={"smtp": {"password": None, "username": None}})
    assert cleared.json()["smtp"]["password_set"] is False
    assert (await mbx_api.patch(path, json={"name": None})).status_code == 422
    assert (await mbx_api.patch(path, json={"daily_cap": 2001})).status_code == 422
    assert (await mbx_api.patch(path, json={"status": "paused"})).json()["status"] == "paused"
    assert (await mbx_api.delete(path)).status_code == 204
    assert (await mbx_api.get(path)).status_code == 404


async def _sealed(db: Database, mailbox_id: str) -> str:
    async with db.engine.connect() as conn:
        value = await conn.scalar(
            text("SELECT smtp_password_sealed FROM mailboxes WHERE id = :id"), {"id": mailbox_id}
        )
    return str(value)


@pytest.mark.parametrize(
    "change",
    [
        {"daily_cap": 0},
        {"daily_cap": 2001},
        {"daily_cap": "5"},
        {"min_interval_seconds": 86401},
        {"from_email": "not an address"},
        {"smtp": {"host": "", "port": 25}},
        {"smtp": {"host": "h", "port": 70000}},
        {"smtp": {"host": "h", "security": "tls"}},
        {"from_name": "Evil\r\nBcc: x@y.test"},
        {"warmup": {"enabled": True, "start_per_day": 0}},
        {"unknown_field": 1},
        {"dkim": {"domain": "agency.test", "selector": "s1", "private_key": "secret-not-pem"}},
    ],
)
async def test_bad_input_is_422_never_500(mbx_api: Api, change: dict[str, Any]) -> None:
    response = await mbx_api.post("/mailboxes", json=mailbox_body(**change))
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], list)
    assert "secret-not-pem" not in response.text


async def test_clerk_mode_without_secrets_key_is_not_configured(make_api: MakeApi) -> None:
    async with make_api() as api:
        response = await api.post("/mailboxes", json=mailbox_body())
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["type"] == "not_configured" and "SECRETS_KEY" in error["msg"]


def _read_elsewhere(path: Path) -> bytes:
    """A file's bytes read by another process. Opening and closing a SQLite file in a process
    that has it open drops that process's POSIX locks on it (SQLite's documented trap), which
    broke a later test's database ("disk I/O error")."""
    reader = "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())"
    done = subprocess.run(
        [sys.executable, "-c", reader, str(path)], capture_output=True, check=True, timeout=60
    )
    return done.stdout


async def test_no_password_in_the_raw_database(mbx_api: Api, db: Database) -> None:
    body = mailbox_body(
        imap={"host": "127.0.0.1", "username": "alice", "password": IMAP_PASSWORD},
        dkim={"domain": "agency.test", "selector": "s1", "private_key": _dkim_pem()},
    )
    assert (await mbx_api.post("/mailboxes", json=body)).status_code == 201
    key_body = _dkim_pem().splitlines()[1]
    if db.backend == "sqlite":
        path = Path(db.engine.url.database or "")
        raw = b"".join(_read_elsewhere(p) for p in path.parent.glob(path.name + "*"))
        assert raw, "no database file found"
        assert b"mbx_" in raw  # the row is there
    else:
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT * FROM mailboxes"))).all()
        raw = json.dumps([[str(v) for v in row] for row in rows]).encode()
    for secret in (PASSWORD, IMAP_PASSWORD, key_body):
        assert secret.encode() not in raw


async def test_list_pages_with_limit_and_cursor(mbx_api: Api) -> None:
    made = [(await create_mailbox(mbx_api, name=f"Box {i}"))["id"] for i in range(3)]
    seen: list[str] = []
    path = "/mailboxes?limit=2"
    while True:
        response = await mbx_api.get(path)
        assert response.status_code == 200, response.text
        seen += [m["id"] for m in response.json()]
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            break
        assert 'rel="next"' in response.headers["Link"]
        path = f"/mailboxes?limit=2&cursor={cursor}"
    assert seen == ["mbx_default", *made]
    assert (await mbx_api.get("/mailboxes?cursor=bogus")).status_code == 422
