"""Each provider's request and response mapping, against the loopback server speaking its wire
format (plain httpx, no SDKs); rate-limit retries; failures; provider selection."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from backlink_outreach.config import Settings
from backlink_outreach.discovery.queries import footprint_queries
from backlink_outreach.discovery.search import (
    Brave,
    Exa,
    SearchProvider,
    SearchUnavailable,
    SearXNG,
    Serper,
    Tavily,
    select_provider,
)
from backlink_outreach.errors import NotConfigured
from tests.discovery.fixture_server import FixtureWeb, Reply, Request
from tests.support.servers import free_port

KEY = "test-key-123"
ITEMS = [("https://a-garden.com/write-for-us", "Write for us", "We accept guest posts")]


def _json(payload: Any, status: int = 200, **headers: str) -> Reply:
    return Reply(status, json.dumps(payload).encode(), "application/json", headers)


def _install(web: FixtureWeb) -> dict[str, list[Request]]:
    seen: dict[str, list[Request]] = {}

    def route(path: str, key_header: str, build: Any, prefix: str = "") -> None:
        async def handler(request: Request) -> Reply:
            seen.setdefault(path, []).append(request)
            if request.headers.get(key_header) != prefix + KEY:
                return _json({"error": "invalid key"}, 401)
            return _json(build(request))

        web.routes[path] = handler

    route("/res/v1/web/search", "x-subscription-token", lambda r: {
        "type": "search",
        "web": {"results": [{"url": u, "title": t, "description": d} for u, t, d in ITEMS]},
    })  # fmt: skip
    route("/tavily/search", "authorization", lambda r: {
        "query": json.loads(r.body)["query"],
        "results": [{"url": u, "title": t, "content": d, "score": 0.9} for u, t, d in ITEMS],
    }, prefix="Bearer ")  # fmt: skip
    route("/exa/search", "x-api-key", lambda r: {
        "results": [{"url": u, "title": t, "text": d, "id": u} for u, t, d in ITEMS],
    })  # fmt: skip
    route("/serper/search", "x-api-key", lambda r: {
        "organic": [{"link": u, "title": t, "snippet": d, "position": 1} for u, t, d in ITEMS],
    })  # fmt: skip
    return seen


@pytest.mark.parametrize(
    ("cls", "path", "base"),
    [
        (Brave, "/res/v1/web/search", ""),
        (Tavily, "/tavily/search", "/tavily"),
        (Exa, "/exa/search", "/exa"),
        (Serper, "/serper/search", "/serper"),
    ],
)
async def test_provider_wire_formats(
    web: FixtureWeb, cls: type[SearchProvider], path: str, base: str
) -> None:
    seen = _install(web)
    provider = cls(web.url + base, KEY)
    async with httpx.AsyncClient(trust_env=False) as client:
        hits = await provider.search(client, 'gardening "write for us"', 10)
        assert [(h.url, h.title, h.snippet) for h in hits] == ITEMS
        request = seen[path][-1]
        if cls is Brave:
            assert request.method == "GET" and request.query["q"] == ['gardening "write for us"']
            assert request.query["count"] == ["10"]
        else:
            assert request.method == "POST"
            sent = json.loads(request.body)
            assert 'gardening "write for us"' in (sent.get("query"), sent.get("q"))
        with pytest.raises(SearchUnavailable):  # a refused key
            await cls(web.url + base, "wrong").search(client, "gardening", 10)


async def test_searxng_wire_format(web: FixtureWeb) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        hits = await SearXNG(web.url).search(client, 'gardening "write for us"', 20)
    assert hits and all(h.url.startswith(("http://", "https://")) for h in hits)
    assert any(h.url == "http://greenthumbdaily.com/" for h in hits)


async def test_rate_limit_is_retried_with_bounded_backoff(web: FixtureWeb) -> None:
    calls: list[int] = []

    async def limited(request: Request) -> Reply:
        calls.append(1)
        if len(calls) < 3:
            return _json({"error": "rate limited"}, 429, **{"Retry-After": "0"})
        return _json({"organic": [{"link": ITEMS[0][0], "title": "t", "snippet": "s"}]})

    web.routes["/limited/search"] = limited
    async with httpx.AsyncClient(trust_env=False) as client:
        provider = Serper(web.url + "/limited", KEY, backoff_seconds=0.01)
        assert [h.url for h in await provider.search(client, "q", 5)] == [ITEMS[0][0]]
        assert len(calls) == 3
    calls.clear()

    async def always(request: Request) -> Reply:
        calls.append(1)
        return _json({}, 429)

    web.routes["/always/search"] = always
    async with httpx.AsyncClient(trust_env=False) as client:
        with pytest.raises(SearchUnavailable):
            await Serper(web.url + "/always", KEY, attempts=3, backoff_seconds=0.01).search(
                client, "q", 5
            )
    assert len(calls) == 3


async def test_unreachable_or_nonsense_is_unavailable(web: FixtureWeb) -> None:
    async def html(request: Request) -> Reply:
        return Reply(200, b"<html>not json</html>")

    web.routes["/html/search"] = html
    async with httpx.AsyncClient(trust_env=False) as client:
        with pytest.raises(SearchUnavailable):
            await SearXNG(f"http://127.0.0.1:{free_port()}").search(client, "q", 5)
        with pytest.raises(SearchUnavailable):
            await SearXNG(web.url + "/html").search(client, "q", 5)


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_provider_selection() -> None:
    assert select_provider(_settings(searxng_url="http://s.local")).name == "searxng"
    assert select_provider(_settings(brave_api_key="k")).name == "brave"
    chosen = select_provider(
        _settings(search_provider="Serper", serper_api_key="k", exa_api_key="e")
    )
    assert chosen.name == "serper" and chosen.supports_intitle
    for values, text in (
        ({}, "No search provider is configured"),
        ({"search_provider": "exa"}, "EXA_API_KEY"),
        ({"search_provider": "bing", "brave_api_key": "k"}, "not a known search provider"),
        ({"brave_api_key": "k", "tavily_api_key": "t"}, "set SEARCH_PROVIDER"),
        ({"brave_api_key": "   "}, "No search provider"),
    ):
        with pytest.raises(NotConfigured) as caught:
            select_provider(_settings(**values))
        assert text in caught.value.msg


def test_footprint_queries_use_intitle_only_where_supported() -> None:
    plain = footprint_queries("  indoor   plants ", intitle=False)
    assert len(plain) == 8 and plain[0] == 'indoor plants "write for us"'
    assert not any("intitle:" in q for q in plain)
    assert any(
        q.startswith('indoor plants intitle:"')
        for q in footprint_queries("indoor plants", intitle=True)
    )
