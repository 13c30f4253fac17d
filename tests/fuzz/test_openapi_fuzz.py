"""Fuzz every operation of the app's own OpenAPI document against a real server process.

Schemathesis's conformance checks, all of them: no 500, responses match the documented schema,
status code and content type, schema-invalid requests are refused (negative_data_rejection),
schema-valid ones are accepted (positive_data_acceptance), and an undocumented method is a 405
whose `Allow` names every documented method of the path (unsupported_method,
allow_header_conformance). Its three phases run: explicit examples, coverage (boundary values,
missing fields, undocumented methods) and fuzzing, each with valid and invalid data. The server
runs in dev auth on PostgreSQL when TEST_DATABASE_URL is set (stricter: NUL bytes, integer
ranges), else SQLite.
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
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckFunction, positive_data_acceptance
from schemathesis.core.parameters import ParameterLocation

from backlink_outreach.app import create_app
from backlink_outreach.auth import mint_dev_token
from backlink_outreach.config import API_PREFIX, Settings
from backlink_outreach.migrations import upgrade
from tests.support.servers import start_server

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
# The suite's run is derandomized, so CI sees the same cases every time and a failure
# reproduces; `FUZZ_RANDOM=1` (with a larger FUZZ_EXAMPLES) explores new ones.
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") != "1"

# Narrow exclusions: one check on one operation, each for a rule JSON Schema cannot state. The
# requests are still sent, and every other check (no 500, documented status and body,
# negative data refused) still holds for them.
EXCLUDED: dict[str, list[CheckFunction]] = {
    # A `website_url` must have a host that IDNA 2008 and DNS accept (labels of at most 63
    # characters, at most 253 in all, no `xn--` label that does not decode...): `format: uri`
    # says far less, so a valid-by-schema URL can be a documented 422.
    f"POST {API_PREFIX}/campaigns/{{campaign_id}}/leads": [positive_data_acceptance],
    f"PATCH {API_PREFIX}/campaigns/{{campaign_id}}/leads/{{lead_id}}": [positive_data_acceptance],
    # The same host rules for a placement's `placement_url` and the lead's `target_url`.
    f"POST {API_PREFIX}/campaigns/{{campaign_id}}/leads/{{lead_id}}/placement": [
        positive_data_acceptance
    ],
    # An API key's `expires_at` must be in the future: a time no schema can bound.
    f"POST {API_PREFIX}/api-keys": [positive_data_acceptance],
    # `format: email` admits addresses the sender rule refuses (`*@domain` is the wildcard
    # form of suppression entries, never an address; quoted local parts).
    f"POST {API_PREFIX}/policy/validate": [positive_data_acceptance],
    f"POST {API_PREFIX}/privacy/erase": [positive_data_acceptance],
    # No search provider and no mailbox are configured in the fuzzed server: every valid
    # request is API.md's 422 `not_configured`.
    f"POST {API_PREFIX}/discover/deep": [positive_data_acceptance],
    f"POST {API_PREFIX}/discover/jobs": [positive_data_acceptance],
    f"POST {API_PREFIX}/replies/poll": [positive_data_acceptance],
    # A mailbox's `dkim.private_key` must be a PEM private key that loads, and its addresses
    # must pass the sender rule: a valid-by-schema string is a documented 422.
    f"POST {API_PREFIX}/mailboxes": [positive_data_acceptance],
    f"PATCH {API_PREFIX}/mailboxes/{{mailbox_id}}": [positive_data_acceptance],
    # Either `lead_ids` or `all_eligible: true`, never both nor neither: a rule between two
    # fields that the schema does not state.
    f"POST {API_PREFIX}/campaigns/{{campaign_id}}/enroll": [positive_data_acceptance],
    # Likewise `classification` or `lead_id`, exactly one of them.
    f"PATCH {API_PREFIX}/replies/{{reply_id}}": [positive_data_acceptance],
    # A CSV import's file must have a header naming a website column, in a text encoding: a
    # valid-by-schema body (any bytes) is mostly a documented 422.
    f"POST {API_PREFIX}/campaigns/{{campaign_id}}/leads/import": [positive_data_acceptance],
}
CREATE_CAMPAIGN = f"POST {API_PREFIX}/campaigns"
UPDATE_CAMPAIGN = f"PATCH {API_PREFIX}/campaigns/{{campaign_id}}"
# Rules of a campaign's schedule that JSON Schema cannot state: a sequence's order (step 0
# first, with a subject; later steps 1..90 days after; a body or a template in each), a window
# whose start is before its end, a time zone that exists.
SCHEDULE_FIELDS = ("sequence", "send_window", "timezone")


def _schema() -> Any:
    """The app's schema, read in-process (no server needed to collect)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Settings(
            _env_file=None,
            auth_mode="dev",
            database_url="sqlite://",
            data_dir=Path(tmp),
        )
        spec = create_app(config).openapi()
    return schemathesis.openapi.from_dict(spec)


