"""A polite, bounded page fetcher: robots.txt, concurrency limits, timeouts, a size cap, and
redirects followed by hand so that every hop passes the SSRF guard."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx
import structlog
from protego import Protego

from ..config import Settings
from .ssrf import BlockedURL, check_url, guarded_transport

log = structlog.get_logger(__name__)

USER_AGENT_TOKEN = "BacklinkOutreachBot"
USER_AGENT = f"{USER_AGENT_TOKEN}/0.1 (+https://github.com/backlink-outreach; guest-post discovery)"
MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class Page:
    url: str  # after redirects
    status: int
    html: str
    truncated: bool = False
    headers: httpx.Headers = field(default_factory=httpx.Headers)  # placements read X-Robots-Tag


@dataclass
class Failure:
    url: str
    reason: str  # "blocked", "robots", "timeout", "too_many_redirects", "not_html", "error", ...
    status: int | None = None  # the HTTP status, when the site answered


FetchResult = Page | Failure


class Crawler:
    """Use as `async with Crawler(settings) as crawler: await crawler.fetch(url)`."""

    def __init__(self, settings: Settings) -> None:
        self.allow_private = settings.discovery_allow_private_networks
        self.max_bytes = settings.discovery_max_page_bytes
        self.page_timeout = settings.discovery_page_timeout_seconds
        self.per_host = settings.discovery_per_host_concurrency
        self._global = asyncio.Semaphore(settings.discovery_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, asyncio.Task[Protego | None]] = {}
        self._robots_unreachable: set[str] = set()  # origins whose robots.txt failed
        self.pages_fetched = 0
        timeout = httpx.Timeout(
            connect=settings.discovery_connect_timeout_seconds,
            read=settings.discovery_read_timeout_seconds,
            write=settings.discovery_read_timeout_seconds,
            pool=None,  # our semaphores bound the waiting; the pool must not time out on it
        )
        limits = httpx.Limits(
            max_connections=settings.discovery_concurrency,
            max_keepalive_connections=settings.discovery_concurrency,
        )
        common: dict[str, object] = {
            "timeout": timeout,
            "headers": {"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"},
            "follow_redirects": False,
            "trust_env": False,  # only DISCOVERY_HTTP_PROXY applies, never HTTP_PROXY & co.
        }
        if settings.discovery_http_proxy:
            # The proxy resolves names; the guard checks IP literals and local names only.
            self.client = httpx.AsyncClient(
                proxy=settings.discovery_http_proxy,
                limits=limits,
                **common,  # type: ignore[arg-type]
            )
        elif self.allow_private:
            self.client = httpx.AsyncClient(limits=limits, **common)  # type: ignore[arg-type]
        else:
            self.client = httpx.AsyncClient(transport=guarded_transport(limits), **common)  # type: ignore[arg-type]

    async def __aenter__(self) -> Crawler:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._robots.values():
            task.cancel()
        await self.client.aclose()

    @contextlib.asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        host_sem = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        async with self._global, host_sem:
            yield

    async def fetch(self, url: str) -> FetchResult:
        """GET an HTML page within the limits; a Failure says why not (never raises)."""
        try:
            return await self._fetch(url)
        except BlockedURL as exc:
            log.info("crawl_blocked", url=_loggable(url), why=str(exc))
            return Failure(url, "blocked")
        except (TimeoutError, httpx.TimeoutException):
            return Failure(url, "timeout")
        except (httpx.InvalidURL, ValueError):
            # A host httpx refuses (IDNA 2008) or a redirect to a malformed URL. InvalidURL is
            # no HTTPError: uncaught, one bad search result would fail the whole gather.
            return Failure(url, "invalid_url")
        except httpx.HTTPError as exc:
            return Failure(url, f"error:{type(exc).__name__}")

    async def _fetch(self, url: str) -> FetchResult:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(current, allow_private=self.allow_private)
            if not await self.allowed_by_robots(current):
                return Failure(current, "robots")
            # The deadline starts once we hold a slot: waiting for our own limits is no
            # sign of a slow site. It bounds sites that trickle bytes under the read timeout.
            async with (
                self._slot(current),
                asyncio.timeout(self.page_timeout),
                self.client.stream("GET", current) as response,
            ):
                self.pages_fetched += 1
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    current = urljoin(current, response.headers["location"])
                    continue
                if response.status_code != 200:
                    return Failure(current, f"status:{response.status_code}", response.status_code)
                ctype = response.headers.get("content-type", "text/html").lower()
                if not ctype.startswith(_HTML_TYPES):
                    return Failure(current, "not_html", 200)
                body, truncated = await _read_capped(response, self.max_bytes)
                encoding = response.charset_encoding or "utf-8"
                try:
                    html = body.decode(encoding, errors="replace")
                except LookupError:
                    html = body.decode("utf-8", errors="replace")
                return Page(current, 200, html, truncated, response.headers)
        return Failure(current, "too_many_redirects")

    async def allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        task = self._robots.get(origin)
        if task is None:
            # One fetch per origin, however many pages of it are wanted at once.
            task = self._robots[origin] = asyncio.ensure_future(self._load_robots(origin))
        rules = await asyncio.shield(task)
        return rules is None or bool(rules.can_fetch(url, USER_AGENT_TOKEN))

    def robots_unreachable(self, url: str) -> bool:
        """True when `url`'s site is refused only because its robots.txt could not be read
        (unreachable or 5xx), not because it disallows us."""
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}".lower() in self._robots_unreachable

    async def _load_robots(self, origin: str) -> Protego | None:
        """Rules, or None for "no rules" (404 & co). Unreachable or 5xx: disallow everything
        (RFC 9309 2.3.1.4), so a struggling site is left alone."""
        current = origin + "/robots.txt"
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                check_url(current, allow_private=self.allow_private)
                async with (
                    self._slot(current),
                    asyncio.timeout(self.page_timeout),
                    self.client.stream("GET", current) as resp,
                ):
                    if resp.status_code in _REDIRECTS and "location" in resp.headers:
                        current = urljoin(current, resp.headers["location"])
                        continue
                    if 400 <= resp.status_code < 500:
                        return None
                    if resp.status_code == 200:
                        body, _ = await _read_capped(resp, ROBOTS_MAX_BYTES)
                        return Protego.parse(body.decode("utf-8", errors="replace"))
                    break
        except (BlockedURL, TimeoutError, httpx.HTTPError):
            pass
        self._robots_unreachable.add(origin)
        return Protego.parse("User-agent: *\nDisallow: /\n")


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """At most `limit` decoded bytes, and whether the page went on beyond them; stops reading
    (and drops the connection) once it knows. A chunk that fills the cap exactly says nothing
    about what follows (httpx's `is_stream_consumed` is set when reading starts, not when it
    ends): only a further chunk does. Chunks of 64 KiB fill a 2 MiB cap exactly, so a 3 MB
    page was read as complete."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        if not chunk:
            continue
        room = limit - size
        if len(chunk) > room:
            chunks.append(chunk[:room])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def _loggable(url: str) -> str:
    """Scheme, host and path only: query strings can carry tokens."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path[:200]}"
