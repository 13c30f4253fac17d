"""The inbox in Chromium: open a reply, read it whole, correct its class and see it change."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Page, expect

from backlink_outreach.config import normalize_database_url
from backlink_outreach.db import create_engine, make_sessionmaker, utcnow
from tests.web.browser.conftest import PHONE, LiveApp, screenshot, sign_in
from tests.web.mail_seed import add_sent, placement_row, reply_row

USER = "user_inbox"


async def _seed(app: LiveApp) -> tuple[str, str]:
    """Into the live server's own database: two replies of USER's workspace."""
    engine = create_engine(normalize_database_url(app.env["DATABASE_URL"]))
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            sent = await add_sent(session, "ann@green-thumb.test", workspace=USER)
            older = reply_row(
                sent,
                subject="Re: Guest post idea",
                text="Out of office until Monday.",
                classification="out_of_office",
                confidence=0.88,
                received_at=utcnow() - timedelta(hours=5),
            )
            newer = reply_row(
                sent,
                subject="Re: Guest post idea <b>now</b>",
                text="We are not taking guest posts this year, sorry.",
                classification="interested",
                confidence=0.55,
                received_at=utcnow() - timedelta(hours=1),
            )
            session.add_all([older, newer, placement_row(sent, nofollow=True)])
        return newer.id, f"/app/campaigns/{sent.campaign.id}/leads/{sent.lead.id}"
    finally:
        await engine.dispose()


async def test_open_a_reply_and_correct_its_class(page: Page, live_app: LiveApp) -> None:
    reply_id, lead_url = await _seed(live_app)
    await sign_in(page, live_app, USER)
    await page.get_by_role("link", name="Inbox").click()
    rows = page.locator("table.inbox tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text("interested")
    await expect(rows.first).to_contain_text("55%")
    await screenshot(page, "inbox-list")

    await page.get_by_label("Class").select_option("out_of_office")  # filters at once
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Out of office")
    await page.get_by_role("link", name="Clear filters").click()
    await expect(rows).to_have_count(2)

    await page.get_by_role("link", name="Re: Guest post idea <b>now</b>").click()
    await expect(page).to_have_url(f"{live_app.url}/app/inbox/{reply_id}")
    await expect(page.locator("pre.message").first).to_have_text(
        "We are not taking guest posts this year, sorry."
    )
    await expect(page.locator("#reply-class")).to_contain_text("interested")
    await page.get_by_label("Correct the class").select_option("not_interested")
    await page.get_by_role("button", name="Correct").click()
    await expect(page.get_by_role("status")).to_contain_text("The class is corrected")
    await expect(page.locator("#reply-class .badge")).to_have_text("not interested")
    await expect(page.get_by_text("interested → not interested by user_inbox")).to_be_visible()
    await screenshot(page, "inbox-reply")

    # The list shows the new class too, and the whole page fits a phone.
    await page.set_viewport_size(PHONE)
    await page.goto(f"{live_app.url}/app/inbox")
    await expect(rows.first).to_contain_text("not interested")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the inbox scrolls sideways at {PHONE['width']} px: {width}"
    await screenshot(page, "inbox-list-phone")
    await page.goto(f"{live_app.url}/app/inbox/{reply_id}")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"a reply scrolls sideways at {PHONE['width']} px: {width}"
    await screenshot(page, "inbox-reply-phone")


async def _fits(page: Page, url: str, name: str) -> None:
    await page.goto(url)
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"], f"{url} scrolls sideways at {viewport['width']} px: {width}"
    await screenshot(page, name)


async def test_the_lead_and_placements_pages_fit_both_widths(page: Page, live_app: LiveApp) -> None:
    """The reply's lead (one timeline of message, replies, checks) and the placements list."""
    _reply_id, lead_url = await _seed(live_app)
    await sign_in(page, live_app, USER)
    await _fits(page, live_app.url + lead_url, "lead")
    # Its message, its two replies and its two link checks.
    await expect(page.locator(".timeline li")).to_have_count(5)
    await _fits(page, f"{live_app.url}/app/placements", "placements")
    await expect(page.locator("article.placement")).to_have_count(2)  # one per seeded lead
    await page.set_viewport_size(PHONE)
    await _fits(page, live_app.url + lead_url, "lead-phone")
    await _fits(page, f"{live_app.url}/app/placements?status=nofollow", "placements-phone")
