"""Malformed and oversized requests: bodies over MAX_BODY_BYTES (with and without
Content-Length), JSON nested 10,000 deep, invalid UTF-8, a bulk of 10,001 leads, NUL bytes in
bodies, paths and queries, and paths or queries far longer than any of ours. Each gets the 4xx
of API.md and leaves every row of every table as it was."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from backlink_outreach.config import Settings
from tests.conftest import Api
from tests.hostile.conftest import Record, World
from tests.hostile.support import raw_request, refused_unchanged
from tests.support.database import Database

Call = Callable[[Api, World], Awaitable[httpx.Response | tuple[int, Any]]]
JSON = {"Content-Type": "application/json"}
LIMIT = Settings.model_fields["max_body_bytes"].default
DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


def _leads(w: World) -> str:
    return f"/campaigns/{w.campaign['id']}/leads"


async def _chunks(total: int, size: int = 1 << 20) -> AsyncIterator[bytes]:
    # A streamed body has no Content-Length: the limit must count what arrives.
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b" " * piece


def _post(path: Callable[[World], str], content: bytes) -> Call:
    async def call(api: Api, w: World) -> httpx.Response:
        return await api.post(path(w), content=content, headers=JSON)

    return call


def _post_json(path: Callable[[World], str], body: Any) -> Call:
    async def call(api: Api, w: World) -> httpx.Response:
        return await api.post(path(w), json=body)

    return call


def _get(path: Callable[[World], str], **params: str) -> Call:
    async def call(api: Api, w: World) -> httpx.Response:
        return await api.get(path(w), params=params or None)

    return call


def _raw(method: str, path: Callable[[World], bytes], query: bytes = b"") -> Call:
    async def call(api: Api, w: World) -> tuple[int, Any]:
        return await raw_request(api, method, path(w), query=query)

    return call


async def _over_limit_declared(api: Api, w: World) -> httpx.Response:
    return await api.post(f"{_leads(w)}/bulk", content=b"[" + b" " * LIMIT + b"]", headers=JSON)


async def _over_limit_streamed(api: Api, w: World) -> httpx.Response:
    return await api.post(f"{_leads(w)}/bulk", content=_chunks(LIMIT + 1), headers=JSON)


async def _over_limit_lying_length(api: Api, w: World) -> tuple[int, Any]:
    # A small Content-Length followed by a far bigger stream is counted, not believed.
    return await raw_request(
        api,
        "POST",
        f"{_leads(w)}/bulk".encode(),
        body=[b"[" + b" " * (1 << 20)] * 11 + [b"]"],
        headers=[(b"content-type", b"application/json"), (b"content-length", b"10")],
    )


async def _bulk_10001(api: Api, w: World) -> httpx.Response:
    entries = [{"website_url": f"https://site{i}.test/"} for i in range(10_001)]
    return await api.post(f"{_leads(w)}/bulk", json=entries)


async def _bulk_status_10001(api: Api, w: World) -> httpx.Response:
    body = {"lead_ids": [w.lead["id"]] * 10_001, "status": "lost"}
    return await api.patch(f"{_leads(w)}/bulk-status", json=body)


CASES: list[tuple[str, str, Call, int]] = [
    ("size", f"bulk body of {LIMIT + 2} bytes with Content-Length", _over_limit_declared, 413),
    (
        "size",
        f"bulk body of {LIMIT + 1} bytes streamed, no Content-Length",
        _over_limit_streamed,
        413,
    ),
    ("size", "Content-Length: 10 then an 11 MB stream", _over_limit_lying_length, 413),
    ("bulk", "POST leads/bulk with 10,001 valid leads", _bulk_10001, 422),
    ("bulk", "PATCH leads/bulk-status with 10,001 ids", _bulk_status_10001, 422),
    (
        "nesting",
        "POST /campaigns: array nested 10,000 deep",
        _post(lambda w: "/campaigns", DEEP),
        422,
    ),
    (
        "nesting",
        "POST leads/bulk: array nested 10,000 deep",
        _post(lambda w: _leads(w) + "/bulk", DEEP),
        422,
    ),
    ("nesting", "POST leads: object nested 10,000 deep", _post(_leads, DEEP_OBJECT), 422),
    (
        "nesting",
        "POST /suppression: object nested 10,000 deep",
        _post(lambda w: "/suppression", DEEP_OBJECT),
        422,
    ),
    (
        "utf-8",
        'POST /campaigns {"name": "\\xff\\xfe"} (invalid UTF-8)',
        _post(lambda w: "/campaigns", b'{"name": "\xff\xfe"}'),
        422,
    ),
    (
        "utf-8",
        "POST leads with a lone surrogate byte sequence \\xed\\xa0\\x80",
        _post(_leads, b'{"website_url": "https://a.test/\xed\xa0\x80"}'),
        422,
    ),
    (
        "utf-8",
        "POST /suppression with overlong UTF-8 \\xc0\\xaf",
        _post(lambda w: "/suppression", b'{"email": "a\xc0\xaf@b.test"}'),
        422,
    ),
    (
        "utf-8",
        'POST leads with an escaped lone surrogate "\\ud800"',
        _post(_leads, b'{"website_url": "https://a.test/", "notes": "\\ud800"}'),
        422,
    ),
    (
        "utf-8",
        "GET /campaigns?workspace_id=%FF (invalid UTF-8 in query)",
        _raw("GET", lambda w: b"/campaigns", b"workspace_id=%FF"),
        404,
    ),
    (
        "utf-8",
        "GET /campaigns/%FF%FE (invalid UTF-8 in path)",
        _raw("GET", lambda w: b"/campaigns/%FF%FE"),
        404,
    ),
    (
        "NUL",
        "POST /campaigns name 'a\\u0000b'",
        _post_json(lambda w: "/campaigns", {"name": "a\x00b"}),
        422,
    ),
    (
        "NUL",
        "POST /campaigns keywords ['\\u0000']",
        _post_json(lambda w: "/campaigns", {"name": "n", "keywords": ["\x00"]}),
        422,
    ),
    (
        "NUL",
        "POST leads website_url 'https://x.test/\\u0000'",
        _post_json(_leads, {"website_url": "https://x.test/\x00"}),
        422,
    ),
    (
        "NUL",
        "POST leads contact_name / notes with \\u0000",
        _post_json(
            _leads, {"website_url": "https://x.test/", "contact_name": "A\x00", "notes": "\x00"}
        ),
        422,
    ),
    (
        "NUL",
        "POST /suppression email 'a\\u0000@b.test'",
        _post_json(lambda w: "/suppression", {"email": "a\x00@b.test"}),
        422,
    ),
    (
        "NUL",
        "POST /suppression reason '\\u0000'",
        _post_json(lambda w: "/suppression", {"email": "a@b.test", "reason": "\x00"}),
        422,
    ),
    (
        "NUL",
        "POST /emails/templates body '\\u0000'",
        _post_json(lambda w: "/emails/templates", {"name": "n", "subject": "s", "body": "\x00"}),
        422,
    ),
    (
        "NUL",
        "POST /emails/generate template_id 'tpl_\\u0000'",
        _post_json(lambda w: "/emails/generate", {"topic": "seo", "template_id": "tpl_\x00"}),
        404,
    ),
    (
        "NUL",
        "POST /emails/generate campaign_id + lead_id with \\u0000",
        _post_json(
            lambda w: "/emails/generate",
            {"topic": "seo", "campaign_id": "c\x00", "lead_id": "l\x00"},
        ),
        404,
    ),
    (
        "NUL",
        "POST /emails/personalize base_email '\\u0000'",
        _post_json(lambda w: "/emails/personalize", {"base_email": "Hi\x00"}),
        422,
    ),
    (
        "NUL",
        "POST /outreach/send campaign_id '\\u0000'",
        lambda api, w: api.post(
            "/outreach/send",
            json={"campaign_id": "\x00", "lead_id": w.lead["id"], "subject": "s", "body": "b"},
        ),
        422,
    ),
    (
        "NUL",
        "POST /outreach/send subject 's\\u0000'",
        lambda api, w: api.post(
            "/outreach/send",
            json={
                "campaign_id": w.campaign["id"],
                "lead_id": w.lead["id"],
                "subject": "s\x00",
                "body": "b",
            },
        ),
        422,
    ),
    (
        "NUL",
        "POST /policy/validate recipient 'a\\u0000@b.test'",
        _post_json(
            lambda w: "/policy/validate",
            {"recipient_email": "a\x00@b.test", "sender_email": "me@s.test"},
        ),
        422,
    ),
    (
        "NUL",
        "POST /discover/deep keyword 'seo\\u0000'",
        _post_json(lambda w: "/discover/deep", {"keyword": "seo\x00"}),
        422,
    ),
    (
        "NUL",
        "PATCH leads/bulk-status lead_ids ['\\u0000']",
        lambda api, w: api.patch(
            f"{_leads(w)}/bulk-status", json={"lead_ids": ["\x00"], "status": "lost"}
        ),
        422,
    ),
    ("NUL", "GET /campaigns/%00", _get(lambda w: "/campaigns/%00"), 404),
    (
        "NUL",
        "DELETE /campaigns/{id}%00",
        lambda api, w: api.delete(f"/campaigns/{w.campaign['id']}%00"),
        404,
    ),
    (
        "NUL",
        "PATCH leads/{id}%00/status",
        lambda api, w: api.patch(f"{_leads(w)}/{w.lead['id']}%00/status", json={"status": "lost"}),
        404,
    ),
    (
        "NUL",
        "DELETE /emails/templates/{id}%00",
        lambda api, w: api.delete(f"/emails/templates/{w.template['id']}%00"),
        404,
    ),
    (
        "NUL",
        "POST /unsubscribe/%00 (public)",
        lambda api, w: api.post("/unsubscribe/%00", auth=False),
        404,
    ),
    (
        "NUL",
        "raw NUL byte in the path of GET /campaigns/{id}",
        _raw("GET", lambda w: f"/campaigns/{w.campaign['id']}\x00".encode()),
        404,
    ),
    (
        "NUL",
        "GET /campaigns?workspace_id=a%00b",
        _get(lambda w: "/campaigns", workspace_id="a\x00b"),
        422,
    ),
    (
        "NUL",
        "GET analytics?days=3%00",
        _raw("GET", lambda w: f"/campaigns/{w.campaign['id']}/analytics".encode(), b"days=3%00"),
        422,
    ),
    (
        "length",
        "GET /campaigns/<1 MB id> (raw ASGI: httpx refuses such URLs)",
        _raw("GET", lambda w: b"/campaigns/" + b"c" * 1_000_000),
        404,
    ),
    (
        "length",
        "DELETE /emails/templates/<1 MB id>",
        _raw("DELETE", lambda w: b"/emails/templates/" + b"t" * 1_000_000),
        404,
    ),
    (
        "length",
        "POST /unsubscribe/<1 MB token> (public)",
        lambda api, w: raw_request(api, "POST", b"/unsubscribe/" + b"A" * 1_000_000, auth=False),
        404,
    ),
    (
        "length",
        "GET /campaigns?workspace_id=<1 MB>",
        _raw("GET", lambda w: b"/campaigns", b"workspace_id=" + b"w" * 1_000_000),
        422,
    ),
    (
        "length",
        "GET analytics?days=<1 MB of digits>",
        _raw(
            "GET",
            lambda w: f"/campaigns/{w.campaign['id']}/analytics".encode(),
            b"days=" + b"9" * 1_000_000,
        ),
        422,
    ),
]


async def _bulk_with_nul(api: Api, w: World) -> httpx.Response:
    return await api.post(f"{_leads(w)}/bulk", json=[{"website_url": "https://x.test/\x00"}])


@pytest.mark.parametrize(("area", "tried", "call", "status"), CASES)
async def test_refused_and_nothing_changes(
    db: Database,
    hapi: Api,
    world: World,
    record: Record,
    area: str,
    tried: str,
    call: Call,
    status: int,
) -> None:
    came_back = await refused_unchanged(db, call(hapi, world), status)
    record(area, tried, came_back)


async def test_bulk_entry_with_nul_is_a_failed_entry(
    db: Database, hapi: Api, world: World, record: Record
) -> None:
    """Bulk adds report bad entries in `failed` (200, API.md); the NUL one is not stored."""
    from tests.hostile.support import diff, snapshot

    before = await snapshot(db)
    response = await _bulk_with_nul(hapi, world)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["added"] == 0 and body["failed"][0].startswith("0: website_url: invalid URL")
    assert diff(before, await snapshot(db)).empty
    record(
        "NUL",
        "POST leads/bulk [{website_url with \\u0000}]",
        f"200 {json.dumps(body)}; DB unchanged",
    )
