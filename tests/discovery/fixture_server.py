"""One loopback HTTP/1.1 server for the fixture web, in its own thread and event loop.

It serves many virtual hosts (by absolute-form proxy request or Host header), so the crawler
reaches every site through it as its DISCOVERY_HTTP_PROXY; it answers SearXNG's JSON API and,
through `routes`, other providers' wire formats on its own address. Every request is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.discovery.fixture_sites import Site


@dataclass
class Request:
    method: str
    host: str  # lower-case name, no port
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    via_proxy: bool


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    stream: Callable[[], AsyncIterator[bytes]] | None = None  # chunked body (the huge page)
    hang: bool = False  # never answer (the slow site)


Route = Callable[[Request], Awaitable[Reply]]
REASONS = {200: "OK", 301: "Moved", 302: "Found", 404: "Not Found", 429: "Too Many Requests"}


class FixtureWeb:
    def __init__(self, sites: list[Site], *, delay: float = 0.0, search_limit: int = 25) -> None:
        self.sites = {s.host: s for s in sites}
        self.delay = delay
        self.search_limit = search_limit
        self.routes: dict[str, Route] = {}  # own-address path -> handler (provider APIs)
        self.log: list[tuple[str, str]] = []  # (host, path) of every request
        self.bytes_sent: dict[tuple[str, str], int] = {}
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FixtureWeb:
        self._thread = threading.Thread(target=self._run, name="fixture-web", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._server = loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0, backlog=1024)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        loop.run_forever()
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.close()

    def stop(self) -> None:
        assert self._loop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if self._server is not None:
            self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requested(self, host: str, path: str | None = None) -> list[str]:
        return [p for h, p in list(self.log) if h == host and (path is None or p == path)]

    # -- HTTP --------------------------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                self.log.append((request.host, request.path))
                reply = await self._dispatch(request)
                if reply.hang:
                    await asyncio.sleep(3600)
                if self.delay:
                    await asyncio.sleep(self.delay)
                await self._write(writer, request, reply)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # the server is stopping (the hung "slow site" ends here)
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _read_request(self, reader: asyncio.StreamReader) -> Request | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        body = await reader.readexactly(length) if length else b""
        via_proxy = target.startswith(("http://", "https://"))
        parts = urlsplit(target if via_proxy else f"http://{headers.get('host', '')}{target}")
        return Request(
            method=method,
            host=(parts.hostname or "").lower(),
            path=parts.path or "/",
            query=parse_qs(parts.query),
            headers=headers,
            body=body,
            via_proxy=via_proxy,
        )

    async def _dispatch(self, request: Request) -> Reply:
        if request.host in ("127.0.0.1", "localhost"):
            route = self.routes.get(request.path)
            if route is not None:
                return await route(request)
            if request.path == "/search":
                return self._searxng(request)
            if request.path.startswith("/internal/"):
                # What an SSRF would reach: an internal admin page.
                return Reply(body=b"<html><title>Write for us - INTERNAL ADMIN</title></html>")
            return Reply(404, b"not found", "text/plain")
        if request.host == "169.254.169.254":
            return Reply(
                body=b"ami-id\ninstance-id\niam/security-credentials/", content_type="text/plain"
            )
        site = self.sites.get(request.host) or self.sites.get(request.host.removeprefix("www."))
        if site is None:
            return Reply(502, b"unknown host", "text/plain")
        return site.reply(request.path, self)

    async def _write(self, writer: asyncio.StreamWriter, request: Request, reply: Reply) -> None:
        head = [f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}"]
        headers = {"Content-Type": reply.content_type, **reply.headers}
        if reply.stream is None:
            headers["Content-Length"] = str(len(reply.body))
        else:
            headers["Transfer-Encoding"] = "chunked"
        head += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        key = (request.host, request.path)
        if reply.stream is None:
            writer.write(reply.body)
            self.bytes_sent[key] = len(reply.body)
            await writer.drain()
            return
        sent = 0
        async for chunk in reply.stream():
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sent += len(chunk)
            self.bytes_sent[key] = sent
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    # -- SearXNG -------------------------------------------------------------------------------
    def _searxng(self, request: Request) -> Reply:
        query = request.query.get("q", [""])[0]
        if request.query.get("format") != ["json"]:
            return Reply(403, b"format not allowed", "text/plain")
        results = [
            {"url": url, "title": title, "content": snippet, "engine": "fixture"}
            for url, title, snippet in search(self.sites.values(), query)[: self.search_limit]
        ]
        payload = {"query": query, "number_of_results": len(results), "results": results}
        return Reply(body=json.dumps(payload).encode(), content_type="application/json")


def keyword_of(query: str) -> tuple[str, str]:
    """`gardening "write for us"` -> ("gardening", "write for us")."""
    keyword, _, rest = query.partition('"')
    keyword = keyword.replace("intitle:", "").strip().lower()
    return keyword, rest.strip('" ').lower()


def search(sites: Any, query: str) -> list[tuple[str, str, str]]:
    """A tiny engine over the ground truth: sites listed for the keyword, ordered per footprint
    (so each query sees the web differently and several queries return the same site)."""
    keyword, phrase = keyword_of(query)
    hits = []
    for site in sites:
        if keyword not in site.search_keywords:
            continue
        order = hash_order(site.host, phrase)
        if order % 5 == 0 and site.kind != "platform":
            continue  # not every engine finds every site for every footprint
        for url in site.result_urls(phrase):
            hits.append((order, url, site.result_title, site.snippet))
    hits.sort()
    return [(url, title, snippet) for _order, url, title, snippet in hits]


def hash_order(host: str, phrase: str) -> int:
    import hashlib

    return int(hashlib.sha256(f"{host}|{phrase}".encode()).hexdigest()[:8], 16)


def main() -> None:
    """`python -m tests.discovery.fixture_server N DELAY`: the benchmark's web in its own
    process (so its CPU and memory do not count against the crawler); prints the port."""
    import sys
    import time

    from tests.discovery.fixture_catalogue import bench_catalogue

    web = FixtureWeb(bench_catalogue(int(sys.argv[1])), delay=float(sys.argv[2]), search_limit=500)
    web.start()
    print(web.port, flush=True)
    try:
        while sys.stdin.readline():
            pass
    finally:
        web.stop()
    time.sleep(0)


if __name__ == "__main__":
    main()
