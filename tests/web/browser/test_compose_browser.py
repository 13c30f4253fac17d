"""Compose in Chromium: choose a lead, preview the exact message with its policy verdict, send it
to a real SMTP server (aiosmtpd on loopback, which the live server's SMTP_HOST points at)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backlink_outreach.config import API_PREFIX
from tests.outreach.mailserver import MailServer
from tests.support.servers import client_limits, start_server
from tests.web.browser.conftest import PHONE, LiveApp, app_env, migrate, screenshot, sign_in

USER = "user_compose"


@pytest.fixture(scope="module")
def smtp() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture(scope="module")
def mail_app(tmp_path_factory: pytest.TempPathFactory, smtp: MailServer) -> Iterator[LiveApp]:
    """A live server whose default mailbox sends to the test's SMTP server."""
    folder = tmp_path_factory.mktemp("compose-app")
    env = app_env(
        folder,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
        SMTP_SECURITY="none",
        SMTP_FROM_EMAIL="outreach@mail.sender.test",
        SMTP_FROM_NAME="Sam Sender",
        SENDER_POSTAL_ADDRESS="Sender Ltd, 1 Example Street, Berlin",
    )
    migrate(env)
    # No worker: nothing here is scheduled, and the machine is shared.
    server = start_server(env, folder / "server.log", worker=False, timeout=60)
    try:
        yield LiveApp(server, env, folder)
    finally:
        server.stop()


def _api(app: LiveApp) -> httpx.Client:
    """The live server's API as USER, with a token from `backlink-outreach dev-token`."""
    token = subprocess.run(
        [sys.executable, "-m", "backlink_outreach", "dev-token", "--user", USER],
        env={**os.environ, **app.env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(
        base_url=app.url + API_PREFIX, headers=headers, timeout=30, limits=client_limits()
    )


def _seed(app: LiveApp) -> dict[str, Any]:
    with _api(app) as api:
        campaign = api.post("/campaigns", json={"name": "Q4 guest posts", "keywords": ["compost"]})
        assert campaign.status_code == 201, campaign.text
        leads = api.post(
            f"/campaigns/{campaign.json()['id']}/leads/bulk",
            json=[
                {
                    "website_url": "https://green-thumb.example/",
                    "website_title": "Green Thumb",
                    "contact_email": "gil@green-thumb.example",
                    "contact_name": "Gil Green",
                },
                {
                    "website_url": "https://role.example/",
                    "website_title": "Role Site",
                    "contact_email": "postmaster@role.example",
                },
            ],
        )
        assert leads.json()["added"] == 2, leads.text
        result: dict[str, Any] = campaign.json()
        return result


async def test_preview_the_verdict_then_send(
    page: Page, mail_app: LiveApp, smtp: MailServer
) -> None:
    campaign = _seed(mail_app)
    await sign_in(page, mail_app, USER)
    await page.get_by_role("link", name="Compose").click()
    await page.get_by_label("Campaign", exact=True).select_option(campaign["id"])  # loads its leads
    to = page.get_by_label("To", exact=True)
    await expect(to).to_be_visible()

    # A role address: the verdict says it is blocked, and why.
    await to.select_option(label="Role Site — postmaster@role.example")
    await page.get_by_label("Subject").fill("A guest post for {website_title}")
    await page.get_by_label("Message").fill("Hi {first_name},\n\nI write about {topic}.")
    await page.get_by_role("button", name="Preview").click()
    verdict = page.locator("#preview .verdict")
    await expect(verdict).to_contain_text("Blocked by policy")
    await expect(verdict).to_contain_text("role address")

    await to.select_option(label="Green Thumb — gil@green-thumb.example")
    await page.get_by_role("button", name="Preview").click()
    await expect(verdict).to_contain_text("Policy allows this message")
    await expect(page.locator("#preview pre.message").first).to_contain_text(
        "Hi Gil,\n\nI write about compost."
    )
    await expect(page.locator("#preview")).to_contain_text("A guest post for Green Thumb")
    assert smtp.recorder.messages == []  # previewing sent nothing
    await screenshot(page, "compose-preview")
    await page.set_viewport_size(PHONE)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"compose scrolls sideways at {PHONE['width']} px: {width}"
    await screenshot(page, "compose-preview-phone")

    await page.get_by_role("button", name="Send now").click()
    await expect(page.get_by_role("status")).to_contain_text("Sent.")
    await expect(page.locator(".timeline")).to_contain_text(
        "Message (step 0): A guest post for Green Thumb"
    )
    await screenshot(page, "lead-after-send-phone")
    deadline = time.monotonic() + 10
    while not smtp.recorder.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    [received] = smtp.recorder.messages
    assert received.rcpt_tos == ["gil@green-thumb.example"]
    assert received.message["Subject"] == "A guest post for Green Thumb"
    assert "I write about compost." in received.text()
