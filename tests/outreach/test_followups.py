"""Follow-ups: scheduled on a successful send, sent by the worker in the same thread when due
(time travel), cancelled with a reason when the lead's state says stop, postponed by caps."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from backlink_outreach.config import Settings
from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.duties import DUTIES
from backlink_outreach.worker import run_once
from tests.conftest import Api
from tests.outreach.conftest import MakeApi, add_lead, campaign_with_lead, mail_settings, send
from tests.outreach.mailserver import MailServer

START = datetime(2031, 5, 6, 10, 0, tzinfo=UTC)


Worker = Callable[[], Awaitable[dict[str, int]]]


def _worker(db: Any, make_settings: Any, server: MailServer, **overrides: Any) -> Worker:
    """One worker pass (`run_once` over every duty) on the test database, when called."""
    settings: Settings = make_settings(**mail_settings(server, **overrides))
    return functools.partial(run_once, AppDatabase(db.engine), settings, DUTIES)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_follow_ups_are_threaded_and_sent_once(
    mail_api: Api, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    ctx = _worker(db, make_settings, mail_server)
    with time_machine.travel(START, tick=True) as clock:
        campaign, lead = await campaign_with_lead(mail_api, follow_up_days=[2, 5])
        first = (await send(mail_api, campaign, lead, subject="Guest post")).json()
        follow_ups = (await mail_api.get(f"/campaigns/{campaign['id']}/follow-ups")).json()
        assert [(f["step"], f["status"]) for f in follow_ups] == [
            (1, "scheduled"),
            (2, "scheduled"),
        ]
        sent_at = _when(first["sent_at"])
        assert [_when(f["scheduled_for"]) for f in follow_ups] == [
            sent_at + timedelta(days=2),
            sent_at + timedelta(days=5),
        ]
        assert {f["attempt_id"] for f in follow_ups} == {first["id"]}
        assert all(f["subject"] == "Re: Guest post" and f["body"] for f in follow_ups)

        assert (await ctx())["follow_ups"] == 0  # nothing due yet
        clock.move_to(START + timedelta(days=2, minutes=1))
        assert (await ctx())["follow_ups"] == 1
        assert (await ctx())["follow_ups"] == 0  # never twice
        clock.move_to(START + timedelta(days=5, minutes=1))
        assert (await ctx())["follow_ups"] == 1

    initial, one, two = mail_server.messages
    assert initial.message["Message-ID"] == first["message_id"]
    assert one.message["Subject"] == "Re: Guest post"
    assert one.message["In-Reply-To"] == first["message_id"]
    assert one.message["References"] == first["message_id"]
    assert two.message["In-Reply-To"] == one.message["Message-ID"]
    assert two.message["References"].split() == [first["message_id"], one.message["Message-ID"]]
    for received, follow_up in zip((one, two), follow_ups, strict=True):
        assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert received.text().startswith(follow_up["body"].rstrip())

    attempts = (await mail_api.get(f"/campaigns/{campaign['id']}/attempts")).json()
    assert [(a["kind"], a["step"], a["status"]) for a in attempts] == [
        ("initial", 0, "sent"),
        ("follow_up", 1, "sent"),
        ("follow_up", 2, "sent"),
    ]
    assert attempts[2]["in_reply_to"] == attempts[1]["message_id"]
    final = (await mail_api.get(f"/campaigns/{campaign['id']}/follow-ups")).json()
    assert [(f["status"], f["sent_attempt_id"]) for f in final] == [
        ("sent", attempts[1]["id"]),
        ("sent", attempts[2]["id"]),
    ]


async def test_follow_ups_cancelled_when_the_lead_says_stop(
    mail_api: Api, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    ctx = _worker(db, make_settings, mail_server)
    statuses = ["replied", "bounced", "lost", "placed", "contacted"]
    with time_machine.travel(START, tick=True) as clock:
        campaign, _ = await campaign_with_lead(mail_api, email=None, follow_up_days=[3])
        leads = [await add_lead(mail_api, campaign["id"], f"ed@{s}.test") for s in statuses]
        for lead in leads:
            assert (await send(mail_api, campaign, lead)).status_code == 200
        for lead, status in zip(leads, statuses, strict=True):
            patch = await mail_api.patch(
                f"/campaigns/{campaign['id']}/leads/{lead['id']}/status", json={"status": status}
            )
            assert patch.status_code == 200
        clock.move_to(START + timedelta(days=3, hours=1))
        assert (await ctx())["follow_ups"] == 1
    follow_ups = (await mail_api.get(f"/campaigns/{campaign['id']}/follow-ups")).json()
    by_lead = {f["lead_id"]: (f["status"], f["reason"]) for f in follow_ups}
    assert [by_lead[lead["id"]] for lead in leads] == [
        ("cancelled", "lead replied"),
        ("cancelled", "lead bounced"),
        ("cancelled", "lead lost"),
        ("cancelled", "lead placed"),
        ("sent", None),
    ]
    assert len(mail_server.messages) == len(leads) + 1


async def test_follow_up_policy_is_rerun(
    mail_api: Api, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    ctx = _worker(db, make_settings, mail_server)
    with time_machine.travel(START, tick=True) as clock:
        campaign, lead = await campaign_with_lead(mail_api, follow_up_days=[1])
        assert (await send(mail_api, campaign, lead)).status_code == 200
        await mail_api.post("/suppression", json={"email": "editor@garden.test"})
        clock.move_to(START + timedelta(days=1, hours=1))
        assert (await ctx())["follow_ups"] == 0
    [follow_up] = (await mail_api.get(f"/campaigns/{campaign['id']}/follow-ups")).json()
    assert (follow_up["status"], follow_up["reason"]) == ("cancelled", "suppressed")
    assert len(mail_server.messages) == 1


async def test_follow_up_over_the_cap_waits_for_the_next_utc_day(
    make_api: MakeApi, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    ctx = _worker(db, make_settings, mail_server, policy_sender_daily_cap=1)
    async with make_api(**mail_settings(mail_server, policy_sender_daily_cap=1)) as api:
        with time_machine.travel(START, tick=True) as clock:
            campaign, lead = await campaign_with_lead(api, follow_up_days=[1])
            assert (await send(api, campaign, lead)).status_code == 200
            # The next day, another initial send takes the day's only slot first.
            clock.move_to(START + timedelta(days=1, hours=-1))
            other = await add_lead(api, campaign["id"], "ed@other.test")
            assert (await send(api, campaign, other)).status_code == 200
            clock.move_to(START + timedelta(days=1, minutes=1))
            assert (await ctx())["follow_ups"] == 0
            [waiting, _] = (await api.get(f"/campaigns/{campaign['id']}/follow-ups")).json()
            assert waiting["status"] == "scheduled"
            assert _when(waiting["scheduled_for"]) == datetime(2031, 5, 8, tzinfo=UTC)
            clock.move_to(datetime(2031, 5, 8, 0, 0, 30, tzinfo=UTC))
            assert (await ctx())["follow_ups"] == 1
    assert [m.rcpt_tos for m in mail_server.messages] == [
        ["editor@garden.test"],
        ["ed@other.test"],
        ["editor@garden.test"],
    ]


async def test_failed_follow_up_is_recorded(
    mail_api: Api, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    ctx = _worker(db, make_settings, mail_server)
    with time_machine.travel(START, tick=True) as clock:
        campaign, lead = await campaign_with_lead(mail_api, follow_up_days=[1, 2])
        assert (await send(mail_api, campaign, lead)).status_code == 200
        mail_server.recorder.refuse["editor@garden.test"] = "550 5.1.1 User unknown"
        clock.move_to(START + timedelta(days=2, hours=1))
        assert (await ctx())["follow_ups"] == 0
    first, second = (await mail_api.get(f"/campaigns/{campaign['id']}/follow-ups")).json()
    assert first["status"] == "failed" and first["reason"] == "recipient refused 5.1.1 User unknown"
    assert (second["status"], second["reason"]) == ("cancelled", "bounced")
    lead_now = (await mail_api.get(f"/campaigns/{campaign['id']}")).json()["leads"][0]
    assert lead_now["status"] == "bounced"
