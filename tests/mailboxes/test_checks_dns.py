"""`check_dns` against a real DNS server on loopback (dnslib) reached as DNS_RESOLVER: the From
domain's SPF, DKIM (the published key is ours) and DMARC, as Gmail's and Yahoo's bulk-sender
rules read them."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from backlink_outreach.config import Settings
from backlink_outreach.mailboxes import checks
from backlink_outreach.mailboxes.checks import DnsCheck, check_dns
from tests.support.dnsserver import TxtZone, dns_server, silent_dns

DOMAIN = "mail.sender.test"
FROM = f"Outreach@{DOMAIN.upper()}"
SELECTOR = "s2025"
SPF = "v=spf1 ip4:192.0.2.10 -all"
DMARC = "v=DMARC1; p=quarantine; rua=mailto:dmarc@mail.sender.test"


def _pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _published(
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey,
    form: serialization.PublicFormat = serialization.PublicFormat.SubjectPublicKeyInfo,
) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return "v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode()
    der = key.public_key().public_bytes(serialization.Encoding.DER, form)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


@pytest.fixture(scope="module")
def dns() -> Iterator[tuple[str, TxtZone]]:
    """One DNS server for the module; each test sets its records."""
    with dns_server({}) as served:
        yield served


def _serve(dns: tuple[str, TxtZone], records: dict[str, list[str]]) -> tuple[str, TxtZone]:
    resolver, zone = dns
    zone.records, zone.questions = records, []
    return resolver, zone


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _zone(
    key: rsa.RSAPrivateKey, changes: dict[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """Good records for DOMAIN (beside an unrelated TXT record), with `changes` applied."""
    records = {
        DOMAIN: ["google-site-verification=abc123", SPF],
        f"{SELECTOR}._domainkey.{DOMAIN}": [_published(key)],
        f"_dmarc.{DOMAIN}": [DMARC],
    }
    return records | (changes or {})


async def test_good_records(key: rsa.RSAPrivateKey, dns: tuple[str, TxtZone]) -> None:
    resolver, zone = _serve(dns, _zone(key))
    result = await check_dns(FROM, SELECTOR, _pem(key), resolver)
    assert result.spf == DnsCheck(True, SPF, None)
    # A 2048-bit key is longer than one TXT string (255 bytes): the strings are joined.
    assert result.dkim == DnsCheck(True, _published(key), None)
    assert len(_published(key)) > 255
    assert result.dmarc == DnsCheck(True, DMARC, None)
    assert set(zone.questions) == {DOMAIN, f"{SELECTOR}._domainkey.{DOMAIN}", f"_dmarc.{DOMAIN}"}


async def test_missing_records(key: rsa.RSAPrivateKey, dns: tuple[str, TxtZone]) -> None:
    resolver, _ = _serve(dns, {DOMAIN: ["google-site-verification=abc123"]})
    result = await check_dns(FROM, SELECTOR, _pem(key), resolver)
    assert result.spf == DnsCheck(False, None, f"no SPF record (a v=spf1 TXT record at {DOMAIN})")
    assert result.dkim == DnsCheck(False, None, f"no DKIM record at {SELECTOR}._domainkey.{DOMAIN}")
    assert result.dmarc == DnsCheck(
        False, None, f"no DMARC record (a v=DMARC1 TXT record at _dmarc.{DOMAIN})"
    )


async def test_a_domain_that_does_not_exist(
    key: rsa.RSAPrivateKey, dns: tuple[str, TxtZone]
) -> None:
    resolver, _ = _serve(dns, {})
    result = await check_dns("a@nowhere.test", SELECTOR, _pem(key), resolver)
    assert result.spf == DnsCheck(False, None, "no such domain: nowhere.test")
    assert not result.dkim.ok and not result.dmarc.ok


async def test_a_dkim_key_that_is_not_ours(
    key: rsa.RSAPrivateKey, dns: tuple[str, TxtZone]
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    resolver, _ = _serve(dns, _zone(key))
    result = await check_dns(FROM, SELECTOR, _pem(other), resolver)
    assert result.dkim == DnsCheck(
        False,
        _published(key),
        f"the DKIM key at {SELECTOR}._domainkey.{DOMAIN} does not match the configured private key",
    )
    assert result.spf.ok and result.dmarc.ok


async def test_two_spf_records_are_an_error(
    key: rsa.RSAPrivateKey, dns: tuple[str, TxtZone]
) -> None:
    second = "v=spf1 include:_spf.mail.example -all"
    resolver, _ = _serve(dns, _zone(key, {DOMAIN: [SPF, second]}))
    result = await check_dns(FROM, SELECTOR, _pem(key), resolver)
    assert not result.spf.ok
    assert result.spf.error == f"2 SPF records at {DOMAIN}: one only"
    assert result.spf.record is not None and second in result.spf.record


@pytest.mark.parametrize("kind", ["pkcs1", "ed25519"])
async def test_other_published_key_forms(kind: str, dns: tuple[str, TxtZone]) -> None:
    private: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    if kind == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
        record = _published(private)
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        record = _published(private, serialization.PublicFormat.PKCS1)
    resolver, _ = _serve(dns, {f"{SELECTOR}._domainkey.{DOMAIN}": [record]})
    result = await check_dns(FROM, SELECTOR, _pem(private), resolver)
    assert result.dkim == DnsCheck(True, record, None)


async def test_a_revoked_dkim_key(key: rsa.RSAPrivateKey, dns: tuple[str, TxtZone]) -> None:
    name = f"{SELECTOR}._domainkey.{DOMAIN}"
    resolver, _ = _serve(dns, {name: ["v=DKIM1; k=rsa; p="]})
    result = await check_dns(FROM, SELECTOR, _pem(key), resolver)
    assert result.dkim == DnsCheck(
        False, "v=DKIM1; k=rsa; p=", f"the DKIM key at {name} is revoked (empty p=)"
    )


async def test_without_a_selector_or_a_key(
    key: rsa.RSAPrivateKey, dns: tuple[str, TxtZone]
) -> None:
    resolver, _ = _serve(dns, _zone(key))
    no_selector = await check_dns(FROM, None, _pem(key), resolver)
    no_key = await check_dns(FROM, SELECTOR, None, resolver)
    assert no_selector.dkim == DnsCheck(False, None, "no DKIM selector configured")
    assert no_key.dkim == DnsCheck(
        False, _published(key), "no DKIM private key configured to compare with"
    )


async def test_an_unreadable_private_key_says_so_and_shows_nothing_of_it(
    key: rsa.RSAPrivateKey, dns: tuple[str, TxtZone]
) -> None:
    garbage = (
        b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n"
    )
    resolver, _ = _serve(dns, _zone(key))
    result = await check_dns(FROM, SELECTOR, garbage, resolver)
    assert result.dkim == DnsCheck(False, None, "the configured DKIM private key cannot be read")


async def test_the_organisational_domains_dmarc_covers_a_subdomain(
    key: rsa.RSAPrivateKey, dns: tuple[str, TxtZone]
) -> None:
    org_dmarc = "v=DMARC1; p=reject; sp=quarantine"
    records = {"news.example.co.uk": [SPF], "_dmarc.example.co.uk": [org_dmarc]}
    resolver, zone = _serve(dns, records)
    result = await check_dns("hi@news.example.co.uk", SELECTOR, _pem(key), resolver)
    assert result.dmarc == DnsCheck(True, org_dmarc, None)
    assert zone.questions.index("_dmarc.news.example.co.uk") < zone.questions.index(
        "_dmarc.example.co.uk"
    )


async def test_a_record_that_is_not_dmarc_is_ignored(
    key: rsa.RSAPrivateKey, dns: tuple[str, TxtZone]
) -> None:
    resolver, _ = _serve(dns, _zone(key, {f"_dmarc.{DOMAIN}": ["v=dmarc2; p=none"]}))
    result = await check_dns(FROM, SELECTOR, _pem(key), resolver)
    assert not result.dmarc.ok and result.dmarc.record is None


async def test_a_server_that_never_answers_timed_out(
    key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks, "DNS_TIMEOUT_SECONDS", 0.3)
    with silent_dns() as resolver:
        result = await check_dns(FROM, SELECTOR, _pem(key), resolver)
    for check in (result.spf, result.dkim, result.dmarc):
        assert check == DnsCheck(False, None, "DNS lookup timed out")


@pytest.mark.parametrize("setting", ["127.0.0.1:notaport", "127.0.0.1:99999", "dns.test:53"])
async def test_a_malformed_resolver_setting(key: rsa.RSAPrivateKey, setting: str) -> None:
    result = await check_dns(FROM, SELECTOR, _pem(key), setting)
    assert result.spf == result.dkim == result.dmarc
    assert result.spf == DnsCheck(False, None, "DNS_RESOLVER is not host:port")


async def test_an_ipv6_resolver_setting_is_read(
    key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`[::1]:port` is understood (nothing listens there: the lookups fail, they do not 500)."""
    monkeypatch.setattr(checks, "DNS_TIMEOUT_SECONDS", 0.3)
    result = await check_dns(FROM, SELECTOR, _pem(key), "[::1]:9")
    assert result.spf.error is not None and "DNS_RESOLVER" not in result.spf.error


def test_dns_resolver_setting() -> None:
    assert Settings(_env_file=None).dns_resolver is None
    assert Settings(_env_file=None, dns_resolver=" ").dns_resolver is None
    assert Settings(_env_file=None, dns_resolver="127.0.0.1:5353").dns_resolver == "127.0.0.1:5353"
