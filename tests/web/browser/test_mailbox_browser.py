"""Mailboxes in Chromium: add one, see its health, edit its settings, at desktop and phone
widths, by label (what a keyboard or screen-reader user reaches)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.web.browser.conftest import PHONE, LiveApp, screenshot, sign_in


async def no_sideways_scroll(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at {PHONE['width']} px: {width}"


async def test_add_and_edit_a_mailbox(page: Page, live_app: LiveApp) -> None:
    await sign_in(page, live_app, "user_mailboxes")
    await page.get_by_role("link", name="Mailboxes").click()
    await page.get_by_role("link", name="Add a mailbox").first.click()
    await page.get_by_label("From address").fill("outreach@agency.test")
    await page.get_by_label("From name").fill("Jane at Agency")
    await page.get_by_label("SMTP server").fill("127.0.0.1")
    await page.get_by_label("Daily cap").fill("5000")
    await page.get_by_role("button", name="Add mailbox").click()
    # Over the cap's range (1 to 2000): the browser holds the form back and says why.
    await expect(page.get_by_role("heading", name="Add a mailbox")).to_be_visible()
    message = await page.get_by_label("Daily cap").evaluate("e => e.validationMessage")
    assert message, "the daily cap field lets 5000 through"
    await page.get_by_label("Daily cap").fill("30")
    await page.get_by_role("button", name="Add mailbox").click()
    await expect(page.get_by_role("heading", name="outreach@agency.test")).to_be_visible()
    await screenshot(page, "mailbox-detail")

    await page.get_by_role("link", name="Edit settings").click()
    await expect(page.get_by_label("Daily cap")).to_have_value("30")
    await page.get_by_label("Daily cap").fill("12")
    await page.get_by_label("Name in this app").fill("Agency outreach")
    await screenshot(page, "mailbox-edit")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_role("heading", name="Agency outreach")).to_be_visible()
    await expect(page.locator(".kpi", has_text="Daily cap")).to_contain_text("12")

    await page.set_viewport_size(PHONE)
    await page.goto(f"{live_app.url}/app/mailboxes")
    await expect(page.get_by_role("link", name="Agency outreach")).to_be_visible()
    await no_sideways_scroll(page)
    await screenshot(page, "mailboxes-phone")
    await page.get_by_role("link", name="Agency outreach").click()
    await page.get_by_role("link", name="Edit settings").click()
    await no_sideways_scroll(page)
    await screenshot(page, "mailbox-edit-phone")
