"""Fuzz every operation of the app's own OpenAPI document against a real server process.

No 500s, no response that violates the documented schema, no undocumented status code. The
server runs in dev auth on PostgreSQL when TEST_DATABASE_URL is set (stricter: NUL bytes,
integer ranges), else SQLite. Both valid and invalid inputs are generated.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err

from backlink_outreach.app import create_app
from backlink_outreach.auth import mint_dev_token
from backlink_outreach.config import Settings
from backlink_outreach.migrations import upgrade
from tests.support.servers import start_server

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
Operation = schemathesis.APIOperation[Any, Any, Any, Any]
# "Schema-valid data must be accepted" cannot hold for rules JSON Schema cannot state (a URL
# that parses, strictly increasing follow-up days, a lead that exists): such requests get a
# documented 404/409/422, which the other checks still verify.
NOT_EXPRESSIBLE = [schemathesis.checks.positive_data_acceptance]


def _operations() -> dict[str, Operation]:
    """The operations, read from the app's schema in-process (no server needed to collect)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Settings(
            _env_file=None,
            auth_mode="dev",
            database_url="sqlite://",
            data_dir=Path(tmp),
        )
        spec = create_app(config).openapi()
    loaded = schemathesis.openapi.from_dict(spec)
    operations: dict[str, Operation] = {}
    for result in loaded.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        operations[operation.label] = operation
    return operations


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    admin = os.environ.get("TEST_DATABASE_URL")
    url = f"sqlite:///{tmp}/fuzz.db"
    if admin:
        import asyncio

        from tests.support.database import close_database, open_database

        database = asyncio.run(open_database("postgresql", tmp))
        url = database.plain_url
    else:
        upgrade(url)
    env = {
        "AUTH_MODE": "dev",
        "DATA_DIR": str(tmp),
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
    }
    token = mint_dev_token(Settings(_env_file=None, auth_mode="dev", data_dir=tmp), "fuzzer")
    server = start_server(env, Path(tmp) / "server.log")
    try:
        # Without this, a token the server rejects would make every case a documented 401.
        probe = httpx.get(
            f"{server.base_url}/api/v1/backlink-outreach/campaigns",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert probe.status_code == 200, probe.text
        yield server.base_url, token
    finally:
        server.stop()
        if admin:
            asyncio.run(close_database(database))


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation_conforms_to_its_openapi(label: str, fuzz_server: tuple[str, str]) -> None:
    base_url, token = fuzz_server
    operation = OPERATIONS[label]
    run = uuid.uuid4().hex

    statuses: list[int] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case: schemathesis.Case[Operation]) -> None:
        response = case.call_and_validate(
            base_url=base_url,
            excluded_checks=NOT_EXPRESSIBLE,
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": run},
        )
        statuses.append(response.status_code)

    check()
    assert statuses and any(code != 401 for code in statuses), statuses
