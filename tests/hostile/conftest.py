"""The journal of hostile cases: each test records what it tried and what came back; the table
is printed at the end of the run and written to `hostile_table.md` in pytest's temp folder."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, create_campaign
from tests.discovery.fixture_server import FixtureWeb
from tests.hostile.support import JOURNAL
from tests.outreach.mailserver import free_port
from tests.support.database import Database

Record = Callable[[str, str, str], None]


@pytest.fixture
def record(db: Database) -> Record:
    def add(area: str, tried: str, came_back: str) -> None:
        JOURNAL.add(db.backend, area, tried, came_back)

    return add


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if not JOURNAL.rows:
        return
    table = JOURNAL.markdown()
    # pytest sets this private attribute (tmpdir plugin); hooks have no tmp_path_factory.
    base: Path = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    path = base / "hostile_table.md"
    path.write_text(table + "\n", encoding="utf-8")
    # The table is long: printed only when asked for (-v, or HOSTILE_TABLE=1), so that a
    # plain `make test` ends with pytest's own summary and a failure is easy to see.
    if config.get_verbosity() > 0 or os.environ.get("HOSTILE_TABLE") == "1":
        terminalreporter.write_sep("=", "hostile input: what was tried -> what came back")
        terminalreporter.write_line(table)
    terminalreporter.write_line(f"hostile input table: {path}")


SENDER = "outreach@sender.test"


@pytest.fixture(scope="session")
def search_web() -> Iterator[FixtureWeb]:
    """A real SearXNG-format endpoint on loopback that knows no sites: discovery runs its
    whole request path (validation, campaign lookup, search) and finds nothing to crawl."""
    server = FixtureWeb([]).start()
    yield server
    server.stop()


@pytest.fixture
async def hapi(
    make_api: Callable[..., Any], tmp_path: Path, search_web: FixtureWeb
) -> AsyncIterator[Api]:
    """The app with sending to an outbox folder (real .eml files, no SMTP server needed), a
    search provider, and an IMAP server that cannot be reached (polls get as far as the
    campaign lookup, then 503)."""
    async with make_api(
        mail_outbox_dir=tmp_path / "outbox",
        smtp_from_email=SENDER,
        smtp_from_name="Sam Sender",
        unsubscribe_secret="hostile-test-secret",
        searxng_url=search_web.url,
        imap_host="127.0.0.1",
        imap_port=free_port(),
        imap_username="u",
        imap_password="p",
        imap_security="none",
    ) as api:
        yield api


@dataclass
class World:
    """Rows of two workspaces that every hostile request must leave untouched."""

    campaign: dict[str, Any]
    lead: dict[str, Any]
    template: dict[str, Any]
    other_campaign: dict[str, Any]


@pytest.fixture
async def world(hapi: Api) -> World:
    campaign = await create_campaign(hapi, keywords=["gardening"])
    lead = await hapi.post(
        f"/campaigns/{campaign['id']}/leads",
        json={"website_url": "https://garden.test/", "contact_email": "editor@garden.test"},
    )
    template = await hapi.post(
        "/emails/templates", json={"name": "Pitch", "subject": "Hi {name}", "body": "Hello"}
    )
    assert (await hapi.post("/suppression", json={"email": "no@garden.test"})).status_code == 201
    other = await create_campaign(hapi, user="user_b", name="Other workspace")
    other_lead = await hapi.post(
        f"/campaigns/{other['id']}/leads", user="user_b", json={"website_url": "https://b.test/"}
    )
    assert [lead.status_code, template.status_code, other_lead.status_code] == [201] * 3
    return World(campaign, lead.json(), template.json(), other)
