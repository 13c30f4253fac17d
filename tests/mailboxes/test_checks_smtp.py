"""`check_smtp` against real aiosmtpd servers on loopback: each way a login can fail is said in
the contract's words, and a good login sends nothing."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Literal

import pytest

from backlink_outreach.mailboxes.checks import CheckResult, ServerLogin, check_smtp
from tests.outreach.mailserver import free_port
from tests.support.mailservers import (
    SMTP_PASSWORD,
    SMTP_USER,
    Certificate,
    make_certificate,
    silent_port,
    smtp_server,
)

Security = Literal["none", "starttls", "ssl"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture(autouse=True)
def _collect_sockets_quietly() -> Iterator[None]:
    """A refused TLS handshake leaves its socket to the garbage collector: collect it here,
    rather than as an "unraisable" warning in whichever test runs next."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _login(
    port: int,
    security: Security = "starttls",
    certificate: Certificate | None = None,
    *,
    username: str | None = SMTP_USER,
    password: str | None = SMTP_PASSWORD,
    timeout: float = 5,
) -> ServerLogin:
    return ServerLogin(
        host="127.0.0.1",
        port=port,
        security=security,
        username=username,
        password=password,
        timeout_seconds=timeout,
        ca_file=str(certificate.cert) if certificate else None,
    )


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_starttls_and_auth_log_in_and_send_nothing(
    certificate: Certificate, mechanism: str
) -> None:
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    with smtp_server(
        tls="starttls", certificate=certificate, auth=True, exclude_mechanisms=[other]
    ) as (recorder, port):
        result = await check_smtp(_login(port, "starttls", certificate))
    assert result == CheckResult(ok=True, error=None)
    assert recorder.messages == []


async def test_implicit_tls_and_auth(certificate: Certificate) -> None:
    with smtp_server(tls="ssl", certificate=certificate, auth=True) as (_, port):
        assert await check_smtp(_login(port, "ssl", certificate)) == CheckResult(True, None)


async def test_plain_server_without_a_username_needs_no_auth() -> None:
    with smtp_server() as (_, port):
        assert (await check_smtp(_login(port, "none", username=None, password=None))).ok


async def test_wrong_password_is_login_refused(certificate: Certificate) -> None:
    with smtp_server(tls="starttls", certificate=certificate, auth=True) as (_, port):
        result = await check_smtp(_login(port, "starttls", certificate, password="wrong-pass-42"))
    assert result == CheckResult(False, "login refused")


async def test_wrong_user_is_login_refused(certificate: Certificate) -> None:
    with smtp_server(tls="starttls", certificate=certificate, auth=True) as (_, port):
        result = await check_smtp(_login(port, "starttls", certificate, username="nobody"))
    assert result == CheckResult(False, "login refused")


async def test_nothing_listening_is_connection_refused() -> None:
    assert await check_smtp(_login(free_port(), "none")) == CheckResult(False, "connection refused")


async def test_a_server_that_never_answers_timed_out() -> None:
    with silent_port() as port:
        result = await check_smtp(_login(port, "starttls", timeout=0.3))
    assert result == CheckResult(False, "timed out")


async def test_implicit_tls_to_a_server_that_never_answers_timed_out(
    certificate: Certificate,
) -> None:
    with silent_port() as port:
        result = await check_smtp(_login(port, "ssl", certificate, timeout=0.3))
    assert result == CheckResult(False, "timed out")


async def test_no_starttls_offered() -> None:
    with smtp_server(auth=True) as (_, port):
        assert await check_smtp(_login(port, "starttls")) == CheckResult(
            False, "STARTTLS not offered"
        )


async def test_no_auth_offered(certificate: Certificate) -> None:
    with smtp_server(tls="starttls", certificate=certificate) as (_, port):
        assert await check_smtp(_login(port, "starttls", certificate)) == CheckResult(
            False, "AUTH not offered"
        )


async def test_auth_is_not_offered_before_tls_by_a_careful_server(
    certificate: Certificate,
) -> None:
    """aiosmtpd, like most servers, offers AUTH only over TLS: `security: none` against it."""
    with smtp_server(tls="starttls", certificate=certificate, auth=True) as (_, port):
        assert await check_smtp(_login(port, "none")) == CheckResult(False, "AUTH not offered")


@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_an_untrusted_certificate_is_tls_failed(
    certificate: Certificate, security: Security
) -> None:
    with smtp_server(tls=security, certificate=certificate, auth=True) as (_, port):
        result = await check_smtp(_login(port, security, None))
    assert result == CheckResult(False, "TLS failed")


async def test_an_unreadable_ca_file_is_tls_failed(
    certificate: Certificate, tmp_path: Path
) -> None:
    with smtp_server(tls="starttls", certificate=certificate, auth=True) as (_, port):
        login = replace(_login(port, "starttls"), ca_file=str(tmp_path / "missing.pem"))
        assert await check_smtp(login) == CheckResult(False, "TLS failed")


def test_the_password_never_shows_in_a_repr() -> None:
    login = _login(25, password="hunter2-secret")
    assert "hunter2-secret" not in repr(login) and "hunter2-secret" not in str(login)
    assert "password" not in repr(login)
