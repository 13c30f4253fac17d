"""What `POST /mailboxes/{id}/test` finds out, sending nothing: can we log in to the mailbox's
SMTP and IMAP servers, and does its From domain publish the SPF, DKIM and DMARC records that
Gmail's and Yahoo's bulk-sender rules require. `doctor` logs in the same way, and adds the two
rules at the end: a From domain that is a placeholder, and links to a local address.

Every failure is said in words (`outreach.smtp_errors` owns them for SMTP, and IMAP uses the same
ones); no exception text, server reply to a login, or password ever reaches an answer or a log.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import ipaddress
import re
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

import aiosmtplib
import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.resolver
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from ..domains import registrable_domain
from ..outreach import smtp_errors
from ..outreach.smtp_errors import (
    AUTH_NOT_OFFERED,
    CONNECTION_REFUSED,
    LOGIN_REFUSED,
    STARTTLS_NOT_OFFERED,
    TIMED_OUT,
    TLS_FAILED,
)

# One DNS question may take this long in all (retries included); a test shortens it.
DNS_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class ServerLogin:
    """How to reach and log in to one SMTP or IMAP server (the password never shows in repr)."""

    host: str
    port: int
    security: Literal["none", "starttls", "ssl"]
    username: str | None
    password: str | None = field(repr=False)
    timeout_seconds: float = 10
    ca_file: str | None = None


@dataclass
class CheckResult:
    ok: bool
    error: str | None


@dataclass
class DnsCheck:
    ok: bool
    record: str | None
    error: str | None


@dataclass
class DnsResult:
    spf: DnsCheck
    dkim: DnsCheck
    dmarc: DnsCheck


def _tls_context(login: ServerLogin) -> ssl.SSLContext | None:
    """Certificates are always verified: the system's trust store, or `ca_file` (an internal
    CA, or a test's own). An unreadable `ca_file` is a TLS failure."""
    if login.security == "none":
        return None
    try:
        return ssl.create_default_context(cafile=login.ca_file)
    except (OSError, ValueError):
        raise _Failure(TLS_FAILED) from None


class _Failure(Exception):
    """A check failed; `words` says how."""

    def __init__(self, words: str) -> None:
        super().__init__(words)
        self.words = words


# --- SMTP -------------------------------------------------------------------------------------


async def check_smtp(login: ServerLogin) -> CheckResult:
    """Connect, STARTTLS or TLS as configured, AUTH when a username is set, QUIT."""
    try:
        context = _tls_context(login)
    except _Failure as failure:
        return CheckResult(False, failure.words)
    client = aiosmtplib.SMTP(
        hostname=login.host,
        port=login.port,
        username=login.username,
        password=(login.password or "") if login.username is not None else None,
        timeout=login.timeout_seconds,
        use_tls=login.security == "ssl",
        start_tls=login.security == "starttls",
        tls_context=context,
    )
    try:
        # Each step has the timeout; the whole check gets a bound too (a server that drips).
        async with asyncio.timeout(login.timeout_seconds * 3):
            await client.connect()
    except Exception as exc:  # noqa: BLE001 - every failure becomes words
        client.close()
        # The words only: an exception's text may quote the server, and is never shown.
        return CheckResult(False, smtp_errors.describe(exc).error)
    try:
        await client.quit(timeout=min(login.timeout_seconds, 5))
    except Exception:  # noqa: BLE001 - logged in is what we wanted to know
        pass
    finally:
        client.close()
    return CheckResult(True, None)


# --- IMAP -------------------------------------------------------------------------------------


def _imap_session(login: ServerLogin) -> None:
    """Blocking (imapclient): connect, STARTTLS as configured, LOGIN, LOGOUT."""
    context = _tls_context(login)
    client = IMAPClient(
        login.host,
        port=login.port,
        ssl=login.security == "ssl",
        ssl_context=context,
        timeout=login.timeout_seconds,
    )
    try:
        if login.security == "starttls":
            if not client.has_capability("STARTTLS"):
                raise _Failure(STARTTLS_NOT_OFFERED)
            client.starttls(context)
        if login.username is not None:
            if client.has_capability("LOGINDISABLED"):
                raise _Failure(AUTH_NOT_OFFERED)
            try:
                client.login(login.username, login.password or "")
            except LoginError:
                raise _Failure(LOGIN_REFUSED) from None
        client.logout()
    finally:
        with contextlib.suppress(Exception):
            client.shutdown()


