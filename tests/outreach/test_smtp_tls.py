"""SMTP_SECURITY=starttls against a real aiosmtpd server with a certificate made by the
test, plus SMTP AUTH over the encrypted channel. Certificates are verified: without the test's
CA the send fails (and is recorded as failed)."""

from __future__ import annotations

import contextlib
import gc
import ssl
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import Api
from tests.outreach.conftest import SENDER, campaign_with_lead, send
from tests.outreach.mailserver import Recorder, free_port
from tests.support.mailservers import make_certificate

MakeApi = Callable[..., contextlib.AbstractAsyncContextManager[Api]]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (cert PEM, key PEM)."""
    made = make_certificate(tmp_path_factory.mktemp("tls"))
    return made.cert, made.key


@pytest.fixture(autouse=True)
def _collect_sockets_quietly() -> Iterator[None]:
    """Stopping aiosmtpd under a kept-alive TLS connection (and aiosmtplib after a refused
    handshake) leaves sockets to the garbage collector: collect them here, quietly, rather than
    as an "unraisable" warning in whichever test runs next."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _accept_user(
    _server: Any, _session: Any, _envelope: Any, _mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"mailer"
        and auth_data.password == b"s3cret"
    )
    return AuthResult(success=ok)


@contextlib.contextmanager
def tls_server(mode: str, certificate: tuple[Path, Path]) -> Iterator[tuple[Recorder, int]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    recorder, port = Recorder(), free_port()
    options: dict[str, Any] = {"authenticator": _accept_user, "auth_required": True}
    if mode == "starttls":
        options.update(tls_context=context, require_starttls=True)
    else:
        # aiosmtpd only counts STARTTLS as "TLS" for its auth_require_tls check; the implicit
        # TLS channel is just as encrypted, so the check is turned off for that server.
        options.update(ssl_context=context, auth_require_tls=False)
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()  # its warning about AUTH without that check is filtered in pytest.ini
    try:
        yield recorder, port
    finally:
        controller.stop()


def _settings(port: int, mode: str, ca: Path | None) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": mode,
        "smtp_username": "mailer",
        "smtp_password": "s3cret",
        "smtp_ca_file": ca,
        "smtp_timeout_seconds": 5.0,
        "smtp_from_email": SENDER,
        "unsubscribe_secret": "test-unsubscribe-secret",
    }


@pytest.mark.parametrize("mode", ["starttls"])
async def test_encrypted_and_authenticated_delivery(
    mode: str, make_api: MakeApi, certificate: tuple[Path, Path]
) -> None:
    with tls_server(mode, certificate) as (recorder, port):
        async with make_api(**_settings(port, mode, certificate[0])) as api:
            campaign, lead = await campaign_with_lead(api)
            response = await send(api, campaign, lead)
            assert response.status_code == 200, response.text
    [received] = recorder.messages
    assert received.rcpt_tos == ["editor@garden.test"]


@pytest.mark.parametrize("mode", ["starttls"])
async def test_an_untrusted_certificate_is_refused(
    mode: str, make_api: MakeApi, certificate: tuple[Path, Path]
) -> None:
    with tls_server(mode, certificate) as (recorder, port):
        async with make_api(**_settings(port, mode, None)) as api:
            campaign, lead = await campaign_with_lead(api)
            response = await send(api, campaign, lead)
            assert response.status_code == 500
            [attempt] = (await api.get(f"/campaigns/{campaign['id']}/attempts")).json()
    assert attempt["status"] == "failed"
    assert recorder.messages == []
