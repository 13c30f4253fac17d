"""Helpers for the hostile-input tests: a full snapshot of the database to diff against, the
error-body checks of API.md, a raw ASGI call for what httpx refuses to send, and the journal of
"what was tried -> what came back" that the closing note quotes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from starlette.types import Message

from backlink_outreach import models  # noqa: F401 - registers every table
from backlink_outreach.config import API_PREFIX
from backlink_outreach.db import Base
from tests.conftest import Api
from tests.support.database import Database

Row = dict[str, Any]
Snapshot = dict[str, dict[tuple[Any, ...], Row]]


async def snapshot(db: Database) -> Snapshot:
    """Every row of every table, keyed by primary key. Small in these tests, and stronger than
    row counts: a changed column in any row shows up too."""
    result: Snapshot = {}
    async with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = (await conn.execute(select(table))).mappings().all()
            pk = [c.name for c in table.primary_key]
            result[table.name] = {tuple(r[k] for k in pk): dict(r) for r in rows}
    return result


@dataclass
class Diff:
    added: dict[str, list[Row]] = field(default_factory=dict)
    changed: dict[str, list[tuple[Row, Row]]] = field(default_factory=dict)
    removed: dict[str, list[Row]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def counts(self) -> dict[str, tuple[int, int, int]]:
        names = set(self.added) | set(self.changed) | set(self.removed)
        return {
            n: (
                len(self.added.get(n, [])),
                len(self.changed.get(n, [])),
                len(self.removed.get(n, [])),
            )
            for n in sorted(names)
        }


def diff(before: Snapshot, after: Snapshot) -> Diff:
    out = Diff()
    for table, old in before.items():
        new = after[table]
        added = [new[k] for k in new.keys() - old.keys()]
        removed = [old[k] for k in old.keys() - new.keys()]
        changed = [(old[k], new[k]) for k in old.keys() & new.keys() if old[k] != new[k]]
        if added:
            out.added[table] = added
        if removed:
            out.removed[table] = removed
        if changed:
            out.changed[table] = changed
    return out


def error_shape(response: httpx.Response | tuple[int, Any]) -> str:
    """Check the body against the error contract of API.md; return a short description."""
    if isinstance(response, httpx.Response):
        status, body = response.status_code, response.json()
    else:
        status, body = response
    assert status not in (400, 500), f"{status}: {str(body)[:300]}"
    assert 400 < status < 500, f"expected a 4xx, got {status}: {str(body)[:300]}"
    assert set(body) <= {"detail", "reason"}, body
    detail = body["detail"]
    fixed = {401: "Not authenticated", 404: "Resource not found", 413: "Request too large"}
    if status in fixed:
        assert body == {"detail": fixed[status]}, body
        return f"{status} {detail}"
    if status == 403:
        assert detail == "Policy validation failed" and isinstance(body.get("reason"), str)
        return f"403 reason={body['reason']}"
    if status == 409:
        assert isinstance(detail, str) and detail, body
        return "409 conflict"
    assert status == 422 and isinstance(detail, list) and detail, body
    for item in detail:
        assert {"loc", "msg", "type"} <= set(item) and isinstance(item["loc"], list), item
        assert isinstance(item["msg"], str) and item["msg"], item
    first = detail[0]
    loc = ".".join(str(p) for p in first["loc"]) or "-"
    return f"422 {loc}: {first['type']}"


async def raw_request(
    api: Api,
    method: str,
    raw_path: bytes,
    *,
    query: bytes = b"",
    body: Iterable[bytes] = (),
    headers: list[tuple[bytes, bytes]] | None = None,
    auth: bool = True,
) -> tuple[int, Any]:
    """One request straight into the ASGI app: for what httpx will not build (a 1 MB path,
    a raw NUL byte in a path). `body` chunks are streamed without a Content-Length."""
    app = api.app
    path = API_PREFIX.encode() + raw_path
    all_headers = list(headers or [])
    if auth:
        token = api.headers()["Authorization"]
        all_headers.append((b"authorization", token.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path.decode("latin-1"),
        "raw_path": path,
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver"), *all_headers],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    chunks = list(body)
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ] or [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        return {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(payload) if payload else None


@dataclass
class Journal:
    """Rows of (area, what was tried) -> what came back, per backend."""

    rows: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def add(self, backend: str, area: str, tried: str, came_back: str) -> None:
        self.rows.setdefault((area, tried), {})[backend] = came_back

    def markdown(self) -> str:
        """One result column; where the backends disagree, each is shown by name."""
        backends = sorted({b for results in self.rows.values() for b in results})
        lines = [
            f"| area | what was tried | what came back ({' and '.join(backends)}) |",
            "|---|---|---|",
        ]
        for (area, tried), results in self.rows.items():
            seen = {results.get(b, "(not run)") for b in backends}
            if len(seen) == 1:
                came_back = seen.pop()
            else:
                came_back = " / ".join(f"{b}: {results.get(b, '(not run)')}" for b in backends)
            lines.append(f"| {area} | {_cell(tried)} | {_cell(came_back)} |")
        return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


JOURNAL = Journal()


async def refused_unchanged(
    db: Database, request: Awaitable[httpx.Response | tuple[int, Any]], status: int
) -> str:
    """Await the request (not started yet: a coroutine runs only when awaited); it must answer
    `status` with the contract's body and change no row."""
    before = await snapshot(db)
    response = await request
    came_back = error_shape(response)
    got = response.status_code if isinstance(response, httpx.Response) else response[0]
    assert got == status, came_back
    changes = diff(before, await snapshot(db))
    assert changes.empty, changes.counts()
    return came_back + "; DB unchanged"
