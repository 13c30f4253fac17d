"""Sequences sent by the worker against a real SMTP server (aiosmtpd), with time travel: each
step inside the window and in the same thread, the text read when it is sent, caps and closed
windows moving steps (never failing them), policy blocks ending the sequence, one sequence per
lead, pause and resume, stop, and the decision log."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import time_machine
from sqlalchemy import func, select

from backlink_outreach.models import OutreachAttempt, SequenceStep
from tests.conftest import Api, create_campaign
from tests.outreach.conftest import MakeApi, add_lead, send
from tests.outreach.mailserver import MailServer
from tests.sequences.support import (
    SATURDAY,
    SEQUENCE,
    TUESDAY,
    enroll,
    leads,
    sequence_campaign,
    sequence_settings,
    steps_of,
    when,
    worker,
)


async def test_a_sequence_goes_out_step_by_step_in_one_thread(
    make_api: MakeApi, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    run = worker(db, make_settings, mail_server)
    with time_machine.travel(TUESDAY, tick=True) as clock:
        async with make_api(**sequence_settings(mail_server)) as api:
            campaign = await sequence_campaign(api)
            (lead,) = await leads(api, campaign["id"], 1)
            assert await enroll(api, campaign["id"], [lead["id"]]) == {
                "enrolled": 1,
                "skipped": [],
            }
            first = await steps_of(api, campaign["id"])
            assert [(s["step"], s["status"]) for s in first] == [
                (0, "scheduled"),
                (1, "scheduled"),
                (2, "scheduled"),
            ]
            assert first[0]["not_before"] is not None and first[1]["not_before"] is None

            assert (await run())["sequences"] == 1
            assert (await run())["sequences"] == 0  # never twice
            after_first = await steps_of(api, campaign["id"])
            assert after_first[0]["status"] == "sent"
            step_one_due = when(after_first[1]["not_before"])
            assert step_one_due.date() == (TUESDAY + timedelta(days=3)).date()

            # An edit changes what has not gone out yet.
            edited = [dict(SEQUENCE[0]), {**SEQUENCE[1], "body": "Edited step one."}, SEQUENCE[2]]
            response = await api.patch(f"/campaigns/{campaign['id']}", json={"sequence": edited})
            assert response.status_code == 200, response.text
            assert response.json()["sequence"][1]["body"] == "Edited step one."

            clock.move_to(step_one_due + timedelta(minutes=1))
            assert (await run())["sequences"] == 1
            step_two_due = when((await steps_of(api, campaign["id"]))[2]["not_before"])
            # Tuesday + 3 days is Friday; + 4 days is Tuesday: inside the window.
            assert step_two_due.weekday() < 5 and 9 <= step_two_due.hour < 17
            clock.move_to(step_two_due + timedelta(minutes=1))
            assert (await run())["sequences"] == 1
            final = await steps_of(api, campaign["id"])
            attempts = (await api.get(f"/campaigns/{campaign['id']}/attempts")).json()

    assert [s["status"] for s in final] == ["sent", "sent", "sent"]
    zero, one, two = mail_server.messages
    assert zero.message["Subject"] == "Guest post for Site 0"
    assert zero.message["In-Reply-To"] is None
    assert one.message["Subject"] == "Re: Guest post for Site 0"
    assert one.message["In-Reply-To"] == zero.message["Message-ID"]
    assert one.text().startswith("Edited step one.")
    assert two.message["Subject"] == "Last note"
    assert two.message["In-Reply-To"] == one.message["Message-ID"]
    assert two.message["References"].split() == [
        zero.message["Message-ID"],
        one.message["Message-ID"],
    ]
    assert [(a["kind"], a["step"], a["status"]) for a in attempts] == [
        ("initial", 0, "sent"),
        ("follow_up", 1, "sent"),
        ("follow_up", 2, "sent"),
    ]


async def test_a_closed_window_moves_the_step_to_the_next_opening(
    make_api: MakeApi, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    run = worker(db, make_settings, mail_server)
    with time_machine.travel(SATURDAY, tick=True) as clock:
        async with make_api(**sequence_settings(mail_server)) as api:
            campaign = await sequence_campaign(
                api,
                timezone="America/New_York",
                send_window={"days": ["mon"], "start": "08:30", "end": "10:00"},
            )
            (lead,) = await leads(api, campaign["id"], 1)
            await enroll(api, campaign["id"], [lead["id"]])
            due = when((await steps_of(api, campaign["id"]))[0]["not_before"])
            # Monday 12 May 2031, 08:30 in New York (EDT, UTC-4) is 12:30 UTC.
            assert due.isoformat() == "2031-05-12T12:30:00+00:00"
            assert (await run())["sequences"] == 0
            clock.move_to(due + timedelta(seconds=30))
            assert (await run())["sequences"] == 1
    assert len(mail_server.messages) == 1


async def test_a_full_cap_moves_steps_to_the_next_window_and_never_fails_them(
    make_api: MakeApi, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    run = worker(db, make_settings, mail_server, policy_sender_daily_cap=2)
    with time_machine.travel(TUESDAY, tick=True) as clock:
        async with make_api(**sequence_settings(mail_server, policy_sender_daily_cap=2)) as api:
            campaign = await sequence_campaign(api, sequence=SEQUENCE[:1])
            found = await leads(api, campaign["id"], 5)
            await enroll(api, campaign["id"])
            assert (await run())["sequences"] == 2
            waiting = [s for s in await steps_of(api, campaign["id"]) if s["status"] != "sent"]
            assert len(waiting) == 3 and all(s["status"] == "scheduled" for s in waiting)
            assert {when(s["not_before"]).date() for s in waiting} == {
                (TUESDAY + timedelta(days=1)).date()
            }
            clock.move_to(TUESDAY + timedelta(days=1, hours=-1))  # Wednesday 09:00
            assert (await run())["sequences"] == 2
            clock.move_to(TUESDAY + timedelta(days=2, hours=-1))
            assert (await run())["sequences"] == 1
            final = await steps_of(api, campaign["id"])
    assert [s["status"] for s in final] == ["sent"] * 5
    assert sorted(m.rcpt_tos[0] for m in mail_server.messages) == sorted(
        lead["contact_email"] for lead in found
    )


async def test_a_policy_block_skips_the_step_and_ends_the_sequence(
    make_api: MakeApi, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    run = worker(db, make_settings, mail_server)
    with time_machine.travel(TUESDAY, tick=True):
        async with make_api(**sequence_settings(mail_server)) as api:
            campaign = await sequence_campaign(api)
            blocked, fine = await leads(api, campaign["id"], 2)
            response = await api.post("/suppression", json={"email": blocked["contact_email"]})
            assert response.status_code == 201, response.text
            await enroll(api, campaign["id"])
            assert (await run())["sequences"] == 1
            assert (await run())["sequences"] == 0  # no retry loop
            rows = await steps_of(api, campaign["id"], lead_id=blocked["id"])
            decisions = (
                await api.get("/policy/decisions", params={"lead_id": blocked["id"]})
            ).json()
    assert [(s["status"], s["reason"]) for s in rows] == [
        ("skipped", "suppressed"),
        ("cancelled", "an earlier step was skipped"),
        ("cancelled", "an earlier step was skipped"),
    ]
    assert [(d["allowed"], d["reason"]) for d in decisions] == [(False, "suppressed")]
    assert decisions[0]["recipient_email"] == blocked["contact_email"]
    assert [m.rcpt_tos for m in mail_server.messages] == [[fine["contact_email"]]]


async def test_one_sequence_per_lead(
    make_api: MakeApi, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    run = worker(db, make_settings, mail_server)
    with time_machine.travel(TUESDAY, tick=True):
        async with make_api(**sequence_settings(mail_server)) as api:
            campaign = await sequence_campaign(api)
            enrolled, by_hand = await leads(api, campaign["id"], 2)
            await enroll(api, campaign["id"], [enrolled["id"]])
            # An API send to a lead with a running sequence is refused.
            refused = await send(api, campaign, enrolled, subject="Another pitch")
            assert refused.status_code == 403, refused.text
            assert refused.json()["reason"] == "sequence_active"
            again = await enroll(api, campaign["id"], [enrolled["id"], "lead_missing"])
            assert again == {
                "enrolled": 0,
                "skipped": [
                    {"lead_id": "lead_missing", "reason": "not_found"},
                    {"lead_id": enrolled["id"], "reason": "already_enrolled"},
                ],
            }
            # An API send in a campaign with a sequence is its step 0; the worker follows up.
            sent = await send(api, campaign, by_hand, subject="By hand")
            assert sent.status_code == 200, sent.text
            rows = await steps_of(api, campaign["id"], lead_id=by_hand["id"])
            assert [(s["step"], s["status"]) for s in rows] == [
                (0, "sent"),
                (1, "scheduled"),
                (2, "scheduled"),
            ]
            assert rows[0]["attempt_id"] == sent.json()["id"]
            skipped = await enroll(api, campaign["id"], [by_hand["id"]])
            assert skipped["skipped"] == [{"lead_id": by_hand["id"], "reason": "already_enrolled"}]
            assert (await run())["sequences"] == 1  # the enrolled lead's step 0 only


async def test_pause_stops_every_start_and_resume_moves_overdue_steps_into_the_window(
    make_api: MakeApi, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    run = worker(db, make_settings, mail_server)
    with time_machine.travel(TUESDAY, tick=True) as clock:
        async with make_api(**sequence_settings(mail_server)) as api:
            campaign = await sequence_campaign(api)
            await leads(api, campaign["id"], 3)
            await enroll(api, campaign["id"])
            paused = await api.patch(f"/campaigns/{campaign['id']}", json={"status": "paused"})
            assert paused.status_code == 200 and paused.json()["status"] == "paused"
            assert (await run())["sequences"] == 0
            clock.move_to(TUESDAY + timedelta(hours=8))  # 18:00: the window has closed
            resumed = await api.patch(f"/campaigns/{campaign['id']}", json={"status": "active"})
            assert resumed.status_code == 200 and resumed.json()["status"] == "active"
            firsts = [s for s in await steps_of(api, campaign["id"]) if s["step"] == 0]
            assert {when(s["not_before"]) for s in firsts} == {TUESDAY + timedelta(hours=23)}
            assert (await run())["sequences"] == 0
            clock.move_to(TUESDAY + timedelta(hours=23, minutes=1))
            assert (await run())["sequences"] == 3
    assert len(mail_server.messages) == 3


async def test_stop_and_status_changes_cancel_pending_steps_at_once(
    make_api: MakeApi, mail_server: MailServer, db: Any, make_settings: Any
) -> None:
    with time_machine.travel(TUESDAY, tick=True):
        async with make_api(**sequence_settings(mail_server)) as api:
            campaign = await sequence_campaign(api)
            stopped, replied, kept = await leads(api, campaign["id"], 3)
            await enroll(api, campaign["id"])
            response = await api.post(f"/campaigns/{campaign['id']}/leads/{stopped['id']}/stop")
            assert response.status_code == 200, response.text
            assert response.json() == {"lead_id": stopped["id"], "cancelled": 3}
            response = await api.patch(
                f"/campaigns/{campaign['id']}/leads/{replied['id']}/status",
                json={"status": "replied"},
            )
            assert response.status_code == 200, response.text
            by_lead = {
                lead["id"]: [
                    (s["status"], s["reason"])
                    for s in await steps_of(api, campaign["id"], lead_id=lead["id"])
                ]
                for lead in (stopped, replied, kept)
            }
            other = await api.post(
                f"/campaigns/{campaign['id']}/leads/{kept['id']}/stop", user="user_b"
            )
    assert by_lead[stopped["id"]] == [("cancelled", "stopped")] * 3
    assert by_lead[replied["id"]] == [("cancelled", "lead replied")] * 3
    assert by_lead[kept["id"]] == [("scheduled", None)] * 3
    assert other.status_code == 404


async def test_an_initial_message_to_a_recently_contacted_site_is_blocked(
    make_api: MakeApi, mail_server: MailServer
) -> None:
    with time_machine.travel(TUESDAY, tick=True):
        async with make_api(**sequence_settings(mail_server)) as api:
            first = await create_campaign(api)
            lead = await add_lead(api, first["id"], "editor@garden.test")
            assert (await send(api, first, lead)).status_code == 200
            # The campaign is deleted; its sends still count.
            assert (await api.delete(f"/campaigns/{first['id']}")).status_code == 204
            second = await create_campaign(api, name="Autumn")
            again = await add_lead(
                api, second["id"], "owner@garden.test", url="https://garden.test/"
            )
            refused = await send(api, second, again, subject="A different pitch")
        async with make_api(**sequence_settings(mail_server, policy_recontact_days=0)) as off:
            allowed = await send(off, second, again, subject="A different pitch")
    assert refused.status_code == 403, refused.text
    assert refused.json()["reason"] == "recently_contacted"
    assert allowed.status_code == 200, allowed.text


async def test_campaign_patch_validates_and_keeps_tenancy(api: Api) -> None:
    campaign = await create_campaign(api)
    assert campaign["status"] == "active" and campaign["timezone"] == "UTC"
    assert campaign["send_window"] == {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:00",
        "end": "17:00",
    }
    assert campaign["sequence"] is None
    path = f"/campaigns/{campaign['id']}"
    bad = [
        {"timezone": "Mars/Olympus_Mons"},
        {"send_window": {"days": ["mon"], "start": "17:00", "end": "09:00"}},
        {"send_window": {"days": [], "start": "09:00", "end": "17:00"}},
        {"sequence": [{"delay_days": 2, "subject": "Hi", "body": "x"}]},
        {"sequence": [{"subject": "Hi", "body": "x"}, {"delay_days": 0, "body": "y"}]},
        {"sequence": [{"body": "no subject"}]},
        {"sequence": [{"subject": "Hi", "body": "x"}, {"delay_days": 2, "template_id": "tpl_x"}]},
        {"status": "archived"},
        {"colour": "red"},
    ]
    for body in bad:
        response = await api.patch(path, json=body)
        assert response.status_code == 422, (body, response.text)
    changed = await api.patch(
        path,
        json={
            "name": "Renamed",
            "timezone": "Europe/Berlin",
            "send_window": {"days": ["tue", "mon"], "start": "08:00", "end": "24:00"},
            "keywords": ["gardening"],
            "follow_up_days": None,  # null: unchanged
        },
    )
    assert changed.status_code == 200, changed.text
    shown = (await api.get(path)).json()
    assert shown["name"] == "Renamed" and shown["timezone"] == "Europe/Berlin"
    assert shown["follow_up_days"] == campaign["follow_up_days"]
    assert shown["send_window"] == {"days": ["mon", "tue"], "start": "08:00", "end": "24:00"}
    assert (await api.patch(path, user="user_b", json={"name": "Mine"})).status_code == 404
    enroll_without_sequence = await api.post(f"{path}/enroll", json={"all_eligible": True})
    assert enroll_without_sequence.status_code == 422


async def test_a_lead_deleted_while_its_first_message_is_on_the_wire(
    make_api: MakeApi, mail_server: MailServer, db: Any
) -> None:
    """An API send in a campaign with a sequence: the lead is deleted during SMTP. The message
    went out, so its attempt is `sent` (it outlives the lead), and no steps are added for a
    lead that is gone (before, the insert failed and the attempt stayed `sending`)."""
    async with make_api(**sequence_settings(mail_server)) as api:
        campaign = await sequence_campaign(api)
        (lead,) = await leads(api, campaign["id"], 1)
        mail_server.recorder.hold = True
        in_flight = asyncio.create_task(send(api, campaign, lead))
        try:
            assert await asyncio.to_thread(mail_server.recorder.arrived.wait, 10)
            deleted = await api.delete(f"/campaigns/{campaign['id']}/leads/{lead['id']}")
            assert deleted.status_code == 204, deleted.text
        finally:
            mail_server.recorder.release.set()
        response = await in_flight
    assert response.status_code == 200, response.text
    async with db.engine.connect() as conn:
        statuses = list(await conn.scalars(select(OutreachAttempt.status)))
        steps = await conn.scalar(select(func.count()).select_from(SequenceStep))
    assert statuses == ["sent"] and steps == 0