schema = _schema()


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
            f"{server.base_url}{API_PREFIX}/campaigns",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert probe.status_code == 200, probe.text
        yield server.base_url, token
    finally:
        server.stop()
        if admin:
            asyncio.run(close_database(database))


Case = schemathesis.Case[Any]


def _increasing_follow_up_days(case: Case) -> None:
    """Strictly increasing `follow_up_days` is the one rule of POST /campaigns that JSON Schema
    cannot state (it states `uniqueItems`): a valid-by-schema list is put in order, so that
    positive_data_acceptance holds the rest of the body to the schema. Invalid cases are sent
    as generated (an unordered list must still be refused: tests/core/test_campaigns.py)."""
    body = case.body
    days = body.get("follow_up_days") if isinstance(body, dict) else None
    if (
        case.operation.label == CREATE_CAMPAIGN
        and case.meta is not None
        and case.meta.generation.mode.is_positive
        and isinstance(body, dict)
        and isinstance(days, list)
        and all(type(day) in (int, float) for day in days)
    ):
        # Distinct (`uniqueItems`: 4 and 4.0 are one value), so sorted is strictly increasing.
        ordered: list[Any] = sorted(
            days, key=lambda day: float(day) if isinstance(day, int | float) else 0.0
        )
        body["follow_up_days"] = ordered


def _no_schedule_rules(case: Case) -> None:
    """A positive case of creating or changing a campaign drops the schedule fields it made
    up (their cross-field rules are `SCHEDULE_FIELDS`'), so positive_data_acceptance still holds
    the rest of the body to the schema; negative cases are sent as generated (the rules are
    tested in tests/sequences/test_scheduling.py)."""
    body = case.body
    if (
        case.operation.label in (CREATE_CAMPAIGN, UPDATE_CAMPAIGN)
        and case.meta is not None
        and case.meta.generation.mode.is_positive
        and isinstance(body, dict)
    ):
        for name in SCHEDULE_FIELDS:
            body.pop(name, None)


def _no_made_up_cursor(case: Case) -> None:
    """A list's `cursor` is opaque: only one the server gave out is valid, which JSON Schema
    cannot state (any string of the documented alphabet is "valid by schema"). A positive
    case drops the one it made up, so positive_data_acceptance still holds `limit` and the
    filters to the schema; negative cases are sent as generated (a forged cursor is a 422:
    tests/core/test_pages.py)."""
    query = case.query
    if (
        case.meta is not None
        and case.meta.generation.mode.is_positive
        and isinstance(query, dict)
        and "cursor" in query
    ):
        del query["cursor"]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=list(HealthCheck),
)
def test_operation_conforms_to_its_openapi(case: Case, fuzz_server: tuple[str, str]) -> None:
    base_url, token = fuzz_server
    _increasing_follow_up_days(case)
    _no_schedule_rules(case)
    _no_made_up_cursor(case)
    case.call_and_validate(
        base_url=base_url,
        excluded_checks=EXCLUDED.get(case.operation.label, []),
        headers=_headers(case, token),
    )


def _headers(case: Case, token: str) -> dict[str, str]:
    """Our token on every case but those generated negative in their headers: the bearer scheme
    is the only header the schema declares, so such a case removed or mangled `Authorization`
    and is sent as generated (its documented answer is a 401). Adding our token to it would
    make a valid request of a case that negative_data_rejection expects refused."""
    headers = {"X-Request-ID": RUN}
    if case.meta is None or not case.meta.is_negative_at(ParameterLocation.HEADER):
        headers["Authorization"] = f"Bearer {token}"
    return headers


RUN = uuid.uuid4().hex
