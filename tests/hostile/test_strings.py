"""SQL metacharacters and 1 MB strings in every string field of every endpoint (the table in
fields.py). Accepted values are stored and returned verbatim; refused ones get a 4xx of API.md;
nothing else in the database moves; a 1 MB string is always refused with 422 (every field has a
limit). Also: `%` and `_` are never wildcards (no lookup is a LIKE)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.conftest import Api
from tests.hostile.conftest import Record, World
from tests.hostile.fields import FIELDS, Field
from tests.hostile.fields_mail import MAIL_FIELDS
from tests.hostile.support import Diff, diff, error_shape, raw_request, snapshot
from tests.support.database import Database

PAYLOADS = {
    "DROP": "'; DROP TABLE leads; --",
    "OR": '" OR 1=1 --',
    "%": "%",
    "_": "_",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "mix": "%_\\'\"`;/*",
}
MEGABYTE = "x" * 1_000_000


def _accepted_changes(field: Field, value: str, changes: Diff, response_json: object) -> None:
    """What an accepted request may have changed, by the field's kind."""
    if field.kind == "echo":
        assert changes.empty, changes.counts()
        if field.out is not None:
            assert field.out(response_json) == field.expect(value)
        return
    assert not changes.removed, changes.counts()
    assert field.table is not None and field.column is not None
    added = changes.added.get(field.table, [])
    assert len(added) == 1, changes.counts()
    expected = field.expect(value)
    stored = added[0][field.column]
    if isinstance(stored, list) or field.embedded:
        assert expected in stored, (expected, stored)
    else:
        assert stored == expected, (expected, stored)
    if field.kind == "send":
        # The attempt, its follow-ups, the sender's day counter, the mailbox's health and
        # ring of recent sends (its bounce breaker), and the lead's new status.
        mailbox = {"mailbox_health", "mailbox_recent_sends"}
        assert set(changes.added) <= {
            "outreach_attempts",
            "follow_ups",
            "send_counters",
            "policy_decisions",
            *mailbox,
        }
        assert set(changes.changed) <= {"leads", "send_counters", *mailbox}
        lead_id = added[0]["lead_id"]
        assert [new["id"] for _, new in changes.changed.get("leads", [])] == [lead_id]
        return
    # A new lead also counts in its campaign's lead-count stripes.
    counted = {"lead_count_stripes"} if field.table == "leads" else set()
    assert set(changes.added) - counted == {field.table}, changes.counts()
    assert set(changes.changed) <= counted, changes.counts()
    if field.out is not None:
        returned = field.out(response_json)
        assert expected in returned if field.embedded else returned == expected, returned


async def _request(
    api: Api, method: str, path: str, payload: Any, params: dict[str, str] | None
) -> httpx.Response:
    """httpx refuses URLs over 64 KB: those go straight into the ASGI app."""
    query = urlencode(params or {}).encode()
    if len(path) + len(query) < 60_000:
        return await api.request(method, path, json=payload, params=params)
    body = [json.dumps(payload).encode()] if payload is not None else []
    headers = [(b"content-type", b"application/json")]
    status, data = await raw_request(
        api, method, path.encode(), query=query, body=body, headers=headers
    )
    return httpx.Response(status, json=data)


def _summary(outcomes: dict[str, list[str]]) -> str:
    parts = []
    for outcome, labels in outcomes.items():
        which = "all 8" if len(labels) == len(PAYLOADS) else ", ".join(labels)
        parts.append(f"{outcome} ({which})")
    return "; ".join(parts)


@pytest.mark.parametrize("field", FIELDS + MAIL_FIELDS, ids=lambda f: f.label)
async def test_metacharacters_and_megabytes(
    db: Database, hapi: Api, world: World, record: Record, field: Field
) -> None:
    outcomes: dict[str, list[str]] = {}
    megabyte = ""
    for i, (label, value) in enumerate([*PAYLOADS.items(), ("1 MB", MEGABYTE)]):
        method, path, payload, params = await field.build(hapi, world, value, i)
        before = await snapshot(db)
        response = await _request(hapi, method, path, payload, params)
        changes = diff(before, await snapshot(db))
        if field.kind == "bulk" and response.status_code == 200 and response.json()["failed"]:
            # API.md: a bad bulk entry is reported in `failed`, the others still added.
            assert response.json()["added"] == 0 and changes.empty, changes.counts()
            said = "200 failed[" + response.json()["failed"][0].split(":")[1].strip() + "]"
        elif response.status_code < 300 and field.kind != "refuse" and label != "1 MB":
            _accepted_changes(field, value, changes, response.json())
            verb = "verbatim" if field.kind in ("store", "send", "bulk") or field.out else "ok"
            said = f"{response.status_code} {verb}"
        else:
            said = error_shape(response)
            assert len(response.content) < 2000, "the error body echoes the input"
            assert changes.empty, changes.counts()
            # Every string field has a limit: 422 in a body or query, 404 for a path.
            assert label != "1 MB" or response.status_code in (422, 404), said
        # A refused dict key shows up in the error location: name it, not its text.
        said = said.replace("x" * 64 + "...", "<1 MB key, cut>")
        if label != "1 MB" and value in said.split(": ")[0]:
            said = said.replace(value, "<value>")
        if label == "1 MB":
            megabyte = said
        else:
            outcomes.setdefault(said.split(":")[0], []).append(label)
    record(
        "strings",
        f"SQL metacharacters, then 1 MB, in {field.label}",
        f"{_summary(outcomes)}; 1 MB: {megabyte}; other rows untouched",
    )
