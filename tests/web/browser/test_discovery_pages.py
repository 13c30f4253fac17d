"""Discovery in Chromium against the loopback fixture web: a keyword becomes a job, the
progress polls to done without a reload, the crawled `<script>` name shows as text, and
picked sites are saved to a campaign."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Page, expect

from tests.discovery.fixture_server import FixtureWeb
from tests.support.servers import start_server
from tests.web.browser.conftest import PHONE, LiveApp, app_env, migrate, screenshot, sign_in
from tests.web.test_discovery_pages import HOSTILE_NAME, hostile_sites


@pytest.fixture(scope="module")
def fixture_web() -> Iterator[FixtureWeb]:
    server = FixtureWeb(hostile_sites()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live_app(
    tmp_path_factory: pytest.TempPathFactory, fixture_web: FixtureWeb
) -> Iterator[LiveApp]:
    """The app with its worker, searching and crawling the fixture web (by name, through it
    as the proxy), the worker passing often so a job starts at once."""
    folder = tmp_path_factory.mktemp("live-discovery")
    env = app_env(
        folder,
        SEARXNG_URL=fixture_web.url,
        DISCOVERY_HTTP_PROXY=fixture_web.url,
        DISCOVERY_PAGE_TIMEOUT_SECONDS="4",
        DISCOVERY_READ_TIMEOUT_SECONDS="3",
        WORKER_INTERVAL_SECONDS="0.5",
    )
    migrate(env)
    server = start_server(env, folder / "server.log", worker=True)
    try:
        yield LiveApp(server, env, folder)
    finally:
        server.stop()


async def test_discovery_runs_to_done_and_picked_sites_are_saved(
    page: Page, live_app: LiveApp
) -> None:
    await sign_in(page, live_app, "user_finder")
    await page.get_by_role("link", name="Create your first campaign").click()
    await page.get_by_label("Name").fill("Vegan pitches")
    await page.get_by_role("button", name="Create campaign").click()

    await page.goto(f"{live_app.url}/app/discovery")
    await page.get_by_label("Keyword").fill("vegan recipes")
    await page.get_by_label("Campaign", exact=True).select_option(label="Vegan pitches")
    await page.get_by_role("button", name="Start discovery").click()
    await expect(page.get_by_role("heading", name="Discovery: vegan recipes")).to_be_visible()
    url = page.url
    await screenshot(page, "discovery-progress")

    # The progress element polls its fragment; the page itself is never reloaded.
    marker = await page.evaluate("window.__not_reloaded = true")
    assert marker is True
    await expect(page.get_by_text("Done:")).to_be_visible(timeout=60_000)
    assert await page.evaluate("window.__not_reloaded === true")
    assert page.url == url
    # The site's own name is shown as the text it is: no script ran, none was inserted.
    await expect(page.get_by_text(HOSTILE_NAME)).to_be_visible()
    assert await page.locator("#job script").count() == 0
    await screenshot(page, "discovery-results")

    await page.get_by_label("Pick every site").check()
    await page.get_by_role("button", name="Save picked sites").click()
    await expect(page.get_by_role("status")).to_contain_text("saved to the campaign")
    await page.set_viewport_size(PHONE)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at {PHONE['width']} px: {width}"
    await screenshot(page, "discovery-results-phone")
