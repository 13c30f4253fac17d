"""API keys: shown once, hashed, scoped, per workspace, managed only with a Clerk session,
revoked at once, `last_used_at` at most once a minute."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update

from backlink_outreach.models import ApiKey
from tests.conftest import Api, create_campaign
from tests.support.database import Database


async def _key(api: Api, scopes: list[str], **kwargs: object) -> dict[str, object]:
    response = await api.post("/api-keys", json={"name": "cron", "scopes": scopes}, **kwargs)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _bearer(key: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_key_is_shown_once_and_stored_as_its_sha256(api: Api, db: Database) -> None:
    created = await _key(api, ["read"])
    key = str(created["key"])
    assert key.startswith("blo_") and len(key) >= 4 + 43
    assert str(created["prefix"]) == key[: len(str(created["prefix"]))]
    assert set(created) >= {"id", "name", "scopes", "prefix", "created_at", "expires_at"}
    listed = (await api.get("/api-keys")).json()
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0]
    async with db.engine.connect() as conn:
        dump = str((await conn.execute(text("SELECT * FROM api_keys"))).all())
    assert key not in dump and key[4:] not in dump
    assert hashlib.sha256(key.encode()).hexdigest() in dump


async def test_key_acts_only_in_its_workspace(api: Api) -> None:
    mine = await create_campaign(api, user="user_a")
    theirs = await create_campaign(api, user="user_a", org="org_1")
    key = (await _key(api, ["read"], user="user_a", org="org_1"))["key"]
    listed = await api.get("/campaigns", auth=False, headers=_bearer(key))
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()] == [theirs["id"]]
    other = await api.get(f"/campaigns/{mine['id']}", auth=False, headers=_bearer(key))
    assert other.status_code == 404 and other.json() == {"detail": "Resource not found"}


async def test_read_key_cannot_write_and_write_key_can(api: Api) -> None:
    read = (await _key(api, ["read"]))["key"]
    write = (await _key(api, ["read", "write"]))["key"]
    body = {"name": "From a script"}
    refused = await api.post("/campaigns", auth=False, headers=_bearer(read), json=body)
    assert refused.status_code == 403 and refused.json() == {"detail": "Insufficient scope"}
    made = await api.post("/campaigns", auth=False, headers=_bearer(write), json=body)
    assert made.status_code == 201, made.text


async def test_keys_cannot_manage_keys(api: Api) -> None:
    write = (await _key(api, ["read", "write"]))["key"]
    body = {"name": "escalate", "scopes": ["read", "write"]}
    for response in (
        await api.post("/api-keys", auth=False, headers=_bearer(write), json=body),
        await api.get("/api-keys", auth=False, headers=_bearer(write)),
    ):
        assert response.status_code == 403, response.text


async def test_revoked_unknown_and_expired_keys_are_401(api: Api, db: Database) -> None:
    created = await _key(api, ["read"])
    key = created["key"]
    assert (await api.get("/campaigns", auth=False, headers=_bearer(key))).status_code == 200
    assert (await api.delete(f"/api-keys/{created['id']}")).status_code == 204
    gone = await api.get("/campaigns", auth=False, headers=_bearer(key))
    assert gone.status_code == 401 and gone.json() == {"detail": "Not authenticated"}
    assert (await api.delete(f"/api-keys/{created['id']}")).status_code == 404
    fake = await api.get("/campaigns", auth=False, headers=_bearer("blo_" + "x" * 43))
    assert fake.status_code == 401
    later = await _key(api, ["read"])
    async with db.engine.begin() as conn:
        await conn.execute(
            update(ApiKey)
            .where(ApiKey.id == later["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    expired = await api.get("/campaigns", auth=False, headers=_bearer(later["key"]))
    assert expired.status_code == 401


async def test_another_users_key_cannot_be_deleted(api: Api) -> None:
    created = await _key(api, ["read"], user="user_a")
    assert (await api.delete(f"/api-keys/{created['id']}", user="user_b")).status_code == 404


async def test_last_used_at_is_written_at_most_once_a_minute(api: Api, db: Database) -> None:
    created = await _key(api, ["read"])
    key = created["key"]

    async def last_used() -> datetime | None:
        await api.app.state.api_keys.settle()
        async with db.engine.connect() as conn:
            value = (
                await conn.execute(select(ApiKey.last_used_at).where(ApiKey.id == created["id"]))
            ).scalar_one()
        return value

    assert await last_used() is None
    await api.get("/campaigns", auth=False, headers=_bearer(key))
    first = await last_used()
    assert first is not None
    await api.get("/campaigns", auth=False, headers=_bearer(key))
    assert await last_used() == first  # no write within the minute
    async with db.engine.begin() as conn:
        await conn.execute(
            update(ApiKey)
            .where(ApiKey.id == created["id"])
            .values(last_used_at=datetime.now(UTC) - timedelta(minutes=2))
        )
    await api.get("/campaigns", auth=False, headers=_bearer(key))
    latest = await last_used()
    assert latest is not None and latest > first


async def test_bad_key_requests_are_422(api: Api) -> None:
    for body in (
        {"name": "x", "scopes": ["write"]},
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["admin"]},
        {"name": "", "scopes": ["read"]},
        {"name": "x", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"},
        {"name": "x", "scopes": ["read"], "expires_at": "soon"},
    ):
        response = await api.post("/api-keys", json=body)
        assert response.status_code == 422, (body, response.text)
        assert isinstance(response.json()["detail"], list)
