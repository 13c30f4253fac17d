"""The analytics screen: workspace-wide and per campaign (`?campaign=`), charts with their
numbers in tables, empty charts in words, another workspace's campaign the 404 page."""

from __future__ import annotations

import re
from datetime import timedelta

from backlink_outreach.db import make_sessionmaker, utcnow
from tests.analytics import seed
from tests.support.database import Database
from tests.web.client import WebClient


def numbers(html: str, caption: str) -> dict[str, int]:
    """The table under a chart, as {label: number}."""
    start = html.index(f"<summary>{caption} as numbers</summary>")
    table = html[start : html.index("</table>", start)]
    rows = re.findall(r'<tr><td>([^<]+)</td><td class="num">(\d+)</td></tr>', table)
    return {label: int(value) for label, value in rows}


async def seed_workspace(db: Database) -> tuple[str, str]:
    now = utcnow()
    async with make_sessionmaker(db.engine).begin() as s:
        main = seed.campaign(s, "user_a", name="Main <b>push</b>")
        a = seed.lead(s, main, "replied")
        b = seed.lead(s, main, "placed")
        seed.lead(s, main, "discovered")
        sent_a = seed.attempt(s, a, sent_at=now)
        seed.attempt(s, b, sent_at=now - timedelta(days=2))
        seed.reply(s, a, "interested", sent_a)
        seed.reply(s, a, "out_of_office", sent_a)
        other = seed.campaign(s, "user_a", name="Other")
        c = seed.lead(s, other, "contacted")
        seed.attempt(s, c, sent_at=now)
        foreign = seed.campaign(s, "user_b", name="Foreign")
        f = seed.lead(s, foreign, "placed")
        seed.attempt(s, f, sent_at=now)
        seed.reply(s, f, "interested")
    return main.id, foreign.id


async def test_an_empty_workspace_has_empty_charts_that_say_so(web: WebClient) -> None:
    page = await web.get("/app/analytics")
    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') == 4
    assert page.text.count(">No data yet</text>") == 4
    assert "No campaigns yet, so nothing to count" in page.text


async def test_workspace_and_campaign_figures(db: Database, web: WebClient) -> None:
    main, foreign = await seed_workspace(db)
    everything = await web.get("/app/analytics?days=7")
    assert everything.status_code == 200
    assert numbers(everything.text, "The funnel") == {
        "Leads": 4,
        "Contacted": 3,
        "Replied": 1,
        "Interested": 1,
        "Placed": 1,
    }
    daily = numbers(everything.text, "Daily volume")
    assert len(daily) == 7 and sum(daily.values()) == 3 and list(daily.values())[-1] == 2
    kinds = numbers(everything.text, "Replies by kind")
    assert kinds["Interested"] == 1 and kinds["Out of office"] == 1 and len(kinds) == 10
    assert "<title" in everything.text and 'role="img"' in everything.text
    assert "Main &lt;b&gt;push&lt;/b&gt;" in everything.text and "<b>push" not in everything.text

    one = await web.get(f"/app/analytics?campaign={main}")
    assert one.status_code == 200
    assert numbers(one.text, "The funnel")["Leads"] == 3
    assert len(numbers(one.text, "Daily volume")) == 30
    assert f'<option value="{main}" selected>' in one.text
    assert "Links, campaign Main &lt;b&gt;push&lt;/b&gt;" in one.text


async def test_another_workspaces_campaign_and_bad_queries(db: Database, web: WebClient) -> None:
    _, foreign = await seed_workspace(db)
    assert (await web.get(f"/app/analytics?campaign={foreign}")).status_code == 404
    assert (await web.get("/app/analytics?campaign=cmp_nope")).status_code == 404
    for query in ("days=0", "days=366", "days=x"):
        response = await web.get(f"/app/analytics?{query}")
        assert response.status_code == 422, query
        assert "text/html" in response.headers["content-type"]
