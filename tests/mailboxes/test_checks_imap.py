"""`check_imap` against real pymap servers on loopback (plain, STARTTLS with a certificate the
test makes, no TLS at all): LOGIN then LOGOUT, and each failure in the contract's words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from backlink_outreach.mailboxes.checks import CheckResult, ServerLogin, check_imap
from tests.outreach.mailserver import free_port
from tests.support.mailservers import Certificate, make_certificate, pymap_server, silent_port

USER = "inbox@mailbox.test"
PASSWORD = "Imap-pa55-do-not-leak"
Security = Literal["none", "starttls", "ssl"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("imap-tls"))


@pytest.fixture(scope="module")
def plain_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """pymap that offers no STARTTLS."""
    with pymap_server(tmp_path_factory.mktemp("pymap-plain"), USER, PASSWORD, "--no-tls") as (
        port,
        _,
    ):
        yield port


@pytest.fixture(scope="module")
def tls_port(tmp_path_factory: pytest.TempPathFactory, certificate: Certificate) -> Iterator[int]:
    """pymap that offers STARTTLS with the test's certificate."""
    flags = ("--cert", str(certificate.cert), "--key", str(certificate.key))
    with pymap_server(tmp_path_factory.mktemp("pymap-tls"), USER, PASSWORD, *flags) as (port, _):
        yield port


def _login(
    port: int,
    security: Security = "none",
    *,
    ca_file: Path | None = None,
    password: str = PASSWORD,
    timeout: float = 5,
) -> ServerLogin:
    return ServerLogin(
        host="127.0.0.1",
        port=port,
        security=security,
        username=USER,
        password=password,
        timeout_seconds=timeout,
        ca_file=str(ca_file) if ca_file else None,
    )


async def test_plain_login(plain_port: int) -> None:
    assert await check_imap(_login(plain_port)) == CheckResult(True, None)


async def test_starttls_login(tls_port: int, certificate: Certificate) -> None:
    result = await check_imap(_login(tls_port, "starttls", ca_file=certificate.cert))
    assert result == CheckResult(True, None)


async def test_wrong_password_is_login_refused(tls_port: int, certificate: Certificate) -> None:
    login = _login(tls_port, "starttls", ca_file=certificate.cert, password="wrong-pass-42")
    assert await check_imap(login) == CheckResult(False, "login refused")


async def test_no_starttls_offered(plain_port: int) -> None:
    assert await check_imap(_login(plain_port, "starttls")) == CheckResult(
        False, "STARTTLS not offered"
    )


async def test_an_untrusted_certificate_is_tls_failed(tls_port: int) -> None:
    assert await check_imap(_login(tls_port, "starttls")) == CheckResult(False, "TLS failed")


async def test_implicit_tls_to_a_plain_server_is_tls_failed(plain_port: int) -> None:
    assert await check_imap(_login(plain_port, "ssl")) == CheckResult(False, "TLS failed")


async def test_nothing_listening_is_connection_refused() -> None:
    assert await check_imap(_login(free_port())) == CheckResult(False, "connection refused")


@pytest.mark.parametrize("security", ["none", "ssl"])
async def test_a_server_that_never_answers_timed_out(security: Security) -> None:
    with silent_port() as port:
        result = await check_imap(_login(port, security, timeout=0.3))
    assert result == CheckResult(False, "timed out")
