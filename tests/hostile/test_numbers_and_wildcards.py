"""Numbers out of range (`days` of analytics: 1..365, `max_results` of discovery: 1..100),
including values beyond 64 bits, floats, strings and non-ASCII digits; and `%` / `_` that must
never act as wildcards (no lookup is a LIKE)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.hostile.conftest import SENDER, Record, World
from tests.hostile.support import diff, error_shape, snapshot
from tests.support.database import Database

HUGE = 2**64 + 1
# (value as sent, the days it means or None when refused). The query string is text, read
# in pydantic's lax mode: "007", " 7", "+5", "1_0" and "30.0" are integers.
DAYS: list[tuple[str, int | None]] = [
    ("0", None),
    ("-1", None),
    ("366", None),
    (str(2**63), None),
    (str(HUGE), None),
    ("-" + str(HUGE), None),
    ("1e3", None),
    ("1.5", None),
    ("NaN", None),
    ("inf", None),
    ("abc", None),
    ("0x10", None),
    ("٣", None),
    ("1", 1),
    ("365", 365),
    ("007", 7),
    (" 7", 7),
    ("+5", 5),
    ("1_0", 10),
    ("30.0", 30),
    ("", None),
]
# JSON values: numbers, strings, booleans, null.
MAX_RESULTS: list[tuple[Any, bool]] = [
    (0, False),
    (-1, False),
    (101, False),
    (2**63, False),
    (HUGE, False),
    (-HUGE, False),
    (1e300, False),
    (1.5, False),
    ("abc", False),
    ("1e2", False),
    (None, False),
    ([5], False),
    (1, True),
    (100, True),
    (5.0, True),
    # Not JSON Schema integers: the OpenAPI document says `integer` (issue 12, item 8).
    ("7", False),
    (True, False),
]


async def test_days_of_analytics(db: Database, hapi: Api, world: World, record: Record) -> None:
    path = f"/campaigns/{world.campaign['id']}/analytics"
    accepted, refused = [], []
    for value, days in DAYS:
        before = await snapshot(db)
        response = await hapi.get(path, params={"days": value})
        assert diff(before, await snapshot(db)).empty
        if days is not None:
            assert response.status_code == 200, (value, response.text)
            assert len(response.json()["daily_send_volume"]) == days
            accepted.append(f"{value!r}")
        else:
            said = error_shape(response)
            assert response.status_code == 422 and "days" in said, (value, said)
            refused.append(
                repr(value) if len(value) < 12 else f"{value[:4]}...({len(value)} digits)"
            )
    record(
        "numbers",
        "analytics ?days= (21 values: out of range, beyond 64 bits, floats, text)",
        f"422 query.days for {', '.join(refused)}; 200 for {', '.join(accepted)}",
    )


async def test_max_results_of_discovery(
    db: Database, hapi: Api, world: World, record: Record
) -> None:
    accepted, refused = [], []
    for value, ok in MAX_RESULTS:
        before = await snapshot(db)
        response = await hapi.post(
            "/discover/deep", json={"keyword": "garden blog", "max_results": value}
        )
        assert diff(before, await snapshot(db)).empty
        shown = repr(value) if not isinstance(value, int) or abs(value) < 10**6 else "2^64+1"
        if isinstance(value, int) and abs(value) >= 10**6:
            shown = "2^63" if abs(value) == 2**63 else ("-" if value < 0 else "") + "2^64+1"
        if ok:
            # The search provider (an empty fixture SearXNG) answers: nothing found, no error.
            assert response.status_code == 200, (value, response.text)
            assert response.json()["results"] == []
            accepted.append(shown)
        else:
            said = error_shape(response)
            assert response.status_code == 422 and "max_results" in said, (value, said)
            refused.append(shown)
    record(
        "numbers",
        "discover max_results = " + ", ".join(refused + accepted),
        f"422 body.max_results for {', '.join(refused)}; 200 for {', '.join(accepted)}",
    )


@pytest.mark.parametrize("wildcard", ["%", "_"])
async def test_percent_and_underscore_are_never_wildcards(
    db: Database, hapi: Api, world: World, record: Record, wildcard: str
) -> None:
    # Suppressing `%@like.test` (a valid address) must not suppress anyone else there.
    entry = await hapi.post("/suppression", json={"email": f"{wildcard}@like.test"})
    assert entry.status_code == 201
    wild_domain = await hapi.post("/suppression", json={"email": f"*@a{wildcard}b.test"})
    assert wild_domain.status_code in (201, 422), wild_domain.text

    async def reason(address: str) -> str | None:
        body = {"recipient_email": address, "sender_email": SENDER}
        response = await hapi.post("/policy/validate", json=body)
        assert response.status_code == 200, response.text
        result: str | None = response.json()["reason"]
        return result

    assert await reason(f"{wildcard}@like.test") == "suppressed"
    assert await reason("bob@like.test") != "suppressed"
    assert await reason("x@axb.test") != "suppressed"
    # One lead per domain: `a_b.test` is not a pattern that covers `axb.test`.
    leads = f"/campaigns/{world.campaign['id']}/leads"
    first = await hapi.post(leads, json={"website_url": f"https://a{wildcard}b.test/"})
    second = await hapi.post(leads, json={"website_url": "https://axb.test/"})
    assert second.status_code == 201, second.text
    # An id of `%` or `cmp%` names no campaign, and a bulk status change for `%` changes none.
    before = await snapshot(db)
    for campaign_id in (wildcard, "cmp" + wildcard, world.campaign["id"][:-1] + wildcard):
        assert (await hapi.get(f"/campaigns/{campaign_id.replace('%', '%25')}")).status_code == 404
    update = await hapi.patch(
        f"{leads}/bulk-status", json={"lead_ids": [wildcard, "lead" + wildcard], "status": "lost"}
    )
    assert update.json() == {"updated": 0, "failed": [wildcard, "lead" + wildcard]}
    assert diff(before, await snapshot(db)).empty
    record(
        "wildcards",
        f"suppress '{wildcard}@like.test'; policy for bob@like.test; leads a{wildcard}b.test + "
        f"axb.test; GET /campaigns/{wildcard}; bulk-status lead_ids ['{wildcard}']",
        f"bob not suppressed; lead a{wildcard}b.test {first.status_code}, axb.test 201 (no "
        f"409); 404; updated 0; no row changed",
    )
