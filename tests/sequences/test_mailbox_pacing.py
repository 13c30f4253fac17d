"""Scheduled sends from a workspace's own mailboxes (real aiosmtpd with AUTH): spacing by
`min_interval_seconds`, step 0 spread across the campaign's mailboxes by room, later steps
from the first message's mailbox, and the schedule's queue and forecast."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from tests.mailboxes.support import KEY, create_mailbox
from tests.outreach.conftest import MakeApi
from tests.outreach.mailserver import MailServer, Recorder
from tests.sequences.support import (
    TUESDAY,
    enroll,
    leads,
    sequence_campaign,
    sequence_settings,
    steps_of,
    worker,
)
from tests.support.mailservers import SMTP_PASSWORD, SMTP_USER, smtp_server


@pytest.fixture
def auth_server() -> Iterator[tuple[Recorder, int]]:
    with smtp_server(auth=True) as found:
        yield found


def _smtp(port: int) -> dict[str, Any]:
    return {
        "smtp": {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "username": SMTP_USER,
            "password": SMTP_PASSWORD,
        }
    }


async def test_spacing_rotation_and_the_first_messages_mailbox(
    make_api: MakeApi,
    mail_server: MailServer,
    auth_server: tuple[Recorder, int],
    db: Any,
    make_settings: Any,
) -> None:
    recorder, port = auth_server
    run = worker(db, make_settings, mail_server, secrets_key=KEY)
    with time_machine.travel(TUESDAY, tick=True) as clock:
        async with make_api(**sequence_settings(mail_server, secrets_key=KEY)) as api:
            one = await create_mailbox(
                api, from_email="one@agency.test", min_interval_seconds=600, **_smtp(port)
            )
            two = await create_mailbox(
                api, from_email="two@agency.test", min_interval_seconds=600, **_smtp(port)
            )
            campaign = await sequence_campaign(api, mailbox_ids=[one["id"], two["id"]])
            await leads(api, campaign["id"], 4)
            await enroll(api, campaign["id"])
            # One message per mailbox, then each waits its interval.
            assert (await run())["sequences"] == 2
            assert (await run())["sequences"] == 0
            clock.move_to(TUESDAY + timedelta(seconds=700))  # the setup's own time included
            assert (await run())["sequences"] == 2
            firsts = [s for s in await steps_of(api, campaign["id"]) if s["step"] == 0]
            schedule = (await api.get(f"/campaigns/{campaign['id']}/schedule")).json()
            # Step 1 of every lead goes from its first message's mailbox, three days on.
            clock.move_to(TUESDAY + timedelta(days=3, minutes=1))
            assert (await run())["sequences"] == 2
            clock.move_to(TUESDAY + timedelta(days=3, minutes=12))
            assert (await run())["sequences"] == 2
            seconds = {
                s["lead_id"]: s["mailbox_id"]
                for s in await steps_of(api, campaign["id"])
                if s["step"] == 1
            }
    assert mail_server.messages == []  # nothing from mbx_default
    senders = [m.mail_from for m in recorder.messages]
    assert sorted(senders[:2]) == ["one@agency.test", "two@agency.test"]
    assert sorted(s["mailbox_id"] for s in firsts) == sorted(
        [one["id"], one["id"], two["id"], two["id"]]
    )
    assert seconds == {s["lead_id"]: s["mailbox_id"] for s in firsts}
    # The queue: every pending step; the forecast: two a day per mailbox, spaced 10 minutes.
    assert len(schedule["queued"]) == 8  # steps 1 and 2 of four leads
    assert all(
        q["mailbox_id"] in (one["id"], two["id"]) and q["not_before"]
        for q in schedule["queued"]
        if q["step"] == 1
    )
    # Step 2 waits on step 1: no time and no mailbox until that one is sent.
    assert all(
        q["mailbox_id"] is None and q["not_before"] is None
        for q in schedule["queued"]
        if q["step"] == 2
    )
    per_day = {d["date"]: d["count"] for d in schedule["forecast"]["per_day"]}
    assert per_day == {"2031-05-09": 4, "2031-05-13": 4}
    assert schedule["forecast"]["last_send_at"].startswith("2031-05-13")
