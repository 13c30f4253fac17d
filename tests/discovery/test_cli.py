"""`backlink-outreach discover` as a user runs it: a child process on the configured database."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import select

from backlink_outreach.models import Lead
from tests.conftest import Api, create_campaign
from tests.discovery.fixture_server import FixtureWeb
from tests.support.database import Database


async def _cli(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backlink_outreach", "discover", *args,
        env={**os.environ, **env, "COLUMNS": "200"}, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_cli_discovers_prints_and_saves(
    api: Api, db: Database, web: FixtureWeb, tmp_path: Path
) -> None:
    campaign = await create_campaign(api, user="alice", keywords=["tofu"])
    env = {
        "DATABASE_URL": db.plain_url,
        "SEARXNG_URL": web.url,
        "DISCOVERY_HTTP_PROXY": web.url,
        "DISCOVERY_PAGE_TIMEOUT_SECONDS": "1.5",
    }
    code, out, err = await _cli(
        ["vegan recipes", "--campaign", campaign["id"], "--max", "3"], env, tmp_path
    )
    assert code == 0, err
    assert "prospect(s) via searxng" in out and "sites crawled" in err
    assert "saved 3 lead(s)" in err
    async with db.engine.connect() as conn:
        leads = (await conn.execute(select(Lead).where(Lead.campaign_id == campaign["id"]))).all()
    assert len(leads) == 3 and {lead.source for lead in leads} == {"discovery:searxng"}
    assert {lead.workspace_id for lead in leads} == {"alice"}
    assert all(lead.domain in out for lead in leads)

    # Acting as someone else: the campaign is not theirs.
    code, _out, err = await _cli(
        ["vegan recipes", "--campaign", campaign["id"], "--user", "mallory"], env, tmp_path
    )
    assert code == 2 and "not found" in err
    # No provider configured: a sentence, not a traceback.
    code, _out, err = await _cli(["vegan recipes"], {**env, "SEARXNG_URL": ""}, tmp_path)
    assert code == 2 and "No search provider is configured" in err
