"""Policy history outlives deletes (migration 0008): the attempts of a deleted campaign or lead
stay, so the duplicate window and the caps still count them, and nothing that reads attempts
trips over one that points at nothing (lists, exports, reply matching, `doctor --resolve`,
the send path when the lead goes while its message is on the wire)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import make_sessionmaker, utcnow
from backlink_outreach.emails.writer import Draft
from backlink_outreach.models import FollowUp, InboundMessage, OutreachAttempt, Reply
from backlink_outreach.outreach import delivery
from backlink_outreach.outreach.resolve import resolve
from tests.conftest import Api, create_campaign
from tests.outreach.conftest import add_lead, mail_settings, send
from tests.outreach.mailserver import MailServer
from tests.replies.support import append, clear, imap_settings, make_sent, pymap_server, reply_to
from tests.support.database import Database

MakeApi = Callable[..., contextlib.AbstractAsyncContextManager[Api]]
EDITOR = "editor@garden.test"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


async def _attempts(db: Database, **where: Any) -> list[OutreachAttempt]:
    async with make_sessionmaker(db.engine)() as session:
        rows = await session.scalars(select(OutreachAttempt).filter_by(**where))
        return list(rows)


async def test_a_deleted_campaigns_sends_still_block_duplicates(
    make_api: MakeApi, mail_server: MailServer, db: Database
) -> None:
    # The recontact cool-down (which counts them too) is off: this is about duplicates.
    async with make_api(**mail_settings(mail_server, policy_recontact_days=0)) as api:
        first = await create_campaign(api)
        lead = await add_lead(api, first["id"], EDITOR)
        assert (await send(api, first, lead)).status_code == 200
        assert (await api.delete(f"/campaigns/{first['id']}")).status_code == 204
        # Gone from every endpoint...
        assert (await api.get(f"/campaigns/{first['id']}/attempts")).status_code == 404
        assert (await api.get(f"/campaigns/{first['id']}/export/attempts")).status_code == 404
        # ...but still in the ledger.
        assert [a.status for a in await _attempts(db, campaign_id=first["id"])] == ["sent"]

        again = await create_campaign(api)
        lead = await add_lead(api, again["id"], EDITOR)
        blocked = await send(api, again, lead)
        assert blocked.status_code == 403, blocked.text
        assert blocked.json() == {"detail": "Policy validation failed", "reason": "duplicate"}
        # Another subject is no duplicate: the block above came from the old send.
        assert (await send(api, again, lead, subject="Another idea")).status_code == 200
    assert len(mail_server.messages) == 2


async def test_the_day_caps_count_a_deleted_campaigns_sends(
    make_api: MakeApi, mail_server: MailServer
) -> None:
    settings = mail_settings(
        mail_server,
        policy_domain_daily_cap=1,
        policy_workspace_daily_cap=2,
        policy_recontact_days=0,
    )
    async with make_api(**settings) as api:
        first = await create_campaign(api)
        lead = await add_lead(api, first["id"], "ann@garden.test")
        assert (await send(api, first, lead)).status_code == 200
        assert (await api.delete(f"/campaigns/{first['id']}")).status_code == 204

        second = await create_campaign(api)
        colleague = await add_lead(api, second["id"], "bob@garden.test")
        blocked = await send(api, second, colleague)
        assert blocked.json().get("reason") == "recipient_domain_daily_cap", blocked.text
        other = await add_lead(api, second["id"], "cy@kitchen.test")
        assert (await send(api, second, other)).status_code == 200
        check = await api.post(
            "/policy/validate",
            json={"recipient_email": "di@hall.test", "sender_email": settings["smtp_from_email"]},
        )
        body = check.json()
        assert body["counts"]["workspace_day"] == 2 and body["counts"]["sender_day"] == 2
        assert (body["allowed"], body["reason"]) == (False, "workspace_daily_cap")


async def test_a_deleted_leads_sends_stay_counted_but_leave_lists_and_exports(
    make_api: MakeApi, mail_server: MailServer, db: Database
) -> None:
    async with make_api(**mail_settings(mail_server)) as api:
        campaign = await create_campaign(api)
        lead = await add_lead(api, campaign["id"], EDITOR)
        kept = await add_lead(api, campaign["id"], "ann@kitchen.test")
        assert (await send(api, campaign, lead)).status_code == 200
        assert (await send(api, campaign, kept)).status_code == 200
        path = f"/campaigns/{campaign['id']}"
        assert (await api.delete(f"{path}/leads/{lead['id']}")).status_code == 204

        listed = (await api.get(f"{path}/attempts")).json()
        assert [a["lead_id"] for a in listed] == [kept["id"]]
        exported = (await api.get(f"{path}/export/attempts")).text
        assert EDITOR not in exported and "ann@kitchen.test" in exported
        follow_ups = (await api.get(f"{path}/follow-ups")).json()
        assert {f["lead_id"] for f in follow_ups} == {kept["id"]}  # its steps went with it
        assert len(await _attempts(db, lead_id=lead["id"])) == 1

        # The same address on a new lead of the same site: still a duplicate.
        readded = await add_lead(api, campaign["id"], EDITOR)
        blocked = await send(api, campaign, readded)
        assert blocked.status_code == 403 and blocked.json()["reason"] == "duplicate"


@pytest.fixture(scope="module")
def imap_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with pymap_server(tmp_path_factory.mktemp("pymap")) as port:
        yield port


async def test_a_reply_to_a_deleted_leads_message_is_filed_under_no_lead(
    make_api: MakeApi, db: Database, imap_port: int
) -> None:
    clear(imap_port)
    async with make_sessionmaker(db.engine).begin() as session:
        lost = await make_sent(session, recipient="zoe@lost.test", follow_ups=1)
        # The same address was written to twice: from a campaign whose lead is kept (earlier)
        # and from one whose lead will be deleted (later, so it would be "the latest").
        live = await make_sent(
            session, recipient=EDITOR, sent_at=utcnow() - timedelta(days=3), follow_ups=0
        )
        gone = await make_sent(
            session, recipient=EDITOR, sent_at=utcnow() - timedelta(days=1), follow_ups=1
        )
        other = await make_sent(session, recipient="ann@kitchen.test", follow_ups=0)
    async with make_api(**imap_settings(imap_port)) as api:
        for sent in (lost, gone):
            path = f"/campaigns/{sent.campaign.id}/leads/{sent.lead.id}"
            assert (await api.delete(path)).status_code == 204
        append(
            imap_port,
            [
                # Threaded to the deleted lead's message, from no other lead: nobody's now.
                reply_to(lost, "Yes please, send it over."),
                # No threading headers: matched by address, to the lead that still exists.
                reply_to(gone, "Still interested in that post?", threaded=False),
                reply_to(other, "Sounds good."),
            ],
        )
        polled = await api.post("/replies/poll", json={})
        assert polled.status_code == 200, polled.text
        assert polled.json() == {"replies_found": 2, "failed": 0}
        for sent in (lost, gone):
            assert (await api.get(f"/campaigns/{sent.campaign.id}/replies")).json() == []
        filed = (await api.get(f"/campaigns/{live.campaign.id}/replies")).json()
        assert [(r["lead_id"], r["snippet"]) for r in filed] == [
            (live.lead.id, "Still interested in that post?")
        ]
    async with make_sessionmaker(db.engine)() as session:
        replies = await session.scalars(select(Reply.lead_id))
        assert sorted(r or "" for r in replies) == sorted([live.lead.id, other.lead.id])
        statuses = await session.scalars(select(InboundMessage.status))
        assert sorted(statuses) == ["filed", "filed", "ignored"]


async def test_settling_an_attempt_whose_lead_is_gone(
    api: Api, db: Database, make_settings: Callable[..., Any]
) -> None:
    """`doctor --resolve` and the send path's last step, for an attempt whose lead was deleted
    while it was `sending`: the attempt is settled, nothing is scheduled, nothing raises."""
    maker = make_sessionmaker(db.engine)
    async with maker.begin() as session:
        stuck = await make_sent(session, recipient=EDITOR, follow_ups=0)
        stuck.attempt.status, stuck.attempt.sent_at = "sending", None
        on_wire = await make_sent(session, recipient="ann@kitchen.test", follow_ups=0)
        on_wire.attempt.status, on_wire.attempt.sent_at = "sending", None
    for sent in (stuck, on_wire):
        path = f"/campaigns/{sent.campaign.id}/leads/{sent.lead.id}"
        assert (await api.delete(path)).status_code == 204

    settled = await resolve(AppDatabase(db.engine), make_settings(), stuck.attempt.id, "sent")
    assert settled.status == "sent"
    async with maker.begin() as session:
        draft = Draft(subject="Re: idea", body="Just following up.")
        await delivery.record_sent(session, on_wire.attempt, utcnow(), drafts=[(4, draft)])
    async with maker() as session:
        statuses = await session.scalars(
            select(OutreachAttempt.status).where(
                OutreachAttempt.id.in_([stuck.attempt.id, on_wire.attempt.id])
            )
        )
        assert list(statuses) == ["sent", "sent"]
        assert await session.scalar(select(func.count()).select_from(FollowUp)) == 0
