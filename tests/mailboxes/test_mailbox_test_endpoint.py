"""`POST /mailboxes/{id}/test`: logs in to the mailbox's SMTP (aiosmtpd with AUTH) and IMAP
(pymap) servers, sends nothing, checks SPF/DKIM/DMARC through DNS_RESOLVER (dnslib on
loopback), says in words what failed, and records it in `health`."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.mailboxes.support import KEY, PASSWORD, create_mailbox
from tests.outreach.conftest import MakeApi
from tests.outreach.mailserver import Recorder
from tests.support.dnsserver import TxtZone, dns_server
from tests.support.mailservers import SMTP_PASSWORD, SMTP_USER, pymap_server, smtp_server

pytest.importorskip("backlink_outreach.mailboxes.checks")

IMAP_USER, IMAP_PASSWORD = "alice", "Imap-pa55-for-test"


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    with smtp_server(auth=True) as found:
        yield found


@pytest.fixture(scope="module")
def imap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("pymap")
    with pymap_server(folder, IMAP_USER, IMAP_PASSWORD, "--no-tls") as (port, _):
        yield port


def _key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


@pytest.fixture(scope="module")
def dns() -> Iterator[tuple[str, TxtZone]]:
    with dns_server({}) as served:
        yield served


async def test_good_logins_and_records(
    make_api: MakeApi,
    smtp: tuple[Recorder, int],
    imap: int,
    dns: tuple[str, TxtZone],
    tmp_path: Path,
) -> None:
    recorder, smtp_port = smtp
    resolver, zone = dns
    pem, published = _key()
    zone.records = {
        "agency.test": ["v=spf1 ip4:192.0.2.1 -all"],
        "m1._domainkey.agency.test": [published],
        "_dmarc.agency.test": ["v=DMARC1; p=none"],
    }
    async with make_api(secrets_key=KEY, dns_resolver=resolver) as api:
        mailbox = await create_mailbox(
            api,
            smtp={
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "none",
                "username": SMTP_USER,
                "password": SMTP_PASSWORD,
            },
            imap={
                "host": "127.0.0.1",
                "port": imap,
                "security": "none",
                "username": IMAP_USER,
                "password": IMAP_PASSWORD,
            },
            dkim={"domain": "agency.test", "selector": "m1", "private_key": pem},
        )
        response = await api.post(f"/mailboxes/{mailbox['id']}/test")
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["smtp"] == {"ok": True, "error": None}
        assert result["imap"] == {"ok": True, "error": None}
        assert all(result["dns"][name]["ok"] for name in ("spf", "dkim", "dmarc")), result
        assert recorder.messages == []  # sends nothing
        got = (await api.get(f"/mailboxes/{mailbox['id']}")).json()
        assert got["health"]["last_test_at"] is not None and got["health"]["last_error"] is None


async def test_a_refused_login_is_said_in_words_and_recorded(
    make_api: MakeApi, smtp: tuple[Recorder, int], dns: tuple[str, TxtZone]
) -> None:
    _, smtp_port = smtp
    resolver, zone = dns
    zone.records = {}
    async with make_api(secrets_key=KEY, dns_resolver=resolver) as api:
        mailbox = await create_mailbox(
            api,
            smtp={
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "none",
                "username": SMTP_USER,
                "password": PASSWORD,  # not the server's
            },
        )
        response = await api.post(f"/mailboxes/{mailbox['id']}/test")
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["smtp"]["ok"] is False and "login refused" in result["smtp"]["error"]
        assert result["imap"]["ok"] is False  # no IMAP configured
        assert result["dns"]["spf"]["ok"] is False
        assert PASSWORD not in response.text
        got = (await api.get(f"/mailboxes/{mailbox['id']}")).json()
        assert "login refused" in got["health"]["last_error"]
        assert PASSWORD not in str(got)
