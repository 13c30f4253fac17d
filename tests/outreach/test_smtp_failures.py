"""Each way SMTP can fail: the caller gets the generic 500, the attempt is stored `failed` with a
short error, and the cap slot is freed; a permanent recipient refusal also suppresses."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from backlink_outreach.config import Settings
from backlink_outreach.outreach import smtp
from tests.conftest import Api
from tests.outreach.conftest import MakeApi, add_lead, campaign_with_lead, mail_settings, send
from tests.outreach.mailserver import MailServer, free_port

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
        assert attempt["error"] == "transient: connection refused by the SMTP server"
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
        assert attempt["error"] == "transient: timed out talking to the SMTP server"
        await _assert_slot_freed_and_not_suppressed(api, campaign)


async def test_421_is_transient_and_frees_the_slot(
    make_api: MakeApi, mail_server: MailServer
) -> None:
    mail_server.recorder.refuse["editor@garden.test"] = "421 4.7.0 Try again later"
    async with make_api(**mail_settings(mail_server, policy_sender_daily_cap=1)) as api:
        campaign, attempt = await _failed_send(api)
        assert attempt["error"] == "transient: 421 4.7.0 Try again later"
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
    assert attempt["error"].startswith("permanent: 550 5.1.1")
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
    assert attempt["error"] == "permanent: 550 5.7.1 Message rejected as spam"
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
