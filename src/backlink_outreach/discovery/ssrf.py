"""The SSRF guard: the crawler fetches URLs that strangers wrote, so it must never be steered at
our own network (loopback, private ranges, cloud metadata at 169.254.169.254, ...).

Two layers:
- `check_url` runs before every request and after every redirect hop: http(s) only, no IP literal
  in a forbidden range, no local-only name (`localhost`, `*.internal`, single-label names).
- Without a proxy, `GuardedBackend` resolves each name itself, refuses when any address is
  forbidden, and connects to the address it checked, so a DNS answer that changes between the
  check and the connect (rebinding) cannot slip through.
With `DISCOVERY_HTTP_PROXY` the proxy resolves names, so only the first layer applies (API.md).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

# Names that only mean something inside a network; a proxy would resolve them to internal hosts.
_LOCAL_SUFFIXES = (
    ".localhost",
    ".local",
    ".localdomain",
    ".internal",
    ".intranet",
    ".lan",
    ".home.arpa",
    ".corp",
)
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class BlockedURL(Exception):
    """The URL points somewhere the crawler must not go; the message says why (no internals)."""


def parse_ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address written as a host, including the legacy IPv4 forms resolvers accept
    (`2130706433`, `0x7f.1`, `127.1`), which a plain `ip_address()` would miss. One trailing
    dot (`127.0.0.1.`, `0177.1.`) is how a resolver or proxy reads an absolute name: the same
    address."""
    host = host.strip("[]")
    host = host[:-1] if host.endswith(".") else host
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(ch in "0123456789abcdefxABCDEFX." for ch in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_forbidden_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_forbidden_address(mapped)
    return bool(
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def is_local_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES) or "." not in name


def check_url(url: str, *, allow_private: bool) -> str:
    """Return the URL when the crawler may fetch it; raise BlockedURL otherwise."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise BlockedURL("malformed URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BlockedURL("only http and https URLs are fetched")
    if not host:
        raise BlockedURL("URL has no host")
    if allow_private:
        return url
    literal = parse_ip_literal(host)
    if literal is not None:
        if is_forbidden_address(literal):
            raise BlockedURL("address is in a private or reserved range")
        return url
    if is_local_name(host):
        raise BlockedURL("host is a local network name")
    return url


async def resolve_allowed(host: str, port: int) -> list[str]:
    """Every address of `host`; BlockedURL when any of them is forbidden."""
    literal = parse_ip_literal(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            raise httpcore.ConnectError(f"cannot resolve {host}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if is_forbidden_address(ipaddress.ip_address(address.split("%", 1)[0])):
            raise BlockedURL("host resolves to a private or reserved address")
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses it has checked itself (direct mode, no proxy)."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_allowed(host, port)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        raise last_error or httpcore.ConnectError(f"cannot connect to {host}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedURL("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport with its connection pool swapped for one on `GuardedBackend`.

    httpx exposes no network-backend option, so we replace its pool (`replace_pool`);
    everything else (TLS, exceptions mapping, streaming) stays httpx's own.
    """
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    replace_pool(
        transport,
        httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(),
        ),
    )
    return transport


def replace_pool(transport: httpx.AsyncHTTPTransport, pool: httpcore.AsyncConnectionPool) -> None:
    """The one use of httpx internals: `AsyncHTTPTransport` sends every request through the
    httpcore pool in its private `_pool` attribute (stable across httpx 0.2x). Should an upgrade
    rename or drop it, this raises when a crawler is built instead of crawling unguarded, and
    `tests/discovery/test_ssrf_transport.py` fails."""
    if not isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        raise RuntimeError(
            "httpx.AsyncHTTPTransport keeps no httpcore pool in `_pool`: the SSRF guard "
            "cannot be installed (see discovery/ssrf.py)"
        )
    transport._pool = pool
