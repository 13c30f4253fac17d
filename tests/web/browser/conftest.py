"""Browser tests: Playwright for Python driving Debian's Chromium against a real server.

The server is `backlink-outreach serve` in a child process (dev auth, SQLite in a temporary
folder, its worker on), so a page sees exactly what a user of `make run` sees. Chromium is the
system's (`/usr/bin/chromium`, installed by `.ci/run`); `playwright install` is never used.
Without Chromium these tests skip, saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    async_playwright,
)

from tests.support.servers import ServerProcess, start_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# As the machine notes say: without these, Chromium tries the closed network at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
_SHOTS = os.environ.get("WEB_SCREENSHOTS")
SCREENSHOTS = Path(_SHOTS) if _SHOTS else None


def _chromium() -> str:
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    found = shutil.which("chromium")
    if found is None:
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return found


@dataclass
class LiveApp:
    server: ServerProcess
    env: dict[str, str]
    folder: Path

    @property
    def url(self) -> str:
        return self.server.base_url


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "backlink_outreach", "migrate"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )


def app_env(folder: Path, **extra: str) -> dict[str, str]:
    return {
        "AUTH_MODE": "dev",
        "DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
        "DATA_DIR": str(folder / "data"),
        "MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """One server for the browser tests that need nothing special (each test signs in as its
    own user, so its workspace starts empty); starting one costs seconds."""
    folder = tmp_path_factory.mktemp("live-app")
    env = app_env(folder)
    migrate(env)
    server = start_server(env, folder / "server.log", worker=True)
    try:
        yield LiveApp(server, env, folder)
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = _chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    made = await browser.new_context(viewport=DESKTOP)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    """A page that fails the test on any script error or CSP violation it reports. (A 4xx
    answer, which Chromium also logs as an error, is what some tests ask for; they check it.)"""
    opened = await context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console {message.type}: {message.text}")

    opened.on("console", on_console)
    yield opened
    assert problems == [], problems


async def sign_in(page: Page, app: LiveApp, user: str = "user_web") -> None:
    await page.goto(f"{app.url}/app")
    await page.get_by_label("User id").fill(user)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/app/campaigns")


async def screenshot(page: Page, name: str) -> None:
    """Saved when WEB_SCREENSHOTS names a folder, for a person to look at."""
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
