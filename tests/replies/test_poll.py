"""POST /replies/poll and GET /campaigns/{id}/replies against a real pymap IMAP server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backlink_outreach.config import Settings
from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import make_sessionmaker, utcnow
from backlink_outreach.models import (
    FollowUp,
    InboundMessage,
    Lead,
    MailboxState,
    Reply,
    Suppression,
)
from backlink_outreach.replies import service
from tests.conftest import Api
from tests.support.database import Database
from tests.support.servers import free_port

from .corpus_eval import CORPUS
from .support import (
    SENDER,
    Sent,
    append,
    clear,
    flags,
    imap_settings,
    make_sent,
    pymap_server,
    reply_to,
)

ApiFactory = Callable[..., contextlib.AbstractAsyncContextManager[Api]]


@pytest.fixture(scope="module")
def imap_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with pymap_server(tmp_path_factory.mktemp("pymap")) as port:
        yield port


@pytest.fixture
def port(imap_port: int) -> int:
    clear(imap_port)
    return imap_port


def corpus_bounce(sent: Sent) -> bytes:
    """A real Postfix DSN (user unknown, 5.1.1), re-addressed to one of our sends."""
    path = CORPUS / "lhost-postfix-04.eml"
    if not path.exists():
        pytest.skip("bounce corpus not present")
    raw = path.read_bytes()
    raw = raw.replace(b"kijitora@example.co.jp", sent.attempt.recipient_email.encode())
    return raw.replace(
        b"<A8F82EDD-E518-4F5C-8C70-BC4EFF24AB9F@example.ne.jp>", sent.attempt.message_id.encode()
    )


async def test_poll_files_replies_applies_effects_and_never_repeats(
    db: Database, make_api: ApiFactory, port: int
) -> None:
    sessionmaker = make_sessionmaker(db.engine)
    async with sessionmaker() as session, session.begin():
        keen = await make_sent(session, recipient="editor@blog-one.test")
        away = await make_sent(session, recipient="anna@blog-two.test", campaign=keen.campaign)
        leave = await make_sent(session, recipient="bob@blog-three.test", campaign=keen.campaign)
        team = await make_sent(session, recipient="carla@blog-four.test", campaign=keen.campaign)
        gone = await make_sent(session, recipient="dan@blog-five.test", campaign=keen.campaign)
        broken = await make_sent(session, recipient="eve@blog-six.test", campaign=keen.campaign)
    back = (utcnow().date().replace(day=1)).replace(year=utcnow().year + 1)
    huge = reply_to(broken, "x" * (6 * 1024 * 1024))
    messages = [
        reply_to(
            keen, "Yes, sounds good! Send over your topic ideas.\n\nOn Mon, you wrote:\n> pitch"
        ),
        reply_to(
            away,
            f"I am out of the office until {back.isoformat()} with limited access to email.",
            subject="Automatic reply: " + away.attempt.subject,
            headers={"Auto-Submitted": "auto-replied"},
        ),
        reply_to(leave, "Please remove me from your list.\n\n> Hello, would you accept"),
        # A colleague on the lead's domain, with no threading headers at all.
        reply_to(
            team,
            "Carla forwarded this to me. We are interested!",
            sender="frank@blog-four.test",
            threaded=False,
        ),
        corpus_bounce(gone),
        # Someone we never wrote to.
        b"From: stranger@elsewhere.test\r\nTo: inbox@sender.test\r\nSubject: Hello\r\n"
        b"Message-ID: <unrelated@elsewhere.test>\r\n\r\nBuy my product.\r\n",
        # Malformed, all answering our message to eve: unknown charset with non-UTF-8 bytes,
        # a multipart without parts, no From header, and a body over the size limit.
        b"From: eve@blog-six.test\r\nSubject: Re: x\r\nIn-Reply-To: "
        + broken.attempt.message_id.encode()
        + b"\r\nMessage-ID: <m1@blog-six.test>\r\n"
        + b"Content-Type: text/plain; charset=x-klingon\r\n\r\n\xff\xfe\xfa\r\n",
        b"From: eve@blog-six.test\r\nSubject: Re: x\r\nIn-Reply-To: "
        + broken.attempt.message_id.encode()
        + b"\r\nMessage-ID: <m2@blog-six.test>\r\n"
        + b"Content-Type: multipart/mixed\r\n\r\nno boundary\r\n",
        b"Subject: Re: x\r\nIn-Reply-To: "
        + broken.attempt.message_id.encode()
        + b"\r\nMessage-ID: <m3@blog-six.test>\r\n\r\nWho am I\r\n",
        huge,
    ]
    append(port, messages)
    before = flags(port)
    async with make_api(**imap_settings(port)) as api:
        first = await api.post("/replies/poll", json={})
        assert first.status_code == 200, first.text
        assert first.json() == {"replies_found": 5, "failed": 4}
        again = await api.post("/replies/poll", json={})
        assert again.json() == {"replies_found": 0, "failed": 0}
        listed = await api.get(f"/campaigns/{keen.campaign.id}/replies")
    assert listed.status_code == 200
    replies = {r["lead_id"]: r for r in listed.json()}
    assert replies[keen.lead.id]["classification"] == "interested"
    assert replies[away.lead.id]["classification"] == "out_of_office"
    assert replies[away.lead.id]["return_date"] == back.isoformat()
    assert replies[leave.lead.id]["classification"] == "unsubscribe"
    assert replies[team.lead.id]["classification"] == "interested"
    assert replies[team.lead.id]["confidence"] < 0.5
    bounce = replies[gone.lead.id]
    assert (bounce["classification"], bounce["bounce_type"], bounce["bounce_status"]) == (
        "bounce",
        "hard",
        "5.1.1",
    )
    assert all(r["reasons"] for r in replies.values())
    assert broken.lead.id not in replies
    # Nothing was marked read, deleted or moved.
    assert flags(port) == before

    async with sessionmaker() as session:
        leads = {lead.id: lead for lead in await session.scalars(select(Lead))}
        follow = {(f.lead_id, f.step): f for f in await session.scalars(select(FollowUp))}
        suppressed = {(s.email, s.source) for s in await session.scalars(select(Suppression))}
        failed = await session.scalars(
            select(InboundMessage).where(InboundMessage.status == "failed")
        )
        failed_errors = sorted(m.error or "" for m in failed)
    assert leads[keen.lead.id].status == "replied"
    assert leads[team.lead.id].status == "replied"
    assert leads[leave.lead.id].status == "lost"
    assert leads[gone.lead.id].status == "bounced"
    assert leads[away.lead.id].status == "contacted"
    assert follow[(keen.lead.id, 1)].status == "cancelled"
    assert follow[(gone.lead.id, 2)].status == "cancelled"
    assert follow[(away.lead.id, 1)].status == "scheduled"
    assert follow[(away.lead.id, 1)].scheduled_for.date() == back.replace(day=2)
    assert ("bob@blog-three.test", "reply") in suppressed
    assert ("dan@blog-five.test", "bounce") in suppressed
    assert not any(email == "editor@blog-one.test" for email, _ in suppressed)
    assert failed_errors == ["broken_mime", "missing_headers", "too_large", "undecodable_text"]
    del huge


async def test_poll_counts_only_the_callers_replies(
    db: Database, make_api: ApiFactory, port: int
) -> None:
    sessionmaker = make_sessionmaker(db.engine)
    async with sessionmaker() as session, session.begin():
        mine = await make_sent(session, workspace="user_a", recipient="x@site-a.test")
        other = await make_sent(session, workspace="user_b", recipient="y@site-b.test")
    append(port, [reply_to(mine, "Sounds good."), reply_to(other, "Not interested, thanks.")])
    async with make_api(**imap_settings(port)) as api:
        found = await api.post(
            "/replies/poll", user="user_b", json={"campaign_id": other.campaign.id}
        )
        assert found.json() == {"replies_found": 1, "failed": 0}
        # user_a's reply was filed by that poll, under user_a only.
        assert (
            await api.get(f"/campaigns/{other.campaign.id}/replies", user="user_a")
        ).status_code == 404
        theirs = await api.get(f"/campaigns/{mine.campaign.id}/replies", user="user_a")
        assert [r["classification"] for r in theirs.json()] == ["interested"]
        assert (
            await api.post("/replies/poll", json={"campaign_id": "cmp_nope"})
        ).status_code == 404


async def test_concurrent_polls_never_file_twice(
    db: Database, make_api: ApiFactory, port: int
) -> None:
    sessionmaker = make_sessionmaker(db.engine)
    async with sessionmaker() as session, session.begin():
        sends = [await make_sent(session, recipient=f"r{i}@site{i}.test") for i in range(12)]
    append(port, [reply_to(s, "Yes please, send the draft.") for s in sends])
    async with make_api(**imap_settings(port)) as api:
        app_db: AppDatabase = api.app.state.database  # the worker queues with the app
        results = await asyncio.gather(
            api.post("/replies/poll", json={}),
            api.post("/replies/poll", json={}),
            service.poll_duty(app_db, api_settings(api)),
        )
    found = [r.json()["replies_found"] for r in results[:2]]
    assert sum(found) + 0 <= 12
    async with sessionmaker() as session:
        replies = (await session.scalars(select(Reply))).all()
        state = (await session.scalars(select(MailboxState))).one()
    assert len(replies) == 12
    assert len({r.lead_id for r in replies}) == 12
    assert state.lease_until is None and state.next_poll_at is not None


def api_settings(api: Api) -> Settings:
    settings: Settings = api.app.state.settings
    return settings


async def test_worker_duty_polls_when_due(db: Database, make_settings: Any, port: int) -> None:
    sessionmaker = make_sessionmaker(db.engine)
    async with sessionmaker() as session, session.begin():
        sent = await make_sent(session)
    append(port, [reply_to(sent, "What would the article be about?")])
    app_db, settings = AppDatabase(db.engine), make_settings(**imap_settings(port))
    assert await service.poll_duty(app_db, settings) == 1
    append(port, [reply_to(sent, "Hello? Any news?")])
    assert await service.poll_duty(app_db, settings) == 0  # not due before POLL_INTERVAL_SECONDS
    async with sessionmaker() as session:
        reply = (await session.scalars(select(Reply))).one()
    assert reply.classification == "question"


async def test_not_configured_and_unavailable(
    make_api: ApiFactory, port: int, tmp_path: Path
) -> None:
    async with make_api() as api:
        response = await api.post("/replies/poll", json={})
        assert response.status_code == 422
        assert response.json()["detail"][0]["type"] == "not_configured"
    async with make_api(**{**imap_settings(port), "imap_password": "wrong"}) as api:
        response = await api.post("/replies/poll", json={})
        assert (response.status_code, response.json()) == (503, {"detail": "Mailbox unavailable"})

    async with make_api(**{**imap_settings(port), "imap_port": free_port()}) as api:
        response = await api.post("/replies/poll")
        assert (response.status_code, response.json()) == (503, {"detail": "Mailbox unavailable"})
    assert SENDER
