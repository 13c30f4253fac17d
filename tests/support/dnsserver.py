"""A real DNS server on loopback (dnslib, UDP and TCP on one port) that serves TXT records from a
dict, NXDOMAIN for any other name; and a UDP port that takes questions and never answers."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer


def _chunks(text: str) -> list[bytes]:
    """A TXT record longer than 255 bytes is several strings (a DKIM key is)."""
    raw = text.encode()
    return [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]


class TxtZone(BaseResolver):
    """name (lowercase, no trailing dot) -> its TXT records. A name listed with no records
    exists (NOERROR, empty answer)."""

    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records
        self.questions: list[str] = []

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        self.questions.append(name)
        if name not in self.records:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        if request.q.qtype == QTYPE.TXT:
            for text in self.records[name]:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(_chunks(text)), ttl=60))
        return reply


def _udp_and_tcp_port() -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket() as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no port free for both UDP and TCP")


@contextlib.contextmanager
def dns_server(records: dict[str, list[str]]) -> Iterator[tuple[str, TxtZone]]:
    """Yields the `host:port` to put in DNS_RESOLVER, and the zone (to read the questions)."""
    zone = TxtZone(records)
    port = _udp_and_tcp_port()
    quiet = DNSLogger(logf=lambda _line: None)
    servers = [
        DNSServer(zone, address="127.0.0.1", port=port, tcp=tcp, logger=quiet)
        for tcp in (False, True)
    ]
    for server in servers:
        server.start_thread()
    try:
        yield f"127.0.0.1:{port}", zone
    finally:
        for server in servers:
            server.stop()
            server.server.server_close()


@contextlib.contextmanager
def silent_dns() -> Iterator[str]:
    """A UDP port that receives questions and never answers (and a closed TCP port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"
