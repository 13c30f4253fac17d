"""Signing in through the dev login, and the first screen a new user sees."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.web.browser.conftest import PHONE, LiveApp, screenshot, sign_in


async def test_a_new_user_signs_in_and_creates_a_campaign(page: Page, live_app: LiveApp) -> None:
    await page.goto(f"{live_app.url}/")
    await expect(page).to_have_url(f"{live_app.url}/app/dev-login?next=/app/campaigns")
    await screenshot(page, "sign-in")
    await sign_in(page, live_app, "user_first")
    await expect(page.get_by_text("No campaigns yet")).to_be_visible()
    await screenshot(page, "campaigns-empty")
    await page.get_by_role("link", name="Create your first campaign").click()
    await page.get_by_label("Name").fill("   ")  # the browser lets blanks through; we do not
    await page.get_by_role("button", name="Create campaign").click()
    await expect(page.locator("#f-name-error")).to_be_visible()
    await page.get_by_label("Name").fill("<script>alert(1)</script> Q4 guest posts")
    await page.get_by_role("button", name="Create campaign").click()
    await page.goto(f"{live_app.url}/app/campaigns")
    made = page.get_by_role("link", name="<script>alert(1)</script> Q4 guest posts", exact=True)
    await expect(made).to_be_visible()


async def test_the_navigation_fits_a_phone(page: Page, live_app: LiveApp) -> None:
    await page.set_viewport_size(PHONE)
    await sign_in(page, live_app, "user_phone")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at {PHONE['width']} px: {width}"
    await screenshot(page, "campaigns-phone")


async def test_the_keyboard_reaches_the_main_action(page: Page, live_app: LiveApp) -> None:
    await sign_in(page, live_app, "user_keys")
    for _ in range(30):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.textContent.trim()")
        if focused == "Create your first campaign":
            break
    else:
        raise AssertionError("Tab never reached the empty state's action")
