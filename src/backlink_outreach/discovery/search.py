"""Search providers behind one interface: plain httpx calls to each REST API (no SDKs).

SearXNG (self-hosted JSON API), Brave Search, Tavily, Exa and Serper. The provider is named by
`SEARCH_PROVIDER`, or is the only one configured. Rate limits (429) are retried with bounded
backoff; anything else that stops a provider answering is `SearchUnavailable`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from ..config import Settings
from ..errors import NotConfigured

log = structlog.get_logger(__name__)

PROVIDERS = ("searxng", "brave", "tavily", "exa", "serper")
_RETRIED = {429, 502, 503, 504}


class SearchUnavailable(Exception):
    """The provider could not be reached, refused our key, or answered nonsense."""


@dataclass(frozen=True)
class SearchHit:
    url: str
    title: str
    snippet: str


class SearchProvider:
    """One provider's wire format. Subclasses build the request and read the answer."""

    name = "provider"
    supports_intitle = False

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds

    def build(self, query: str, count: int) -> httpx.Request:
        raise NotImplementedError

    def parse(self, payload: Any) -> list[SearchHit]:
        raise NotImplementedError

    async def search(self, client: httpx.AsyncClient, query: str, count: int) -> list[SearchHit]:
        for attempt in range(self.attempts):
            try:
                response = await client.send(self.build(query, count))
            except httpx.HTTPError as exc:
                log.warning("search_unreachable", provider=self.name, error=type(exc).__name__)
                raise SearchUnavailable(self.name) from None
            if response.status_code in _RETRIED and attempt + 1 < self.attempts:
                delay = self._delay(response, attempt)
                log.info(
                    "search_retry", provider=self.name, status=response.status_code, delay=delay
                )
                await asyncio.sleep(delay)
                continue
            if response.status_code != 200:
                log.warning("search_refused", provider=self.name, status=response.status_code)
                raise SearchUnavailable(self.name)
            try:
                return self.parse(response.json())
            except (ValueError, TypeError, KeyError, AttributeError):
                log.warning("search_bad_answer", provider=self.name)
                raise SearchUnavailable(self.name) from None
        raise SearchUnavailable(self.name)  # pragma: no cover - the loop always returns or raises

    def _delay(self, response: httpx.Response, attempt: int) -> float:
        retry_after = response.headers.get("retry-after", "")
        try:
            wanted = float(retry_after)
        except ValueError:
            wanted = self.backoff_seconds * (2**attempt)
        return max(0.0, min(wanted, self.max_backoff_seconds))


def _hits(
    items: Any, url_key: str, title_key: str, snippet_keys: tuple[str, ...]
) -> list[SearchHit]:
    hits: list[SearchHit] = []
    for item in items or []:
        if not isinstance(item, dict):
            continue
        url = item.get(url_key)
        if not isinstance(url, str) or not url:
            continue
        snippet = next((str(item[k]) for k in snippet_keys if isinstance(item.get(k), str)), "")
        hits.append(SearchHit(url=url, title=str(item.get(title_key) or ""), snippet=snippet))
    return hits


class SearXNG(SearchProvider):
    name = "searxng"

    def build(self, query: str, count: int) -> httpx.Request:
        params = {"q": query, "format": "json", "pageno": "1"}
        return httpx.Request("GET", f"{self.base_url}/search", params=params)

    def parse(self, payload: Any) -> list[SearchHit]:
        return _hits(payload["results"], "url", "title", ("content",))


class Brave(SearchProvider):
    name = "brave"
    supports_intitle = True

    def build(self, query: str, count: int) -> httpx.Request:
        return httpx.Request(
            "GET",
            f"{self.base_url}/res/v1/web/search",
            params={"q": query, "count": str(min(count, 20))},
            headers={"Accept": "application/json", "X-Subscription-Token": self.api_key or ""},
        )

    def parse(self, payload: Any) -> list[SearchHit]:
        return _hits((payload.get("web") or {}).get("results"), "url", "title", ("description",))


