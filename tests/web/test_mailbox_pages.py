"""The mailbox screens: the list with health, adding one (passwords never shown back), the
test against real servers on loopback (aiosmtpd with AUTH, a DNS server), pause and resume."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator

import pytest

from tests.mailboxes.support import KEY, PASSWORD
from tests.outreach.mailserver import Recorder
from tests.support.dnsserver import TxtZone, dns_server
from tests.support.mailservers import SMTP_PASSWORD, SMTP_USER, smtp_server
from tests.web.client import WebClient, error_texts

WebFactory = Callable[..., contextlib.AbstractAsyncContextManager[WebClient]]


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    with smtp_server(auth=True) as found:
        yield found


@pytest.fixture(scope="module")
def dns() -> Iterator[tuple[str, TxtZone]]:
    with dns_server({}) as served:
        yield served


def form(port: int, password: str = PASSWORD, **overrides: str) -> dict[str, str]:
    values = {
        "from_email": "alice@agency.test",
        "from_name": "Alice <Agent>",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(port),
        "smtp_security": "none",
        "smtp_username": SMTP_USER,
        "smtp_password": password,
        "daily_cap": "40",
        "min_interval_seconds": "90",
        "warmup_enabled": "on",
        "warmup_start_per_day": "5",
        "warmup_increase_per_day": "3",
        "warmup_max_per_day": "30",
    }
    values.update(overrides)
    return values


def mailbox_id(location: str) -> str:
    found = re.fullmatch(r"/app/mailboxes/(mbx_[A-Za-z0-9]+)", location)
    assert found, location
    return found.group(1)


async def test_the_list_shows_the_default_mailbox_and_says_what_to_do(web: WebClient) -> None:
    page = await web.get("/app/mailboxes")
    assert page.status_code == 200
    assert "Default (from the environment)" in page.text
    assert "Add a mailbox of your own" in page.text
    assert (await web.get("/app/mailboxes/new")).status_code == 200


async def test_a_wrong_form_says_why_by_the_field_and_never_shows_the_password_back(
    make_web: WebFactory,
) -> None:
    async with make_web(secrets_key=KEY) as web:
        web.sign_in()
        bad = await web.post(
            "/app/mailboxes/new",
            form(2525, from_email="not an address", smtp_port="many", daily_cap="5000"),
        )
        assert bad.status_code == 422
        assert 'id="f-smtp_port-error"' in bad.text and "whole number" in bad.text
        assert PASSWORD not in bad.text
        again = await web.post("/app/mailboxes/new", form(2525, from_email="x", daily_cap="5000"))
        assert again.status_code == 422
        assert 'id="f-from_email-error"' in again.text
        assert 'id="f-daily_cap-error"' in again.text
        assert PASSWORD not in again.text
        assert 'value="Alice &lt;Agent&gt;"' in again.text  # the other fields are kept, escaped
        assert (await web.get("/app/mailboxes")).text.count("/app/mailboxes/mbx_") == 1


async def test_clerk_mode_without_a_secrets_key_is_said_in_words(web: WebClient) -> None:
    response = await web.post("/app/mailboxes/new", form(2525))
    assert response.status_code == 422
    assert error_texts(response.text), response.text
    assert PASSWORD not in response.text


async def test_add_test_pause_and_resume_a_mailbox(
    make_web: WebFactory, smtp: tuple[Recorder, int], dns: tuple[str, TxtZone]
) -> None:
    recorder, port = smtp
    resolver, _zone = dns
    async with make_web(secrets_key=KEY, dns_resolver=resolver) as web:
        web.sign_in()
        made = await web.post("/app/mailboxes/new", form(port, password=SMTP_PASSWORD))
        assert made.status_code == 303, made.text
        found = mailbox_id(made.headers["location"])
        detail = await web.get(f"/app/mailboxes/{found}")
        assert detail.status_code == 200
        assert "Alice &lt;Agent&gt;" in detail.text and SMTP_PASSWORD not in detail.text
        assert "password set" in detail.text and "not tested yet" in detail.text
        assert "on: 5/day, +3 a day, up to 30" in detail.text

        # The test, inline: a fragment in words.
        fragment = await web.client.post(
            f"/app/mailboxes/{found}/test",
            headers={"X-CSRF-Token": web.csrf_token, "X-Fragment": "1"},
        )
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        assert "Sending (SMTP):</strong> logged in, works." in fragment.text
        assert "Replies (IMAP):</strong> not set up." in fragment.text
        assert "SPF:</strong> missing or wrong" in fragment.text
        assert recorder.messages == []  # a test sends nothing
        listing = await web.get("/app/mailboxes")
        assert "passed" in listing.text

        paused = await web.post(f"/app/mailboxes/{found}/status", {"status": "paused"})
        assert paused.status_code == 303
        page = await web.get(f"/app/mailboxes/{found}")
        assert "badge-paused" in page.text and "Resume sending" in page.text
        resumed = await web.post(f"/app/mailboxes/{found}/status", {"status": "active"})
        assert resumed.status_code == 303
        assert "Pause sending" in (await web.get(f"/app/mailboxes/{found}")).text
        junk = await web.post(f"/app/mailboxes/{found}/status", {"status": "gone"})
        assert junk.status_code == 422


async def test_a_refused_login_is_said_in_words_on_the_page(
    make_web: WebFactory, smtp: tuple[Recorder, int], dns: tuple[str, TxtZone]
) -> None:
    _, port = smtp
    resolver, _zone = dns
    async with make_web(secrets_key=KEY, dns_resolver=resolver) as web:
        web.sign_in()
        made = await web.post("/app/mailboxes/new", form(port, password="wrong-" + PASSWORD))
        found = mailbox_id(made.headers["location"])
        page = await web.post(f"/app/mailboxes/{found}/test")
        assert page.status_code == 200
        assert "Sending (SMTP):</strong> failed: login refused" in page.text
        assert PASSWORD not in page.text
        assert "smtp: login refused" in (await web.get("/app/mailboxes")).text


async def test_another_workspaces_mailbox_is_the_404_page(
    make_web: WebFactory, smtp: tuple[Recorder, int]
) -> None:
    _, port = smtp
    async with make_web(secrets_key=KEY) as web:
        web.sign_in("user_a")
        made = await web.post("/app/mailboxes/new", form(port))
        found = mailbox_id(made.headers["location"])
        web.sign_in("user_b")
        await web.get("/app/mailboxes")
        assert (await web.get(f"/app/mailboxes/{found}")).status_code == 404
        assert (await web.post(f"/app/mailboxes/{found}/test")).status_code == 404
        assert (
            await web.post(f"/app/mailboxes/{found}/status", {"status": "paused"})
        ).status_code == 404
        assert (await web.post(f"/app/mailboxes/{found}/delete")).status_code == 404
        web.sign_in("user_a")
        await web.get("/app/mailboxes")
        deleted = await web.post(f"/app/mailboxes/{found}/delete")
        assert deleted.status_code == 303
        assert (await web.get(f"/app/mailboxes/{found}")).status_code == 404


async def test_edit_a_mailbox_keeps_the_stored_password_unless_a_new_one_is_typed(
    make_web: WebFactory, smtp: tuple[Recorder, int], dns: tuple[str, TxtZone]
) -> None:
    _, port = smtp
    resolver, _zone = dns
    async with make_web(secrets_key=KEY, dns_resolver=resolver) as web:
        web.sign_in()
        made = await web.post("/app/mailboxes/new", form(port, password=SMTP_PASSWORD))
        found = mailbox_id(made.headers["location"])
        assert (
            f'href="/app/mailboxes/{found}/edit"' in (await web.get(made.headers["location"])).text
        )

        shown = await web.get(f"/app/mailboxes/{found}/edit")
        assert shown.status_code == 200
        assert 'value="alice@agency.test"' in shown.text and 'value="40"' in shown.text
        assert SMTP_PASSWORD not in shown.text and "Leave empty to keep" in shown.text

        edited = form(port, password="", daily_cap="25", from_name="Alice Q")
        edited |= {"imap_host": "imap.agency.test", "sent_folder": "[Gmail]/Sent Mail"}
        saved = await web.post(f"/app/mailboxes/{found}/edit", edited)
        assert saved.status_code == 303, saved.text
        page = (await web.get(f"/app/mailboxes/{found}")).text
        assert "<strong>25</strong>" in page and "Alice Q" in page
        assert "imap.agency.test:993" in page
        # The empty password field kept the stored one: the login still works.
        tested = await web.post(f"/app/mailboxes/{found}/test")
        assert "Sending (SMTP):</strong> logged in, works." in tested.text
        again = await web.get(f"/app/mailboxes/{found}/edit")
        assert 'value="[Gmail]/Sent Mail"' in again.text

        # A typed password replaces it; an empty IMAP server turns reply reading off.
        wrong = form(port, password="wrong-" + PASSWORD, imap_host="")
        assert (await web.post(f"/app/mailboxes/{found}/edit", wrong)).status_code == 303
        page = (await web.get(f"/app/mailboxes/{found}")).text
        assert "not set up: replies are not read" in page
        tested = await web.post(f"/app/mailboxes/{found}/test")
        assert "Sending (SMTP):</strong> failed: login refused" in tested.text

        bad = await web.post(f"/app/mailboxes/{found}/edit", form(port, daily_cap="0"))
        assert bad.status_code == 422 and 'id="f-daily_cap-error"' in bad.text
        assert "<strong>40</strong>" in (await web.get(f"/app/mailboxes/{found}")).text

        # The environment's mailbox has no edit form; another workspace's is 404.
        assert (await web.get("/app/mailboxes/mbx_default/edit")).status_code == 404
        web.sign_in("user_b")
        await web.get("/app/mailboxes")
        assert (await web.get(f"/app/mailboxes/{found}/edit")).status_code == 404
        assert (await web.post(f"/app/mailboxes/{found}/edit", form(port))).status_code == 404
