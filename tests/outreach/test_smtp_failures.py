"""Each way SMTP can fail: the caller gets the generic 500, the attempt is stored `failed` with
the contract's words for what happened (API.md "Message correctness"), and the cap slot is freed;
a permanent recipient refusal also suppresses. Every wording through a real aiosmtpd server."""

from __future__ import annotations

import gc
import json
import socket
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from backlink_outreach.config import Settings
from backlink_outreach.outreach import smtp
from tests.conftest import Api
from tests.outreach.conftest import (
    SENDER,
    MakeApi,
    add_lead,
    campaign_with_lead,
    mail_settings,
    send,
)
from tests.outreach.mailserver import MailServer, Recorder, free_port
from tests.support.mailservers import (
    SMTP_PASSWORD,
    SMTP_USER,
    Certificate,
    make_certificate,
    smtp_server,
)

GENERIC_500 = {"detail": "An internal error occurred"}


async def _failed_send(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    campaign, lead = await campaign_with_lead(api)
    response = await send(api, campaign, lead)
    assert response.status_code == 500
    assert response.json() == GENERIC_500
    [attempt] = (await api.get(f"/campaigns/{campaign['id']}/attempts")).json()
    assert attempt["status"] == "failed" and attempt["sent_at"] is None
    return campaign, attempt


async def _assert_slot_freed_and_not_suppressed(api: Api, campaign: dict[str, Any]) -> None:
    lead = (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"][0]
    assert lead["status"] == "discovered"
    assert (await api.get("/suppression")).json() == []
    assert (await api.get(f"/campaigns/{campaign['id']}/follow-ups")).json() == []


async def test_connection_refused(make_api: MakeApi) -> None:
    settings = {"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_timeout_seconds": 2}
    async with make_api(**settings, unsubscribe_secret="s") as api:
        campaign, attempt = await _failed_send(api)
        assert attempt["error"] == "connection refused"
        await _assert_slot_freed_and_not_suppressed(api, campaign)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word (no SMTP greeting)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


async def test_timeout(make_api: MakeApi, silent_port: int) -> None:
    settings = {"smtp_host": "127.0.0.1", "smtp_port": silent_port, "smtp_timeout_seconds": 0.3}
    async with make_api(**settings, unsubscribe_secret="s") as api:
        campaign, attempt = await _failed_send(api)
        assert attempt["error"] == "timed out"
        await _assert_slot_freed_and_not_suppressed(api, campaign)


async def test_421_is_transient_and_frees_the_slot(
    make_api: MakeApi, mail_server: MailServer
) -> None:
    mail_server.recorder.refuse["editor@garden.test"] = "421 4.7.0 Try again later"
    async with make_api(**mail_settings(mail_server, policy_sender_daily_cap=1)) as api:
        campaign, attempt = await _failed_send(api)
        assert attempt["error"] == "recipient refused 4.7.0 Try again later"
        assert attempt["smtp_code"] == 421 and attempt["permanent_failure"] is False
        await _assert_slot_freed_and_not_suppressed(api, campaign)
        # The failed send holds no slot: the cap of 1 still allows the next one.
        other = await add_lead(api, campaign["id"], "ed@other.test")
        assert (await send(api, campaign, other)).status_code == 200
    assert [m.rcpt_tos for m in mail_server.messages] == [["ed@other.test"]]


async def test_550_user_unknown_suppresses_and_bounces(
    mail_api: Api, mail_server: MailServer
) -> None:
    mail_server.recorder.refuse["editor@garden.test"] = (
        "550 5.1.1 <editor@garden.test>: Recipient address rejected: User unknown"
    )
    campaign, attempt = await _failed_send(mail_api)
    assert attempt["error"] == (
        "recipient refused 5.1.1 <editor@garden.test>: Recipient address rejected: User unknown"
    )
    assert attempt["smtp_code"] == 550 and attempt["permanent_failure"] is True
    lead = (await mail_api.get(f"/campaigns/{campaign['id']}")).json()["leads"][0]
    assert lead["status"] == "bounced"
    [entry] = (await mail_api.get("/suppression")).json()
    assert (entry["email"], entry["source"]) == ("editor@garden.test", "bounce")
    again = await send(mail_api, campaign, lead, subject="Another subject")
    assert again.json()["reason"] == "suppressed"


async def test_550_on_a_later_send_keeps_a_placed_lead_placed(
    mail_api: Api, mail_server: MailServer
) -> None:
    """A won deal stays won: the refusal suppresses the address, but the lead stays placed."""
    campaign, lead = await campaign_with_lead(mail_api)
    placed = await mail_api.patch(
        f"/campaigns/{campaign['id']}/leads/{lead['id']}/status", json={"status": "placed"}
    )
    assert placed.status_code == 200
    mail_server.recorder.refuse["editor@garden.test"] = "550 5.1.1 User unknown"
    assert (await send(mail_api, campaign, lead)).status_code == 500
    [attempt] = (await mail_api.get(f"/campaigns/{campaign['id']}/attempts")).json()
    assert attempt["permanent_failure"] is True
    stored = (await mail_api.get(f"/campaigns/{campaign['id']}")).json()["leads"][0]
    assert stored["status"] == "placed"
    [entry] = (await mail_api.get("/suppression")).json()
    assert (entry["email"], entry["source"]) == ("editor@garden.test", "bounce")


async def test_550_policy_refusal_does_not_suppress(mail_api: Api, mail_server: MailServer) -> None:
    mail_server.recorder.refuse["editor@garden.test"] = "550 5.7.1 Message rejected as spam"
    campaign, attempt = await _failed_send(mail_api)
    assert attempt["error"] == "recipient refused 5.7.1 Message rejected as spam"
    assert attempt["permanent_failure"] is False
    await _assert_slot_freed_and_not_suppressed(mail_api, campaign)


async def test_one_connection_is_reused_in_a_burst(
    mail_server: MailServer, make_settings: Any
) -> None:
    mail_server.recorder.refuse["gone@site.test"] = "550 5.1.1 User unknown"
    settings: Settings = make_settings(**mail_settings(mail_server))
    mailer = smtp.mailer_for(settings)
    async with mailer.burst():
        await mailer.send("a@s.test", "one@site.test", b"Subject: 1\r\n\r\none\r\n", "1")
        with pytest.raises(smtp.DeliveryError) as refused:
            await mailer.send("a@s.test", "gone@site.test", b"Subject: 2\r\n\r\ntwo\r\n", "2")
        assert refused.value.permanent_recipient and refused.value.smtp_code == 550
        await mailer.send("a@s.test", "three@site.test", b"Subject: 3\r\n\r\nthree\r\n", "3")
    peers = {m.peer for m in mail_server.messages}
    assert len(mail_server.messages) == 2 and len(peers) == 1
    # After the burst the connection is closed; the next send opens a new one.
    await mailer.send("a@s.test", "four@site.test", b"Subject: 4\r\n\r\nfour\r\n", "4")
    assert len({m.peer for m in mail_server.messages}) == 2


# --- Each stored wording, through a real server --------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("smtp-failures-tls"))


@pytest.fixture
def _collect_sockets_quietly() -> Iterator[None]:
    """A refused TLS handshake, or a server stopped under a kept-alive connection, leaves its
    socket to the garbage collector: collect it here, quietly, not as an "unraisable" warning
    in whichever test runs next."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _server_settings(
    port: int,
    security: str = "none",
    certificate: Certificate | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": security,
        "smtp_ca_file": certificate.cert if certificate else None,
        "smtp_timeout_seconds": 5.0,
        "smtp_from_email": SENDER,
        "unsubscribe_secret": "test-unsubscribe-secret",
    }
    return values | overrides


async def _stored_error(make_api: MakeApi, settings: dict[str, Any]) -> dict[str, Any]:
    async with make_api(**settings) as api:
        campaign, attempt = await _failed_send(api)
        await _assert_slot_freed_and_not_suppressed(api, campaign)
    return attempt


class _RefuseData(Recorder):
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "554 5.7.1 Message rejected as spam"


class _RefuseSender(Recorder):
    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "553 5.7.1 <outreach@mail.sender.test>: Sender address rejected"


async def test_data_refused_is_message_refused(make_api: MakeApi) -> None:
    with smtp_server(handler=_RefuseData()) as (recorder, port):
        attempt = await _stored_error(make_api, _server_settings(port))
    assert attempt["error"] == "message refused 554 5.7.1 Message rejected as spam"
    assert attempt["smtp_code"] == 554 and attempt["permanent_failure"] is False
    assert recorder.messages == []


async def test_sender_refused_is_message_refused(make_api: MakeApi) -> None:
    with smtp_server(handler=_RefuseSender()) as (_, port):
        attempt = await _stored_error(make_api, _server_settings(port))
    assert attempt["error"] == (
        "message refused 553 5.7.1 <outreach@mail.sender.test>: Sender address rejected"
    )
    assert attempt["permanent_failure"] is False


async def test_a_refusal_without_an_enhanced_code_keeps_the_basic_one(
    mail_api: Api, mail_server: MailServer
) -> None:
    mail_server.recorder.refuse["editor@garden.test"] = "550 No such user here"
    _, attempt = await _failed_send(mail_api)
    assert attempt["error"] == "recipient refused 550 No such user here"
    assert attempt["permanent_failure"] is True


async def test_starttls_not_offered(make_api: MakeApi) -> None:
    with smtp_server(auth=True) as (recorder, port):
        settings = _server_settings(
            port, "starttls", smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD
        )
        attempt = await _stored_error(make_api, settings)
    assert attempt["error"] == "STARTTLS not offered" and attempt["smtp_code"] is None
    assert recorder.messages == []


async def test_auth_not_offered(make_api: MakeApi, certificate: Certificate) -> None:
    with smtp_server(tls="starttls", certificate=certificate) as (recorder, port):
        settings = _server_settings(
            port, "starttls", certificate, smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD
        )
        attempt = await _stored_error(make_api, settings)
    assert attempt["error"] == "AUTH not offered"
    assert recorder.messages == []


async def test_login_refused_and_the_password_shows_nowhere(
    make_api: MakeApi, certificate: Certificate
) -> None:
    wrong = "Wr0ng-pa55word-never-shown"
    with (
        smtp_server(tls="starttls", certificate=certificate, auth=True) as (recorder, port),
        capture_logs() as logs,
    ):
        settings = _server_settings(
            port, "starttls", certificate, smtp_username=SMTP_USER, smtp_password=wrong
        )
        attempt = await _stored_error(make_api, settings)
    assert attempt["error"] == "login refused" and attempt["smtp_code"] == 535
    assert attempt["permanent_failure"] is False
    assert wrong not in json.dumps(attempt) and wrong not in repr(logs)
    assert any(e["event"] == "outreach_delivery_failed" for e in logs)
    assert recorder.messages == []


@pytest.mark.usefixtures("_collect_sockets_quietly")
async def test_an_untrusted_certificate_is_tls_failed(
    make_api: MakeApi, certificate: Certificate
) -> None:
    with smtp_server(tls="starttls", certificate=certificate, auth=True) as (recorder, port):
        settings = _server_settings(
            port, "starttls", None, smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD
        )
        attempt = await _stored_error(make_api, settings)
    assert attempt["error"] == "TLS failed"
    assert recorder.messages == []


@pytest.mark.usefixtures("_collect_sockets_quietly")
async def test_the_right_login_delivers(make_api: MakeApi, certificate: Certificate) -> None:
    """The servers above refuse for the reason each test names, not for a broken fixture."""
    with smtp_server(tls="starttls", certificate=certificate, auth=True) as (recorder, port):
        settings = _server_settings(
            port, "starttls", certificate, smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD
        )
        async with make_api(**settings) as api:
            campaign, lead = await campaign_with_lead(api)
            assert (await send(api, campaign, lead)).status_code == 200
    assert [m.rcpt_tos for m in recorder.messages] == [["editor@garden.test"]]
