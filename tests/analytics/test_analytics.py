"""Campaign analytics and the workspace snapshot against a dataset whose every figure was
computed by hand (see the comments beside each row)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from backlink_outreach.db import make_sessionmaker
from tests.analytics import seed
from tests.conftest import Api
from tests.support.database import Database

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
ZERO_RATES = {
    "reply_rate": 0.0,
    "positive_reply_rate": 0.0,
    "placement_rate": 0.0,
    "bounce_rate": 0.0,
}
ALL_CLASSES = (
    "interested",
    "not_interested",
    "question",
    "out_of_office",
    "auto_reply",
    "unsubscribe",
    "bounce",
    "wrong_person",
    "payment_request",
    "other",
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def frozen() -> Any:
    # tick=True: asyncio and the database drivers keep working; only the calendar moves.
    with time_machine.travel(NOW, tick=True):
        yield


async def seed_main(db: Database, workspace: str = "user_a") -> str:
    """Eight leads of one campaign, plus a second campaign in the same workspace and one in
    another workspace whose rows must never leak into the first campaign's figures."""
    async with make_sessionmaker(db.engine).begin() as s:
        c = seed.campaign(s, workspace, id="cmp_main")
        l1 = seed.lead(s, c, "contacted")
        l2 = seed.lead(s, c, "replied")
        l3 = seed.lead(s, c, "placed")
        l4 = seed.lead(s, c, "bounced")
        l5 = seed.lead(s, c, "discovered")
        l6 = seed.lead(s, c, "lost")
        l7 = seed.lead(s, c, "replied")
        l8 = seed.lead(s, c, "placed")  # placed but never sent to: not a contacted lead
        # Sent attempts (7): A1 A2 A3 A4 A5 A9 A10.
        seed.attempt(s, l1, sent_at=at("2025-03-09 23:59:59"))  # A1: day 03-09
        a2 = seed.attempt(s, l2, sent_at=at("2025-03-10 00:00:00"))  # A2: day 03-10
        a3 = seed.attempt(s, l2, sent_at=at("2025-03-10 08:00:00"), kind="follow_up", step=1)
        seed.attempt(s, l3, sent_at=at("2025-03-01 10:00:00"))  # A4
        a5 = seed.attempt(s, l4, sent_at=at("2025-03-08 09:00:00"))  # A5: hard-bounced twice
        # A6: refused permanently (counts in bounce numerator and denominator).
        seed.attempt(s, l6, status="failed", permanent_failure=True, smtp_code=550)
        seed.attempt(s, l6, status="failed", error="timeout")  # A7: temporary: ignored
        seed.attempt(s, l5, status="sending")  # A8: never finished: ignored
        a9 = seed.attempt(s, l7, sent_at=at("2025-01-01 10:00:00"))  # A9: outside 30 days
        a10 = seed.attempt(s, l4, sent_at=at("2025-03-09 12:00:00"))  # A10: soft bounce only
        seed.reply(s, l2, "interested", a2)
        seed.reply(s, l2, "question", a3)
        seed.reply(s, l7, "out_of_office", a9)
        seed.reply(s, l4, "bounce", a5, bounce_type="hard", bounce_status="5.1.1")
        seed.reply(s, l4, "bounce", a5, bounce_type="hard", bounce_status="5.1.1")
        seed.reply(s, l4, "bounce", a10, bounce_type="soft", bounce_status="4.2.2")
        seed.reply(s, l1, "auto_reply")
        seed.reply(s, l8, "interested")  # l8 was never contacted: no effect on rates
        seed.reply(s, l3, "not_interested")

        # Same workspace, other campaign: one contacted lead, placed, with a hard DSN.
        other = seed.campaign(s, workspace, id="cmp_other")
        m1 = seed.lead(s, other, "placed")
        b1 = seed.attempt(s, m1, sent_at=at("2025-03-10 09:00:00"))
        seed.reply(s, m1, "bounce", b1, bounce_type="hard")
        # Someone else's workspace.
        foreign = seed.campaign(s, "user_b", id="cmp_foreign")
        f1 = seed.lead(s, foreign, "placed")
        fa = seed.attempt(s, f1, sent_at=at("2025-03-10 09:00:00"))
        seed.reply(s, f1, "interested", fa)
    return c.id


