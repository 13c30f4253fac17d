"""Keyset pages (API.md part 2, "Lists: filters and pages") on every list that has them."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.requests import Request

from backlink_outreach import pages
from tests.conftest import Api, create_campaign

PAGED_LISTS = ("/suppression", "/emails/templates", "/campaigns")


async def _bulk(api: Api, campaign_id: str, sites: list[str]) -> None:
    response = await api.post(
        f"/campaigns/{campaign_id}/leads/bulk", json=[{"website_url": s} for s in sites]
    )
    assert response.status_code == 200 and response.json()["added"] == len(sites), response.text


def _next(response: httpx.Response) -> str | None:
    cursor: str | None = response.headers.get("X-Next-Cursor")
    link = response.headers.get("Link")
    assert (cursor is None) == (link is None), response.headers
    if cursor is not None:
        assert link is not None and link.endswith('>; rel="next"')
        target = urlsplit(link[1 : link.index(">")])
        assert parse_qs(target.query)["cursor"] == [cursor]
    return cursor


async def _walk(api: Api, path: str, limit: int, between: Any = None) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = await api.get(path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page) <= limit
        seen.extend(page)
        cursor = _next(response)
        if cursor is None:
            return seen
        params = {"limit": limit, "cursor": cursor}
        if between is not None:
            await between()


async def test_leads_walk_every_row_once_while_others_insert(api: Api) -> None:
    campaign = await create_campaign(api)
    # One bulk add: the 250 leads share one created_at, so the id must break the ties.
    await _bulk(api, campaign["id"], [f"https://site{i}.test" for i in range(250)])
    before = {
        lead["id"] for lead in (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]
    }
    counter = iter(range(10_000))

    async def insert() -> None:
        await _bulk(api, campaign["id"], [f"https://new{next(counter)}.test" for _ in range(7)])

    seen = await _walk(api, f"/campaigns/{campaign['id']}/leads", 100, between=insert)
    ids = [lead["id"] for lead in seen]
    assert len(ids) == len(set(ids))
    assert before <= set(ids)


async def test_leads_walk_with_a_concurrent_inserter(api: Api) -> None:
    campaign = await create_campaign(api)
    await _bulk(api, campaign["id"], [f"https://site{i}.test" for i in range(250)])
    before = {
        lead["id"] for lead in (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]
    }
    done = asyncio.Event()

    async def inserter() -> None:
        i = 0
        while not done.is_set():
            response = await api.post(
                f"/campaigns/{campaign['id']}/leads", json={"website_url": f"live{i}.test"}
            )
            assert response.status_code == 201, response.text
            i += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(inserter())
    try:
        for sort in ("created_at", "-created_at", "-quality_score"):
            ids = [
                lead["id"]
                for lead in await _walk(api, f"/campaigns/{campaign['id']}/leads?sort={sort}", 100)
            ]
            assert len(ids) == len(set(ids)), sort
            assert before <= set(ids), sort
    finally:
        done.set()
        await task


@pytest.mark.parametrize("path", PAGED_LISTS)
async def test_part_one_lists_page_and_stay_whole_without_limit(api: Api, path: str) -> None:
    for i in range(7):
        if path == "/suppression":
            created = await api.post(path, json={"email": f"person{i}@site.test"})
        elif path == "/emails/templates":
            created = await api.post(path, json={"name": f"T{i}", "subject": "Hi", "body": "B"})
        else:
            created = await api.post(path, json={"name": f"C{i}"})
        assert created.status_code == 201, created.text
    whole = await api.get(path)
    assert whole.status_code == 200 and len(whole.json()) == 7
    assert "Link" not in whole.headers and "X-Next-Cursor" not in whole.headers
    extra = iter(range(100))

    async def insert() -> None:
        n = next(extra)
        if path == "/suppression":
            await api.post(path, json={"email": f"late{n}@site.test"})
        elif path == "/emails/templates":
            await api.post(path, json={"name": f"L{n}", "subject": "Hi", "body": "B"})
        else:
            await api.post(path, json={"name": f"L{n}"})

    walked = await _walk(api, path, 3, between=insert)
    ids = [row["id"] for row in walked]
    assert len(ids) == len(set(ids))
    assert ids[:7] == [row["id"] for row in whole.json()]  # oldest first, as the whole list


@pytest.mark.parametrize("path", PAGED_LISTS)
async def test_no_next_page_headers_on_the_last_page(api: Api, path: str) -> None:
    for i in range(4):
        if path == "/suppression":
            await api.post(path, json={"email": f"p{i}@site.test"})
        elif path == "/emails/templates":
            await api.post(path, json={"name": f"T{i}", "subject": "Hi", "body": "B"})
        else:
            await api.post(path, json={"name": f"C{i}"})
    exact = await api.get(path, params={"limit": 4})
    assert len(exact.json()) == 4 and _next(exact) is None
    first = await api.get(path, params={"limit": 2})
    cursor = _next(first)
    assert cursor is not None
    last = await api.get(path, params={"limit": 2, "cursor": cursor})
    assert len(last.json()) == 2 and _next(last) is None
    empty = await api.get(path, user="user_b", params={"limit": 2})
    assert empty.json() == [] and _next(empty) is None


def _forged(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", [*PAGED_LISTS, "/campaigns/{id}/leads"])
async def test_bad_limit_and_cursor_are_422(api: Api, path: str) -> None:
    campaign = await create_campaign(api)
    path = path.replace("{id}", campaign["id"])
    for params in (
        {"limit": 0},
        {"limit": 1001},
        {"limit": "ten"},
        {"cursor": "not base64!"},
        {"cursor": "bm9wZQ"},  # base64 of "nope"
        {"cursor": _forged(["created_at", "yesterday", "cmp_x"])},
        {"cursor": _forged(["created_at", "2024-01-01T00:00:00", "cmp_x"])},  # no offset
        {"cursor": _forged(["created_at", "2024-01-01T00:00:00+00:00", 5])},
        {"cursor": _forged(["created_at", None, "cmp_x"])},
        {"cursor": _forged(["-quality_score", 0.5, "cmp_x"])},  # another order's
        {"cursor": _forged(["created_at", "2024-01-01T00:00:00+00:00", "a\x00b"])},
        {"cursor": _forged({"a": 1})},
        {"cursor": "x" * 601},
    ):
        response = await api.get(path, params=params)
        assert response.status_code == 422, (params, response.text)
        detail = response.json()["detail"]
        assert isinstance(detail, list) and detail[0]["loc"][0] == "query", detail


async def test_a_cursor_belongs_to_its_sort(api: Api) -> None:
    campaign = await create_campaign(api)
    await _bulk(api, campaign["id"], [f"https://s{i}.test" for i in range(3)])
    path = f"/campaigns/{campaign['id']}/leads"
    first = await api.get(path, params={"limit": 1, "sort": "-quality_score"})
    cursor = _next(first)
    assert cursor is not None
    again = await api.get(path, params={"limit": 1, "sort": "-quality_score", "cursor": cursor})
    assert again.status_code == 200 and again.json()[0]["id"] != first.json()[0]["id"]
    other = await api.get(path, params={"limit": 1, "cursor": cursor})
    assert other.status_code == 422
    assert other.json()["detail"][0]["type"] == "invalid_cursor"


async def test_link_keeps_the_other_parameters(api: Api) -> None:
    campaign = await create_campaign(api)
    await _bulk(api, campaign["id"], ["https://alpha1.test", "https://alpha2.test", "beta.test"])
    response = await api.get(
        f"/campaigns/{campaign['id']}/leads",
        params={"q": "alpha", "limit": 1, "sort": "-created_at"},
    )
    link = response.headers["Link"]
    query = parse_qs(urlsplit(link[1 : link.index(">")]).query)
    assert query["q"] == ["alpha"] and query["limit"] == ["1"] and query["sort"] == ["-created_at"]
    following = await api.client.get(link[1 : link.index(">")], headers=api.headers())
    assert following.status_code == 200
    assert [lead["domain"] for lead in following.json()] != [response.json()[0]["domain"]]
    assert all("alpha" in lead["domain"] for lead in following.json())


@pytest.mark.parametrize(
    "query",
    [
        b"",
        b"limit=2",
        b"cursor=old&limit=2",
        b"q=a+b&cursor=old&q=%C3%A9t%C3%A9&sort=-created_at",
        b"flag&empty=&limit=2",
        b"q=%26%3D%2B%25&limit=2",
    ],
)
def test_the_next_url_is_starlettes(query: bytes) -> None:
    """`pages.with_cursor` writes what Starlette's `include_query_params` writes (it reuses
    the query the request parsed), for repeated, blank, encoded and earlier cursor values."""
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/backlink-outreach/campaigns/cmp_1/leads",
        "raw_path": b"/api/v1/backlink-outreach/campaigns/cmp_1/leads",
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"example.test:8000")],
        "server": ("example.test", 8000),
    }
    request = Request(scope)
    expected = str(request.url.include_query_params(cursor="WyJuZXh0Il0"))
    assert pages.with_cursor(request, "WyJuZXh0Il0") == expected
