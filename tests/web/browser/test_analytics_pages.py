"""Analytics in Chromium: the charts render as SVG (no script error, no CSP violation) at
desktop and phone widths, and the page does not scroll sideways on a phone."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import create_async_engine

from backlink_outreach.db import make_sessionmaker, utcnow
from tests.analytics import seed
from tests.web.browser.conftest import PHONE, LiveApp, screenshot, sign_in

USER = "user_charts"


async def seed_numbers(app: LiveApp) -> None:
    """Rows straight into the server's database: a campaign with sends over a week and
    replies of a few kinds."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{app.folder / 'app.db'}")
    now = utcnow()
    try:
        async with make_sessionmaker(engine).begin() as s:
            campaign = seed.campaign(s, USER, name="Autumn guest posts")
            for n in range(12):
                status = ("contacted", "replied", "placed", "discovered")[n % 4]
                lead = seed.lead(s, campaign, status)
                if status != "discovered":
                    sent = seed.attempt(s, lead, sent_at=now - timedelta(days=n % 6))
                    if status == "replied":
                        seed.reply(s, lead, "interested" if n % 3 else "question", sent)
                    if status == "contacted" and n % 2:
                        seed.reply(s, lead, "out_of_office", sent)
    finally:
        await engine.dispose()


async def test_the_charts_render_as_svg_at_both_widths(page: Page, live_app: LiveApp) -> None:
    await seed_numbers(live_app)
    await sign_in(page, live_app, USER)
    await page.get_by_role("link", name="Analytics").click()
    await expect(page.get_by_role("heading", name="Analytics")).to_be_visible()
    charts = page.locator("svg.chart")
    await expect(charts).to_have_count(4)
    volume = page.get_by_role("img", name="Messages sent per day, last 30 days, all campaigns")
    await expect(volume).to_be_visible()
    box = await volume.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 60
    assert await page.locator("svg.chart rect.chart-bar").count() > 6
    await page.get_by_text("The funnel as numbers").click()
    await expect(page.get_by_role("cell", name="Contacted")).to_be_visible()
    await screenshot(page, "analytics-desktop")

    # One campaign, through the picker (it submits itself on change).
    await page.get_by_label("Campaign", exact=True).select_option(label="Autumn guest posts")
    await expect(page.get_by_role("heading", name="Analytics: Autumn guest posts")).to_be_visible()
    await expect(page.locator("svg.chart")).to_have_count(4)

    await page.set_viewport_size(PHONE)
    await page.reload()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at {PHONE['width']} px: {width}"
    await screenshot(page, "analytics-phone")


async def test_an_empty_workspace_says_no_data_yet(page: Page, live_app: LiveApp) -> None:
    await sign_in(page, live_app, "user_empty_charts")
    await page.goto(f"{live_app.url}/app/analytics")
    await expect(page.locator("svg.chart text.chart-empty")).to_have_count(4)
    funnel = page.get_by_role("img", name="From lead to placed link, all campaigns")
    await expect(funnel).to_be_visible()
    assert await funnel.get_attribute("aria-describedby")
    await screenshot(page, "analytics-empty")
