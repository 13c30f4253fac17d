"""The SSRF guard and the crawler's limits, against the real loopback server."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import httpx
import pytest

from backlink_outreach.config import Settings
from backlink_outreach.discovery.crawler import Crawler, Failure, Page, _read_capped
from backlink_outreach.discovery.ssrf import BlockedURL, GuardedBackend, check_url, parse_ip_literal
from tests.discovery.conftest import crawl_settings
from tests.discovery.fixture_server import FixtureWeb


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://example.com/",
        "ftp://example.com/",
        "http://127.0.0.1/",
        "http://127.1/",
        "http://127.0.0.1./",
        "http://127.1./",
        "http://0177.1./",
        "http://[::1]./",
        "http://10.1.2.3./",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://db.internal/",
        "http://printer.local/",
        "http://intranet/",
        "http://user@/",
    ],
)
def test_guard_refuses(url: str) -> None:
    with pytest.raises(BlockedURL):
        check_url(url, allow_private=False)


def test_guard_allows_public_and_the_test_escape_hatch() -> None:
    for url in ("https://example.com/write-for-us", "http://8.8.8.8/", "http://[2606:4700::1]/"):
        assert check_url(url, allow_private=False) == url
    assert check_url("http://127.0.0.1:8080/", allow_private=True)
    with pytest.raises(BlockedURL):  # never another scheme, even then
        check_url("file:///etc/passwd", allow_private=True)
    assert parse_ip_literal("0x7f.1") == ipaddress.IPv4Address("127.0.0.1")
    assert parse_ip_literal("deadbeef.com") is None


async def test_redirect_to_private_address_is_refused_unless_allowed(web: FixtureWeb) -> None:
    """The proof: the same redirect reaches the internal page when the guard is off."""
    async with Crawler(_settings(**crawl_settings(web))) as crawler:
        refused = await crawler.fetch("http://gardenlinkhub.com/")
        metadata = await crawler.fetch("http://cloudgardenhost.com/")
    assert isinstance(refused, Failure) and refused.reason == "blocked"
    assert isinstance(metadata, Failure) and metadata.reason == "blocked"
    assert not web.requested("127.0.0.1", "/internal/admin")
    assert not web.requested("169.254.169.254")

    allowed = _settings(**crawl_settings(web, discovery_allow_private_networks=True))
    async with Crawler(allowed) as crawler:
        reached = await crawler.fetch("http://gardenlinkhub.com/")
    assert isinstance(reached, Page) and "INTERNAL ADMIN" in reached.html
    assert web.requested("127.0.0.1", "/internal/admin")


async def test_direct_mode_checks_resolved_addresses(web: FixtureWeb) -> None:
    """Without a proxy we resolve names ourselves and connect only to addresses we checked."""
    direct = _settings(discovery_allow_private_networks=False)
    async with Crawler(direct) as crawler:
        for url in (f"{web.url}/internal/admin", f"http://localhost:{web.port}/internal/admin"):
            result = await crawler.fetch(url)
            assert isinstance(result, Failure) and result.reason == "blocked"
    with pytest.raises(BlockedURL):  # a name (not a literal) that resolves to loopback
        await GuardedBackend().connect_tcp("localhost", web.port)
    before = len(web.requested("127.0.0.1", "/internal/admin"))
    async with Crawler(_settings(discovery_allow_private_networks=True)) as crawler:
        reached = await crawler.fetch(f"{web.url}/internal/admin")
    assert isinstance(reached, Page)
    assert len(web.requested("127.0.0.1", "/internal/admin")) == before + 1


async def test_size_cap_timeout_and_robots(web: FixtureWeb) -> None:
    settings = _settings(**crawl_settings(web, discovery_max_page_bytes=256 * 1024))
    async with Crawler(settings) as crawler:
        huge = await crawler.fetch("http://bigharvestmagazine.com/")
        slow = await crawler.fetch("http://slowgrow.com/write-for-us")
        robots = await crawler.fetch("http://quietgardener.org/write-for-us")
        missing = await crawler.fetch("http://greenthumbdaily.com/no-such-page")
    assert isinstance(huge, Page) and huge.truncated
    assert len(huge.html.encode()) <= 256 * 1024
    assert 'href="/write-for-us"' in huge.html  # the top of the page was kept, links and all
    assert isinstance(slow, Failure) and slow.reason == "timeout"
    assert isinstance(robots, Failure) and robots.reason == "robots"
    assert isinstance(missing, Failure) and missing.reason == "status:404"
    assert "/write-for-us" not in web.requested("quietgardener.org")


async def test_user_agent_and_proxy_are_used(web: FixtureWeb) -> None:
    async with Crawler(_settings(**crawl_settings(web))) as crawler:
        page = await crawler.fetch("http://compostcorner.com/about")
    assert isinstance(page, Page)
    assert web.requested("compostcorner.com", "/about")


async def test_a_url_httpx_refuses_is_a_failure_not_an_exception(web: FixtureWeb) -> None:
    """httpx.InvalidURL is no HTTPError; raised, it would fail a whole search's gather."""
    async with Crawler(_settings(**crawl_settings(web))) as crawler:
        results = await asyncio.gather(
            crawler.fetch("http://ⓔxample.com/"),  # IDNA 2008 refuses what IDNA 2003 maps
            crawler.fetch("http://１２７.０.０.１/"),
            crawler.fetch("http://compostcorner.com/about"),
        )
    assert [r.reason for r in results if isinstance(r, Failure)] == ["invalid_url"] * 2
    assert isinstance(results[2], Page)


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([b"a" * 4, b"b" * 4], (b"aaaabbbb", False)),  # ends exactly at the cap: complete
        ([b"a" * 4, b"b" * 4, b"c"], (b"aaaabbbb", True)),  # a chunk fills it; more follows
        ([b"a" * 4, b"", b"b" * 4, b"", b"c"], (b"aaaabbbb", True)),
        ([b"a" * 10], (b"aaaaaaaa", True)),
        ([b"a" * 3], (b"aaa", False)),
    ],
)
async def test_the_size_cap_knows_a_page_went_on_beyond_it(
    chunks: list[bytes], expected: tuple[bytes, bool]
) -> None:
    """Chunk boundaries as a server sends them (a stub stream: only it can place them
    exactly). Regression: a page whose chunks filled the cap exactly was read as complete."""

    async def body() -> Any:
        for chunk in chunks:
            yield chunk

    response = httpx.Response(200, content=body())
    assert await _read_capped(response, 8) == expected