async def test_campaign_analytics_by_hand(db: Database, api: Api, frozen: Any) -> None:
    campaign_id = await seed_main(db)
    response = await api.get(f"/campaigns/{campaign_id}/analytics?days=4")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["campaign_id"] == campaign_id
    assert body["days"] == 4
    assert body["leads_by_status"] == {
        "discovered": 1,
        "contacted": 1,
        "replied": 2,
        "placed": 2,
        "bounced": 1,
        "lost": 1,
    }
    expected_replies = dict.fromkeys(ALL_CLASSES, 0) | {
        "interested": 2,
        "question": 1,
        "out_of_office": 1,
        "bounce": 3,
        "auto_reply": 1,
        "not_interested": 1,
    }
    assert body["replies_by_classification"] == expected_replies
    # Contacted: l1 l2 l3 l4 l7 = 5. Human replies: l2, l3 -> 2/5. Interested: l2 -> 1/5.
    # Placed and contacted: l3 -> 1/5. Bounces: A5 (two DSNs, once) + A6 = 2 of 7 sent + 1 = 8.
    assert body["rates"] == {
        "reply_rate": 0.4,
        "positive_reply_rate": 0.2,
        "placement_rate": 0.2,
        "bounce_rate": 0.25,
    }
    # 23:59:59 on the 9th and 00:00:00 on the 10th fall on their own UTC days.
    assert body["daily_send_volume"] == [
        {"date": "2025-03-07", "count": 0},
        {"date": "2025-03-08", "count": 1},
        {"date": "2025-03-09", "count": 2},
        {"date": "2025-03-10", "count": 2},
    ]


async def test_default_window_is_thirty_days_with_zeros(
    db: Database, api: Api, frozen: Any
) -> None:
    campaign_id = await seed_main(db)
    volume = (await api.get(f"/campaigns/{campaign_id}/analytics")).json()["daily_send_volume"]
    assert len(volume) == 30
    assert volume[0]["date"] == "2025-02-09" and volume[-1]["date"] == "2025-03-10"
    nonzero = {d["date"]: d["count"] for d in volume if d["count"]}
    assert nonzero == {"2025-03-01": 1, "2025-03-08": 1, "2025-03-09": 2, "2025-03-10": 2}

    one = (await api.get(f"/campaigns/{campaign_id}/analytics?days=1")).json()
    assert one["daily_send_volume"] == [{"date": "2025-03-10", "count": 2}]
    year = (await api.get(f"/campaigns/{campaign_id}/analytics?days=365")).json()
    assert len(year["daily_send_volume"]) == 365
    assert year["daily_send_volume"][0]["date"] == "2024-03-11"
    assert sum(d["count"] for d in year["daily_send_volume"]) == 7


async def test_send_at_midnight_is_today(db: Database, api: Api) -> None:
    """At exactly 00:00:00 UTC a send of that instant is today's and 23:59:59 is yesterday's."""
    async with make_sessionmaker(db.engine).begin() as s:
        c = seed.campaign(s, "user_a")
        lead = seed.lead(s, c, "contacted")
        seed.attempt(s, lead, sent_at=at("2025-03-09 23:59:59"))
        seed.attempt(s, lead, sent_at=at("2025-03-10 00:00:00"))
        seed.attempt(s, lead, sent_at=at("2025-03-10 00:00:01"))  # the future: not counted yet
    with time_machine.travel(at("2025-03-10 00:00:00"), tick=False):
        response = await api.get(f"/campaigns/{c.id}/analytics?days=2")
    assert response.json()["daily_send_volume"] == [
        {"date": "2025-03-09", "count": 1},
        {"date": "2025-03-10", "count": 2},
    ]