def _imap_words(exc: BaseException) -> str:
    if isinstance(exc, _Failure):
        return exc.words
    if isinstance(exc, ssl.SSLError):
        return TLS_FAILED
    if isinstance(exc, TimeoutError):
        return TIMED_OUT
    return CONNECTION_REFUSED  # refused, reset, unknown host, or a BYE / broken greeting


async def check_imap(login: ServerLogin) -> CheckResult:
    """Connect, TLS as configured, LOGIN, LOGOUT (in a thread: imapclient blocks; its socket
    timeout bounds every step)."""
    try:
        await asyncio.to_thread(_imap_session, login)
    except Exception as exc:  # noqa: BLE001 - every failure becomes words
        return CheckResult(False, _imap_words(exc))
    return CheckResult(True, None)


# --- DNS --------------------------------------------------------------------------------------


def _resolver(address: str | None) -> dns.asyncresolver.Resolver:
    if address is None:
        try:
            resolver = dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            raise _Failure("no DNS resolver configured") from None
    else:
        host, port = _host_port(address)
        resolver = dns.asyncresolver.Resolver(configure=False)
        try:
            resolver.nameservers = [host]
        except ValueError:  # not an IP address
            raise _Failure("DNS_RESOLVER is not host:port") from None
        resolver.port = port
    resolver.lifetime = DNS_TIMEOUT_SECONDS
    resolver.timeout = DNS_TIMEOUT_SECONDS
    resolver.cache = None
    return resolver


