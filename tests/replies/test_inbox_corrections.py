"""`PATCH /replies/{id}` `{classification}` (API.md part 2, "Inbox"): a reply re-filed under
another class undoes its old class's effects exactly and applies the new one's. Mail arrives
through a real pymap IMAP server and the poll; corrections go through the API."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from backlink_outreach.db import make_sessionmaker, utcnow
from backlink_outreach.ids import new_id
from backlink_outreach.mailboxes import health
from backlink_outreach.models import (
    FollowUp,
    Lead,
    MailboxRecentSend,
    Reply,
    SequenceStep,
    Suppression,
)
from tests.conftest import Api
from tests.support.database import Database

from .support import Sent, append, clear, imap_settings, make_sent, pymap_server, reply_to

ApiFactory = Callable[..., contextlib.AbstractAsyncContextManager[Api]]

INTERESTED = "Yes, sounds good! Send over your topic ideas.\n\nOn Mon, you wrote:\n> pitch"
NOT_INTERESTED = "Not interested, thanks."
UNSUBSCRIBE = "Please remove me from your list."


@pytest.fixture(scope="module")
def imap_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with pymap_server(tmp_path_factory.mktemp("pymap")) as port:
        yield port


@pytest.fixture
def port(imap_port: int) -> int:
    clear(imap_port)
    return imap_port


def hard_bounce(sent: Sent) -> bytes:
    """An RFC 3464 report: the address does not exist (5.1.1), quoting our Message-ID."""
    to = sent.attempt.recipient_email
    return (
        "From: MAILER-DAEMON@mx.bounce.test\r\nTo: outreach@sender.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{new_id('dsn')}@mx.bounce.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BB"\r\n\r\n'
        "--BB\r\nContent-Type: text/plain\r\n\r\n"
        f"<{to}>: host said: 550 5.1.1 User unknown\r\n"
        "--BB\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.bounce.test\r\n\r\n"
        f"Final-Recipient: rfc822; {to}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "--BB\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: outreach@sender.test\r\nTo: {to}\r\nSubject: {sent.attempt.subject}\r\n"
        f"Message-ID: {sent.attempt.message_id}\r\n"
        "--BB--\r\n"
    ).encode()


async def with_sequence_step(db: Database, sent: Sent) -> None:
    """A pending step of a part 2 sequence beside the part 1 follow-ups."""
    async with make_sessionmaker(db.engine)() as session, session.begin():
        session.add(
            SequenceStep(
                id=new_id("stp"),
                workspace_id=sent.campaign.workspace_id,
                campaign_id=sent.campaign.id,
                lead_id=sent.lead.id,
                step=1,
                status="scheduled",
                not_before=utcnow() + timedelta(days=2),
            )
        )


async def state_of(db: Database, lead_id: str) -> tuple[Any, ...]:
    """Everything a reply's effects may touch: the lead's status, its follow-ups and sequence
    steps (status, reason, cause, due time), the workspace's suppression list, and which of
    the mailbox's recent sends count as hard bounces (its breaker's window)."""
    async with make_sessionmaker(db.engine)() as session:
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        follow = [
            (f.id, f.status, f.reason, f.cancelled_by, f.scheduled_for)
            for f in await session.scalars(
                select(FollowUp).where(FollowUp.lead_id == lead_id).order_by(FollowUp.step)
            )
        ]
        steps = [
            (s.id, s.status, s.reason, s.cancelled_by, s.not_before)
            for s in await session.scalars(
                select(SequenceStep).where(SequenceStep.lead_id == lead_id)
            )
        ]
        entries = sorted(
            (s.workspace_id, s.email, s.source, s.reason)
            for s in await session.scalars(select(Suppression))
        )
        ring = sorted(
            (r.attempt_id, r.hard_bounce) for r in await session.scalars(select(MailboxRecentSend))
        )
    return lead.status, follow, steps, entries, ring


async def only_reply(db: Database, lead_id: str) -> str:
    async with make_sessionmaker(db.engine)() as session:
        found = list(await session.scalars(select(Reply.id).where(Reply.lead_id == lead_id)))
    assert len(found) == 1, found
    return found[0]


async def poll(api: Api, found: int) -> None:
    response = await api.post("/replies/poll", json={})
    assert response.status_code == 200, response.text
    assert response.json()["replies_found"] == found


CASES = [
    # (what arrives, its class, the wrong class, what the wrong class does)
    ("interested", "unsubscribe", "lost", "unsubscribed"),
    ("bounce", "interested", "replied", "lead replied"),
    ("not_interested", "out_of_office", "contacted", None),
    ("interested", "out_of_office", "contacted", None),
]


@pytest.mark.parametrize(("first", "wrong", "wrong_status", "wrong_reason"), CASES)
async def test_a_correction_and_its_reversal_leave_everything_as_it_was(
    db: Database,
    make_api: ApiFactory,
    port: int,
    first: str,
    wrong: str,
    wrong_status: str,
    wrong_reason: str | None,
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        sent = await make_sent(session, recipient="editor@blog-one.test")
        # Another lead whose suppression entry must never move.
        other = await make_sent(session, recipient="dan@blog-two.test", campaign=sent.campaign)
    await with_sequence_step(db, sent)
    async with make_sessionmaker(db.engine)() as session, session.begin():
        for made in (sent, other):  # both sends in the breaker's window, not bounced yet
            await health.record_send(
                session, "mbx_default", made.attempt.id, hard_bounce=False, now=utcnow()
            )
    message = {
        "interested": lambda: reply_to(sent, INTERESTED),
        "not_interested": lambda: reply_to(sent, NOT_INTERESTED),
        "bounce": lambda: hard_bounce(sent),
    }[first]()
    append(port, [message, hard_bounce(other)])
    async with make_api(**imap_settings(port)) as api:
        await poll(api, 2)
        reply_id = await only_reply(db, sent.lead.id)
        before = await state_of(db, sent.lead.id)
        shown = (await api.get(f"/replies/{reply_id}")).json()
        assert shown["classification"] == first
        assert shown["corrections"] == []

        moved = await api.patch(f"/replies/{reply_id}", json={"classification": wrong})
        assert moved.status_code == 200, moved.text
        assert moved.json()["classification"] == wrong
        during = await state_of(db, sent.lead.id)
        status, follow, steps, entries, ring = during
        # Only a hard bounce counts against the mailbox, and only while it is one.
        assert (sent.attempt.id, wrong == "bounce") in ring
        assert (other.attempt.id, True) in ring
        assert status == wrong_status
        if wrong_reason is None:  # out of office: the steps run again (later)
            assert {f[1] for f in follow + steps} == {"scheduled"}
        else:
            assert {(f[1], f[2], f[3]) for f in follow + steps} == {
                ("cancelled", wrong_reason, reply_id)
            }
        mine = {e for e in entries if e[1] == sent.attempt.recipient_email}
        assert mine == (
            {("user_a", sent.attempt.recipient_email, "reply", "asked by reply")}
            if wrong == "unsubscribe"
            else set()
        )
        assert ("user_a", other.attempt.recipient_email, "bounce", "hard bounce 5.1.1") in entries

        back = await api.patch(f"/replies/{reply_id}", json={"classification": first})
        assert back.status_code == 200, back.text
        after = await state_of(db, sent.lead.id)
        corrections = back.json()["corrections"]
    # Exactly: the postponement an out-of-office class made is undone too (the due times are
    # back), and a withdrawn hard bounce no longer counts against the mailbox.
    assert after == before
    assert [(c["from"], c["to"], c["by"]) for c in corrections] == [
        (first, wrong, "user_a"),
        (wrong, first, "user_a"),
    ]
    assert all(datetime.fromisoformat(c["at"]).tzinfo is not None for c in corrections)


async def test_an_entry_another_source_holds_stays(
    db: Database, make_api: ApiFactory, port: int
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        manual = await make_sent(session, recipient="kim@blog-three.test")
        twice = await make_sent(session, recipient="lou@blog-four.test", campaign=manual.campaign)
    append(
        port,
        [
            reply_to(manual, UNSUBSCRIBE),
            reply_to(twice, UNSUBSCRIBE, when=utcnow() - timedelta(hours=2)),
            reply_to(twice, "Stop emailing me. Unsubscribe.", when=utcnow() - timedelta(hours=1)),
        ],
    )
    async with make_api(**imap_settings(port)) as api:
        added = await api.post("/suppression", json={"email": "kim@blog-three.test"})
        assert added.status_code == 201, added.text
        await poll(api, 3)
        async with make_sessionmaker(db.engine)() as session:
            kim = await session.scalar(select(Reply.id).where(Reply.lead_id == manual.lead.id))
            lou = list(
                await session.scalars(
                    select(Reply.id)
                    .where(Reply.lead_id == twice.lead.id)
                    .order_by(Reply.received_at)
                )
            )
        assert len(lou) == 2
        for reply_id in (kim, lou[0]):
            fixed = await api.patch(f"/replies/{reply_id}", json={"classification": "question"})
            assert fixed.status_code == 200, fixed.text
        listed = {(e["email"], e["source"]) for e in (await api.get("/suppression")).json()}
        # The manual entry is the user's; Lou's other unsubscribe still asks for it.
        assert listed == {("kim@blog-three.test", "manual"), ("lou@blog-four.test", "reply")}
        # Lou is still lost: the other refusal stands. Kim replied (the corrected question).
        async with make_sessionmaker(db.engine)() as session:
            assert (await session.get(Lead, twice.lead.id)).status == "lost"  # type: ignore[union-attr]
            assert (await session.get(Lead, manual.lead.id)).status == "replied"  # type: ignore[union-attr]
        # Correcting the last one too frees the address.
        last = await api.patch(f"/replies/{lou[1]}", json={"classification": "question"})
        assert last.status_code == 200
        listed = {(e["email"], e["source"]) for e in (await api.get("/suppression")).json()}
        assert listed == {("kim@blog-three.test", "manual")}


async def test_a_later_refusal_still_wins_over_an_earlier_reply_corrected(
    db: Database, make_api: ApiFactory, port: int
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        sent = await make_sent(session, recipient="max@blog-five.test")
    now = utcnow()
    append(
        port,
        [
            reply_to(sent, "Thanks, sounds good.", when=now - timedelta(hours=2)),
            reply_to(sent, NOT_INTERESTED, when=now - timedelta(hours=1)),
        ],
    )
    async with make_api(**imap_settings(port)) as api:
        await poll(api, 2)
        async with make_sessionmaker(db.engine)() as session:
            first = await session.scalar(
                select(Reply.id)
                .where(Reply.lead_id == sent.lead.id)
                .order_by(Reply.received_at)
                .limit(1)
            )
        before = await state_of(db, sent.lead.id)
        assert before[0] == "lost"
        fixed = await api.patch(f"/replies/{first}", json={"classification": "auto_reply"})
        assert fixed.status_code == 200
        assert (await state_of(db, sent.lead.id))[0] == "lost"
        # The same class again changes nothing and records nothing.
        same = await api.patch(f"/replies/{first}", json={"classification": "auto_reply"})
        assert len(same.json()["corrections"]) == 1


async def test_bad_corrections_are_422_and_other_workspaces_404(
    db: Database, make_api: ApiFactory, port: int
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        sent = await make_sent(session, recipient="ned@blog-six.test")
    append(port, [reply_to(sent, INTERESTED)])
    async with make_api(**imap_settings(port)) as api:
        await poll(api, 1)
        reply_id = await only_reply(db, sent.lead.id)
        before = await state_of(db, sent.lead.id)
        bodies: list[Any] = [
            {"classification": "spam"},
            {},
            {"classification": "question", "lead_id": sent.lead.id},
            {"classification": "question", "extra": 1},
            [],
        ]
        for body in bodies:
            bad = await api.patch(f"/replies/{reply_id}", json=body)
            assert bad.status_code == 422, (body, bad.text)
            assert isinstance(bad.json()["detail"], list)
        # Already filed under a lead: not a candidate for filing by hand.
        matched = await api.patch(f"/replies/{reply_id}", json={"lead_id": sent.lead.id})
        assert matched.status_code == 422
        assert matched.json()["detail"][0]["type"] == "already_matched"
        for method in ("get", "patch"):
            theirs = await getattr(api, method)(
                f"/replies/{reply_id}", user="user_b", json={"classification": "other"}
            )
            assert theirs.status_code == 404
            assert theirs.json() == {"detail": "Resource not found"}
        assert (await api.get("/replies/rpl_nope")).status_code == 404
        assert await state_of(db, sent.lead.id) == before