@pytest.mark.parametrize("days", ["0", "366", "-1", "abc", "1.5"])
async def test_days_out_of_range_is_422(db: Database, api: Api, days: str) -> None:
    async with make_sessionmaker(db.engine).begin() as s:
        c = seed.campaign(s, "user_a")
    response = await api.get(f"/campaigns/{c.id}/analytics?days={days}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "days"]


async def test_zero_denominators(db: Database, api: Api, frozen: Any) -> None:
    """Numerators exist (a placed lead, an interested reply, a hard DSN, a temporary failure),
    but nothing was sent or permanently refused: every rate is 0.0, not a division error."""
    async with make_sessionmaker(db.engine).begin() as s:
        empty = seed.campaign(s, "user_a")
        c = seed.campaign(s, "user_a")
        placed = seed.lead(s, c, "placed")
        failed = seed.attempt(s, placed, status="failed", error="timeout")
        seed.attempt(s, placed, status="sending")
        seed.reply(s, placed, "interested")
        seed.reply(s, placed, "bounce", failed, bounce_type="hard")
    for campaign_id in (empty.id, c.id):
        body = (await api.get(f"/campaigns/{campaign_id}/analytics?days=2")).json()
        assert body["rates"] == ZERO_RATES
        assert body["daily_send_volume"] == [
            {"date": "2025-03-09", "count": 0},
            {"date": "2025-03-10", "count": 0},
        ]
    empty_body = (await api.get(f"/campaigns/{empty.id}/analytics")).json()
    assert empty_body["leads_by_status"] == dict.fromkeys(
        ("discovered", "contacted", "replied", "placed", "bounced", "lost"), 0
    )
    assert empty_body["replies_by_classification"] == dict.fromkeys(ALL_CLASSES, 0)


async def test_bounce_rate_with_only_refusals(db: Database, api: Api) -> None:
    """The bounce denominator counts permanent refusals although they were never sent, while
    the lead rates (denominator: contacted leads = 0) stay 0.0."""
    async with make_sessionmaker(db.engine).begin() as s:
        c = seed.campaign(s, "user_a")
        lead = seed.lead(s, c, "bounced")
        seed.attempt(s, lead, status="failed", permanent_failure=True)
    body = (await api.get(f"/campaigns/{c.id}/analytics")).json()
    assert body["rates"] == ZERO_RATES | {"bounce_rate": 1.0}


async def test_snapshot_totals_current_workspace(db: Database, api: Api, frozen: Any) -> None:
    await seed_main(db)
    body = (await api.get("/reporting/snapshot")).json()
    # Main campaign plus cmp_other (one more contacted, placed, hard-bounced lead).
    assert body == {
        "campaigns": 2,
        "leads": 9,
        "sent": 8,
        "replies": 10,
        "placed": 3,
        # Contacted 6: human 2/6, interested 1/6, placed and contacted (l3, m1) 2/6.
        # Bounces: A5, A6, B1 = 3 of 8 sent + 1 refused.
        "rates": {
            "reply_rate": 2 / 6,
            "positive_reply_rate": 1 / 6,
            "placement_rate": 2 / 6,
            "bounce_rate": 3 / 9,
        },
        "live_links": 0,
        "lost_links": 0,
        "nofollow_links": 0,
        "leads_by_status": {
            "discovered": 1,
            "contacted": 1,
            "replied": 2,
            "placed": 3,
            "bounced": 1,
            "lost": 1,
        },
    }
    # user_b sees only their own campaign; an organisation workspace starts empty.
    theirs = (await api.get("/reporting/snapshot", user="user_b")).json()
    assert (theirs["campaigns"], theirs["leads"], theirs["sent"], theirs["replies"]) == (1, 1, 1, 1)
    assert theirs["rates"] == ZERO_RATES | {
        "reply_rate": 1.0,
        "positive_reply_rate": 1.0,
        "placement_rate": 1.0,
    }
    org = (await api.get("/reporting/snapshot", org="org_1")).json()
    assert (org["campaigns"], org["leads"], org["sent"], org["rates"]) == (0, 0, 0, ZERO_RATES)


async def test_other_workspace_is_404(db: Database, api: Api, frozen: Any) -> None:
    campaign_id = await seed_main(db)
    for path in (
        f"/campaigns/{campaign_id}/analytics",
        "/campaigns/cmp_doesnotexist/analytics",
        "/campaigns/cmp_foreign/analytics",
    ):
        response = await api.get(path, user="user_b" if "main" in path else "user_a")
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Resource not found"}
    # The same user in an organisation workspace still reaches their personal campaign.
    assert (await api.get(f"/campaigns/{campaign_id}/analytics", org="org_1")).status_code == 200


async def test_requires_authentication(db: Database, api: Api) -> None:
    for path in ("/reporting/snapshot", "/campaigns/cmp_x/analytics"):
        response = await api.get(path, auth=False)
        assert response.status_code == 401
        assert response.json() == {"detail": "Not authenticated"}