def _host_port(address: str) -> tuple[str, int]:
    """`host:port`, `[v6]:port`, or a bare host (port 53). The host must be an IP address:
    asking a name server by name would need another name server."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?|([^:\s]+)(?::(\d{1,5}))?", address)
    if match is None:
        raise _Failure("DNS_RESOLVER is not host:port")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4) or 53)
    if not 0 < port < 65536:
        raise _Failure("DNS_RESOLVER is not host:port")
    return host, port


async def _txt(resolver: dns.asyncresolver.Resolver, name: str) -> list[str] | None:
    """The TXT records at `name` (each one's strings joined), [] when it has none, None when the
    name does not exist."""
    try:
        answer = await resolver.resolve(name, dns.rdatatype.TXT, search=False)
    except dns.resolver.NXDOMAIN:
        return None
    except dns.resolver.NoAnswer:
        return []
    except dns.exception.Timeout:
        raise _Failure("DNS lookup timed out") from None
    except dns.resolver.NoNameservers:
        raise _Failure("DNS lookup failed (the server answered with an error)") from None
    except (dns.exception.DNSException, OSError, ValueError):
        raise _Failure("DNS lookup failed") from None
    records = []
    for rdata in answer:
        joined = b"".join(getattr(rdata, "strings", ()))
        records.append(joined.decode("utf-8", errors="replace"))
    return records


async def _spf(resolver: dns.asyncresolver.Resolver, domain: str) -> DnsCheck:
    records = await _txt(resolver, domain)
    if records is None:
        return DnsCheck(False, None, f"no such domain: {domain}")
    spf = [r for r in records if re.match(r"v=spf1(\s|$)", r.strip(), re.IGNORECASE)]
    if not spf:
        return DnsCheck(False, None, f"no SPF record (a v=spf1 TXT record at {domain})")
    if len(spf) > 1:
        # RFC 7208 4.5: more than one is a permanent error, as if there were none.
        return DnsCheck(False, " | ".join(spf), f"{len(spf)} SPF records at {domain}: one only")
    return DnsCheck(True, spf[0], None)


def _dkim_tags(record: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            tags[name.strip().lower()] = "".join(value.split())
    return tags


def _our_public_keys(private_key_pem: bytes) -> set[bytes]:
    """The forms in which our key's public half may be published as `p=`: SubjectPublicKeyInfo
    (RFC 6376), PKCS#1 for RSA (which some publish and verifiers accept), raw for Ed25519
    (RFC 8463)."""
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError):
        raise _Failure("the configured DKIM private key cannot be read") from None
    public = key.public_key()
    forms = {
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    }
    if isinstance(public, rsa.RSAPublicKey):
        forms.add(public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1))
    if isinstance(public, ed25519.Ed25519PublicKey):
        forms.add(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    return forms


async def _dkim(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    selector: str | None,
    private_key_pem: bytes | None,
) -> DnsCheck:
    if not selector:
        return DnsCheck(False, None, "no DKIM selector configured")
    name = f"{selector}._domainkey.{domain}"
    records = await _txt(resolver, name)
    keys = [r for r in records or [] if "p" in _dkim_tags(r)]
    if not keys:
        return DnsCheck(False, None, f"no DKIM record at {name}")
    if len(keys) > 1:
        return DnsCheck(False, " | ".join(keys), f"{len(keys)} DKIM records at {name}: one only")
    record = keys[0]
    published = _dkim_tags(record)["p"]
    if not published:
        return DnsCheck(False, record, f"the DKIM key at {name} is revoked (empty p=)")
    if private_key_pem is None:
        return DnsCheck(False, record, "no DKIM private key configured to compare with")
    ours = _our_public_keys(private_key_pem)
    try:
        theirs = base64.b64decode(published, validate=True)
    except (binascii.Error, ValueError):
        return DnsCheck(False, record, f"the DKIM key at {name} is not valid base64")
    if theirs not in ours:
        return DnsCheck(
            False, record, f"the DKIM key at {name} does not match the configured private key"
        )
    return DnsCheck(True, record, None)


async def _dmarc(resolver: dns.asyncresolver.Resolver, domain: str) -> DnsCheck:
    """`_dmarc.<domain>`, then the organisational domain's record, which covers its subdomains
    (RFC 7489 6.6.3)."""
    names = [f"_dmarc.{domain}"]
    organisational = registrable_domain(domain)
    if organisational != domain and domain.endswith("." + organisational):
        names.append(f"_dmarc.{organisational}")
    for name in names:
        records = await _txt(resolver, name) or []
        dmarc = [r for r in records if re.match(r"v\s*=\s*DMARC1\s*(;|$)", r.strip())]
        if len(dmarc) > 1:
            return DnsCheck(False, " | ".join(dmarc), f"{len(dmarc)} DMARC records at {name}")
        if dmarc:
            if "p" not in _dkim_tags(dmarc[0]):
                return DnsCheck(False, dmarc[0], f"the DMARC record at {name} has no p= policy")
            return DnsCheck(True, dmarc[0], None)
    return DnsCheck(False, None, f"no DMARC record (a v=DMARC1 TXT record at {names[0]})")


async def _guarded(check: Awaitable[DnsCheck]) -> DnsCheck:
    try:
        return await check
    except _Failure as failure:
        return DnsCheck(False, None, failure.words)


async def check_dns(
    from_email: str,
    dkim_selector: str | None,
    dkim_private_key_pem: bytes | None,
    resolver: str | None,
) -> DnsResult:
    """SPF, DKIM and DMARC of `from_email`'s domain, asked of `resolver` (`host:port`, the
    DNS_RESOLVER setting) or the system's resolver. Each is ok, or says in words what is wrong;
    a lookup that fails fails only its own check."""
    domain = from_email.rpartition("@")[2].strip().rstrip(".").lower()
    try:
        if not domain:
            raise _Failure("the From address has no domain")
        ask = _resolver(resolver)
    except _Failure as failure:
        return DnsResult(*(DnsCheck(False, None, failure.words) for _ in range(3)))
    spf, dkim, dmarc = await asyncio.gather(
        _guarded(_spf(ask, domain)),
        _guarded(_dkim(ask, domain, dkim_selector, dkim_private_key_pem)),
        _guarded(_dmarc(ask, domain)),
    )
    return DnsResult(spf, dkim, dmarc)


# --- What a real recipient would never accept -------------------------------------------------

# RFC 2606 and RFC 6761: names reserved for documentation and testing, which never receive or
# vouch for mail (`localdomain`: the placeholder many systems put after `localhost`).
PLACEHOLDER_TLDS = frozenset({"example", "test", "invalid", "localhost", "localdomain"})
PLACEHOLDER_DOMAINS = frozenset({"example.com", "example.org", "example.net", "localhost"})


def placeholder_domain(domain: str) -> bool:
    """`domain` (or the domain of an address) is reserved: RFC 2606/6761, or localhost."""
    name = domain.rpartition("@")[2].strip().rstrip(".").lower()
    if not name:
        return True
    if name.rsplit(".", 1)[-1] in PLACEHOLDER_TLDS:
        return True
    return any(name == d or name.endswith("." + d) for d in PLACEHOLDER_DOMAINS)


def local_url(url: str) -> str | None:
    """Why links to `url` cannot work for someone on the internet (its host is loopback, a
    private or link-local address, or a local-only name), or None."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return "it is not a URL"
    if not host:
        return "it has no host"
    if host == "localhost" or host.endswith(".localhost") or "." not in host and ":" not in host:
        return f"{host} is a local name"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified:
        return f"{host} is a loopback address"
    if address.is_private or address.is_link_local:
        return f"{host} is a private address"
    return None
