"""A whole campaign in Chromium, as a user runs one: sign in, create it, import leads, write the
sequence, preview, enroll; the worker sends to a real SMTP server; a reply arrives over IMAP and
is corrected; a placement is verified on the fixture web; the charts show it all.

Every part is real: `backlink-outreach serve` with its worker in a child process, aiosmtpd,
pymap, the fixture web on loopback reached through the crawler's proxy, Debian's Chromium.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import pytest
from playwright.async_api import FilePayload, Page, expect

from tests.discovery.conftest import crawl_settings
from tests.discovery.fixture_server import FixtureWeb
from tests.outreach.conftest import mail_settings
from tests.outreach.mailserver import MailServer
from tests.placements.web import TARGET, article, link, site
from tests.placements.web import page as web_page
from tests.replies import support as imap
from tests.support.servers import start_server
from tests.web.browser.conftest import LiveApp, app_env, migrate, screenshot, sign_in

LEAD_HOST = "green-thumbs.example"
LEAD_EMAIL = f"editor@{LEAD_HOST}"
POST_URL = f"http://{LEAD_HOST}/guest/composting"


@dataclass
class World:
    app: LiveApp
    smtp: MailServer
    imap_port: int
    web: FixtureWeb


def _env(values: dict[str, Any]) -> dict[str, str]:
    return {key.upper(): str(value) for key, value in values.items()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("whole-campaign")
    fixture_web = FixtureWeb([]).start()
    fixture_web.sites[LEAD_HOST] = site(
        LEAD_HOST, **{"/guest/composting": web_page(article(link(TARGET)))}
    )
    with MailServer() as smtp, imap.pymap_server(folder) as imap_port:
        settings = {
            **mail_settings(smtp),
            **imap.imap_settings(imap_port),
            **crawl_settings(fixture_web),
            "send_jitter_seconds": 0,
            "poll_interval_seconds": 1,
            "worker_interval_seconds": 0.5,
        }
        env = app_env(folder, **_env(settings))
        env.pop("MAIL_OUTBOX_DIR")  # sends go to the SMTP server
        migrate(env)
        server = start_server(env, folder / "server.log", worker=True)
        try:
            yield World(LiveApp(server, env, folder), smtp, imap_port, fixture_web)
        finally:
            server.stop()
            fixture_web.stop()


async def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def _reload_until(page: Page, selector: str, text: str, timeout: float = 60.0) -> None:
    """The worker does its part in the background: reload as a user would, until it shows."""
    deadline = time.monotonic() + timeout
    while text not in (await page.locator(selector).inner_text()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared in {selector}")
        await asyncio.sleep(0.5)
        await page.reload()


def _their_reply(to_message_id: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Ann Lee <{LEAD_EMAIL}>"
    msg["To"] = imap.SENDER
    msg["Subject"] = "Re: " + subject
    msg["Message-ID"] = make_msgid(domain=LEAD_HOST)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["In-Reply-To"] = to_message_id
    msg["References"] = to_message_id
    msg.set_content("Sounds good, yes please send over a draft. Happy to publish it.\n\nAnn")
    return msg.as_bytes()


async def test_a_whole_campaign_from_the_browser(page: Page, world: World) -> None:
    app = world.app
    await sign_in(page, app, "user_agency")

    # Create the campaign; it sends every day of the week, all day, so the test runs any time.
    await page.get_by_role("link", name="Create your first campaign").click()
    await page.get_by_label("Name").fill("Compost guest posts")
    await page.get_by_label("Keywords").fill("composting")
    await page.get_by_role("button", name="Create campaign").click()
    campaign_url = page.url
    await page.goto(f"{campaign_url}/edit")
    for day in await page.locator('input[name="days"]').all():
        await day.check()
    await page.locator("#f-start").fill("00:00")
    await page.locator("#f-end").fill("23:59")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_role("alert")).to_have_count(0)

    # Import the lead from a CSV, through the mapping check.
    await page.goto(f"{campaign_url}/import")
    csv = f"Website,Contact,Email\nhttps://{LEAD_HOST}/,Ann Lee,{LEAD_EMAIL}\n"
    file: FilePayload = {"name": "leads.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    await page.get_by_label("CSV file").set_input_files(files=[file])
    await page.get_by_role("button", name="Upload and check").click()
    await expect(page.locator("#dry-run")).to_contain_text("1 lead added")
    await page.get_by_role("button", name=re.compile(r"^Import 1 leads?$")).click()
    await page.get_by_role("link", name="See the leads").click()
    await expect(page.locator("table.leads").get_by_role("link", name=LEAD_HOST)).to_be_visible()

    # Write the sequence and preview it for the lead.
    await page.get_by_role("link", name="Sequence", exact=True).click()
    await page.locator("#step-0-subject").fill("A composting guide for {website_title}?")
    await page.locator("#step-0-body").fill("Hi {first_name},\n\nMay I write a guest post?")
    await page.get_by_role("button", name="Save sequence").click()
    await page.get_by_label("Lead", exact=True).select_option(label=f"{LEAD_HOST} — {LEAD_EMAIL}")
    await page.get_by_role("button", name="Preview").click()
    await expect(page.locator("#preview")).to_contain_text("Hi Ann,")
    await expect(page.locator("#preview")).to_contain_text("policy: would send")
    await screenshot(page, "whole-sequence")

    # Enroll: the worker of the server sends step 0 to the real SMTP server.
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_role("button", name="Enroll every eligible lead").click()
    await expect(page.get_by_text("Enrolled 1 lead")).to_be_visible()
    await _wait_for(lambda: len(world.smtp.recorder.messages) == 1, "the first message")
    sent = world.smtp.recorder.messages[0]
    assert sent.rcpt_tos == [LEAD_EMAIL]
    assert "Hi Ann," in sent.text()

    # Their reply arrives over IMAP, is filed, and the user corrects its class.
    message = sent.message
    imap.append(world.imap_port, [_their_reply(message["Message-ID"], message["Subject"])])
    await page.goto(f"{app.url}/app/inbox")
    await _reload_until(page, "main", "Re: " + message["Subject"])
    await page.get_by_role("link", name="Re: " + message["Subject"]).click()
    await expect(page.locator("pre.message").first).to_contain_text("send over a draft")
    await page.get_by_label("Correct the class").select_option("question")
    await page.get_by_role("button", name="Correct").click()
    await expect(page.locator("#reply-class .badge")).to_have_text("question")
    await screenshot(page, "whole-reply")

    # The link goes live on their site: recorded on the lead page and verified there.
    await page.goto(campaign_url)
    await page.locator("table.leads").get_by_role("link", name=LEAD_HOST).click()
    await page.get_by_label("Published page").fill(POST_URL)
    await page.get_by_label("Our page it should link to").fill(TARGET)
    await page.get_by_role("button", name="Record and check").click()
    await page.goto(f"{app.url}/app/placements")
    await expect(page.locator("main")).to_contain_text(POST_URL)
    await expect(page.locator("main")).to_contain_text("live")
    await screenshot(page, "whole-placements")

    # The charts show it: one message sent, the reply under its corrected class, one live link.
    await page.goto(f"{app.url}/app/analytics")
    sent_kpi = page.locator(".kpi", has_text="Sent, last 30 days")
    await expect(sent_kpi.locator("strong")).to_have_text("1")
    for heading, row, count in (
        ("Replies by kind", "Question", "1"),
        ("Links", "Live", "1"),
        ("Daily volume", datetime.now(UTC).strftime("%Y-%m-%d"), "1"),
    ):
        card = page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))
        await expect(card.locator("svg.chart")).to_be_visible()
        numbers = await card.locator("table tr").evaluate_all(
            "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))"
        )
        assert [row, count] in numbers, (heading, numbers)
    await screenshot(page, "whole-analytics")