class Tavily(SearchProvider):
    name = "tavily"

    def build(self, query: str, count: int) -> httpx.Request:
        return httpx.Request(
            "POST",
            f"{self.base_url}/search",
            json={"query": query, "max_results": min(count, 20), "search_depth": "basic"},
            headers={"Authorization": f"Bearer {self.api_key or ''}"},
        )

    def parse(self, payload: Any) -> list[SearchHit]:
        return _hits(payload["results"], "url", "title", ("content",))


class Exa(SearchProvider):
    name = "exa"

    def build(self, query: str, count: int) -> httpx.Request:
        return httpx.Request(
            "POST",
            f"{self.base_url}/search",
            json={"query": query, "numResults": min(count, 25), "type": "auto"},
            headers={"x-api-key": self.api_key or ""},
        )

    def parse(self, payload: Any) -> list[SearchHit]:
        return _hits(payload["results"], "url", "title", ("text", "summary"))


class Serper(SearchProvider):
    name = "serper"
    supports_intitle = True

    def build(self, query: str, count: int) -> httpx.Request:
        return httpx.Request(
            "POST",
            f"{self.base_url}/search",
            json={"q": query, "num": min(count, 100)},
            headers={"X-API-KEY": self.api_key or ""},
        )

    def parse(self, payload: Any) -> list[SearchHit]:
        return _hits(payload["organic"], "link", "title", ("snippet",))


DEFAULT_URLS = {
    "brave": "https://api.search.brave.com",
    "tavily": "https://api.tavily.com",
    "exa": "https://api.exa.ai",
    "serper": "https://google.serper.dev",
}
_CLASSES: dict[str, type[SearchProvider]] = {
    "searxng": SearXNG,
    "brave": Brave,
    "tavily": Tavily,
    "exa": Exa,
    "serper": Serper,
}
_NEEDS = {
    "searxng": "SEARXNG_URL",
    "brave": "BRAVE_API_KEY",
    "tavily": "TAVILY_API_KEY",
    "exa": "EXA_API_KEY",
    "serper": "SERPER_API_KEY",
}


def _configured(settings: Settings) -> dict[str, tuple[str, str | None]]:
    """provider -> (base URL, key) for every provider whose settings are present."""
    found: dict[str, tuple[str, str | None]] = {}
    if settings.searxng_url:
        found["searxng"] = (settings.searxng_url, None)
    for name, secret in (
        ("brave", settings.brave_api_key),
        ("tavily", settings.tavily_api_key),
        ("exa", settings.exa_api_key),
        ("serper", settings.serper_api_key),
    ):
        key = secret.get_secret_value().strip() if secret is not None else ""
        if key:
            found[name] = (DEFAULT_URLS[name], key)
    return found


def select_provider(settings: Settings) -> SearchProvider:
    """The configured provider; NotConfigured (422) with a sentence saying what to set."""
    configured = _configured(settings)
    wanted = (settings.search_provider or "").strip().lower() or None
    if wanted is not None:
        if wanted not in _CLASSES:
            raise NotConfigured(
                f"SEARCH_PROVIDER={wanted} is not a known search provider; "
                f"use one of {', '.join(PROVIDERS)}."
            )
        if wanted not in configured:
            raise NotConfigured(f"SEARCH_PROVIDER={wanted} needs {_NEEDS[wanted]} to be set.")
    elif not configured:
        raise NotConfigured(
            "No search provider is configured: set SEARXNG_URL, BRAVE_API_KEY, "
            "TAVILY_API_KEY, EXA_API_KEY or SERPER_API_KEY."
        )
    elif len(configured) > 1:
        raise NotConfigured(
            f"Several search providers are configured ({', '.join(sorted(configured))}): "
            "set SEARCH_PROVIDER to choose one."
        )
    else:
        wanted = next(iter(configured))
    base_url, key = configured[wanted]
    return _CLASSES[wanted](base_url, key)
