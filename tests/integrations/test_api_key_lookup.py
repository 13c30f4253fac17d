"""The API key lookup on its kept connections (integrations/api_keys.py `KeyLookup`): it sees a
revocation at once, survives a connection the server dropped, and gives its connections back to
the engine's pool when the app stops."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from backlink_outreach.integrations.api_keys import KeyLookup
from tests.conftest import Api
from tests.integrations.test_api_keys import _bearer, _key
from tests.outreach.conftest import MakeApi
from tests.support.database import Database

CHEAP = "/emails/placeholders"  # authenticated, and no database work of its own


async def test_a_kept_connection_sees_each_revocation_at_once(api: Api) -> None:
    keys = [str((await _key(api, ["read"]))["key"]) for _ in range(3)]
    for key in keys:  # every key used, so the lookup's connections are warm
        assert (await api.get(CHEAP, auth=False, headers=_bearer(key))).status_code == 200
    listed = (await api.get("/api-keys")).json()
    for index, row in enumerate(sorted(listed, key=lambda k: k["created_at"])):
        assert (await api.delete(f"/api-keys/{row['id']}")).status_code == 204
        for n, key in enumerate(keys):
            answer = await api.get(CHEAP, auth=False, headers=_bearer(key))
            assert answer.status_code == (401 if n <= index else 200), (index, n)


async def test_the_lookup_survives_a_dropped_connection(api: Api, db: Database) -> None:
    if db.backend != "postgresql":
        pytest.skip("SQLite connections are files: the server cannot drop them")
    key = str((await _key(api, ["read"]))["key"])
    assert (await api.get(CHEAP, auth=False, headers=_bearer(key))).status_code == 200
    # The server ends the lookup's kept connection (a restart, an idle timeout, an operator).
    lookup: KeyLookup = api.app.state.api_keys._lookup
    pids = [kept.driver.get_server_pid() for kept in lookup._idle]
    assert pids
    async with db.engine.connect() as conn:
        for pid in pids:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    for _ in range(3):
        assert (await api.get(CHEAP, auth=False, headers=_bearer(key))).status_code == 200
    assert not set(pids) & {kept.driver.get_server_pid() for kept in lookup._idle}


async def test_stopping_the_app_returns_the_connections(make_api: MakeApi, db: Database) -> None:
    pool = db.engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    async with make_api() as api:
        key = str((await _key(api, ["read"]))["key"])
        assert (await api.get(CHEAP, auth=False, headers=_bearer(key))).status_code == 200
        assert pool.checkedout() > before  # type: ignore[attr-defined]
    assert pool.checkedout() == before  # type: ignore[attr-defined]
