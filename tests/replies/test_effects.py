"""Effects applied per batch must equal the effects of filing the replies one by one, in order:
several replies for one lead in one batch, soft bounces counted across batches, placed leads."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email.utils import format_datetime, make_msgid

from sqlalchemy import select

from backlink_outreach.db import make_sessionmaker, utcnow
from backlink_outreach.models import FollowUp, Lead, Reply, Suppression
from backlink_outreach.replies.filing import Outcome, file_batch, prepare
from backlink_outreach.replies.imap import Fetched
from tests.support.database import Database

from .support import SENDER, Sent, in_days, make_sent, reply_to

OWN = {SENDER}


def soft_bounce(sent: Sent, when: datetime) -> bytes:
    """An RFC 3464 report: mailbox full (5.2.2), a soft failure, quoting our message."""
    boundary = "b-" + make_msgid().strip("<>").replace("@", ".")
    rcpt = sent.attempt.recipient_email
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.{rcpt.split('@')[1]}>\r\n"
        f"To: {SENDER}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid(domain='mx.test')}\r\nDate: {format_datetime(when)}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\nYour message was not delivered.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.test\r\n\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        f"Diagnostic-Code: smtp; 552 5.2.2 {rcpt}: mailbox full\r\n"
        f"\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {SENDER}\r\nTo: {rcpt}\r\nMessage-ID: {sent.attempt.message_id}\r\n"
        f"Subject: {sent.attempt.subject}\r\n\r\n--{boundary}--\r\n"
    ).encode()


async def file(db: Database, messages: list[bytes]) -> list[Outcome]:
    today = utcnow().date()
    prepared = [prepare(Fetched(uid, raw, None), today) for uid, raw in enumerate(messages, 1)]
    async with make_sessionmaker(db.engine)() as session, session.begin():
        return await file_batch(session, "box", prepared, OWN, utcnow())


def away(sent: Sent, back: date) -> bytes:
    return reply_to(
        sent,
        f"I am out of the office until {back.isoformat()} with limited access to email.",
        subject="Automatic reply: " + sent.attempt.subject,
        headers={"Auto-Submitted": "auto-replied"},
    )


async def test_replies_for_one_lead_in_one_batch_apply_in_order(db: Database) -> None:
    sessionmaker = make_sessionmaker(db.engine)
    async with sessionmaker() as session, session.begin():
        first = await make_sent(session, recipient="a@one.test")
        placed = await make_sent(session, recipient="b@two.test", campaign=first.campaign)
        twice = await make_sent(session, recipient="c@three.test", campaign=first.campaign)
        leaving = await make_sent(session, recipient="d@four.test", campaign=first.campaign)
        placed.lead.status = "placed"
    soon, later = in_days(20), in_days(40)
    outcomes = await file(
        db,
        [
            # Away, then a real answer: the answer wins and cancels the sequence.
            away(first, soon),
            reply_to(first, "Yes, sounds good. Send me the draft."),
            reply_to(placed, "Not interested, thanks."),
            # Away twice: follow-ups move past the later return date.
            away(twice, soon),
            away(twice, later),
            reply_to(leaving, "Please unsubscribe me."),
            reply_to(leaving, "Remove me from your list!"),
        ],
    )
    assert [o.status for o in outcomes] == ["filed"] * 7
    async with sessionmaker() as session:
        leads = {lead.id: lead.status for lead in await session.scalars(select(Lead))}
        follow = {(f.lead_id, f.step): f for f in await session.scalars(select(FollowUp))}
        suppressed = (await session.scalars(select(Suppression))).all()
    assert leads[first.lead.id] == "replied"
    assert leads[placed.lead.id] == "placed"
    assert leads[twice.lead.id] == "contacted"
    assert leads[leaving.lead.id] == "lost"
    assert (follow[(first.lead.id, 1)].status, follow[(first.lead.id, 1)].reason) == (
        "cancelled",
        "lead replied",
    )
    assert follow[(placed.lead.id, 2)].status == "cancelled"
    moved = follow[(twice.lead.id, 1)]
    assert moved.status == "scheduled"
    assert moved.scheduled_for.date() == later + timedelta(days=1)
    # The spacing between steps is kept (4 days in make_sent).
    assert follow[(twice.lead.id, 2)].scheduled_for - moved.scheduled_for == timedelta(days=4)
    assert follow[(leaving.lead.id, 1)].reason == "unsubscribed"
    assert [(s.email, s.source, s.reason) for s in suppressed] == [
        ("d@four.test", "reply", "asked by reply")
    ]


async def test_third_soft_bounce_within_a_week_counts_as_hard_across_batches(
    db: Database,
) -> None:
    sessionmaker = make_sessionmaker(db.engine)
    async with sessionmaker() as session, session.begin():
        sent = await make_sent(session, recipient="full@mailbox.test")
        other = await make_sent(session, recipient="other@another.test", campaign=sent.campaign)
    now = utcnow()
    # Two in the first batch, one of them for another address: not three for `full@` yet.
    await file(
        db,
        [
            soft_bounce(sent, now - timedelta(days=3)),
            soft_bounce(other, now - timedelta(days=2)),
            soft_bounce(sent, now - timedelta(days=2)),
        ],
    )
    async with sessionmaker() as session:
        lead = await session.get(Lead, sent.lead.id)
        assert lead is not None and lead.status == "bounced"  # a final failure ends the sequence
        assert (await session.scalars(select(Suppression))).all() == []  # soft: not suppressed
    # The third, in a later batch, makes it hard; a bounce 8 days old would not have counted.
    await file(db, [soft_bounce(sent, now)])
    async with sessionmaker() as session:
        replies = (
            await session.scalars(
                select(Reply)
                .where(Reply.bounce_recipient == "full@mailbox.test")
                .order_by(Reply.received_at)
            )
        ).all()
        lead = await session.get(Lead, sent.lead.id)
        other_lead = await session.get(Lead, other.lead.id)
        suppressed = {(s.email, s.source) for s in await session.scalars(select(Suppression))}
    assert [r.bounce_type for r in replies] == ["soft", "soft", "hard"]
    assert "third soft bounce within 7 days: counted as hard" in replies[-1].reasons
    assert lead is not None and lead.status == "bounced"
    assert other_lead is not None and other_lead.status == "bounced"  # soft: ended, kept
    assert suppressed == {("full@mailbox.test", "bounce")}


async def test_three_soft_bounces_in_one_batch_and_old_ones_do_not_count(db: Database) -> None:
    sessionmaker = make_sessionmaker(db.engine)
    async with sessionmaker() as session, session.begin():
        sent = await make_sent(session, recipient="x@full.test")
        stale = await make_sent(session, recipient="y@stale.test", campaign=sent.campaign)
    now = utcnow()
    await file(
        db,
        [
            soft_bounce(sent, now - timedelta(hours=3)),
            soft_bounce(sent, now - timedelta(hours=2)),
            soft_bounce(sent, now - timedelta(hours=1)),
            soft_bounce(stale, now - timedelta(days=10)),
            soft_bounce(stale, now - timedelta(days=9)),
            soft_bounce(stale, now),
        ],
    )
    async with sessionmaker() as session:
        types = {
            (r.bounce_recipient, r.received_at.replace(microsecond=0)): r.bounce_type
            for r in await session.scalars(select(Reply))
        }
        statuses = {lead.id: lead.status for lead in await session.scalars(select(Lead))}
    assert sorted(t or "" for (a, _), t in types.items() if a == "x@full.test") == [
        "hard",
        "soft",
        "soft",
    ]
    assert all(t == "soft" for (a, _), t in types.items() if a == "y@stale.test")
    assert statuses == {sent.lead.id: "bounced", stale.lead.id: "bounced"}


def unquoted_bounce(
    rcpt: str, when: datetime, *, status: str, text: str, original: str = ""
) -> bytes:
    """A report that quotes none of our Message-IDs: matched by its failed recipient only."""
    boundary = "b-" + make_msgid().strip("<>").replace("@", ".")
    block = f"Final-Recipient: rfc822; {rcpt}\r\n"
    if original:
        block += f"Original-Recipient: rfc822; {original}\r\n"
    action = "delayed" if status.startswith("4") and "delay" in text else "failed"
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.{rcpt.split('@')[1]}>\r\n"
        f"To: {SENDER}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid(domain='mx.test')}\r\nDate: {format_datetime(when)}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.test\r\n\r\n"
        f"{block}Action: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {text}\r\n\r\n--{boundary}--\r\n"
    ).encode()


async def test_delay_changes_nothing_and_a_soft_final_failure_ends_without_suppressing(
    db: Database,
) -> None:
    sessionmaker = make_sessionmaker(db.engine)
    async with sessionmaker() as session, session.begin():
        delayed = await make_sent(session, recipient="slow@delay.test")
        full = await make_sent(session, recipient="full@soft.test", campaign=delayed.campaign)
    now = utcnow()
    outcomes = await file(
        db,
        [
            unquoted_bounce(
                "slow@delay.test", now, status="4.4.7", text="451 4.4.7 delayed, will retry"
            ),
            soft_bounce(full, now),
        ],
    )
    assert [o.status for o in outcomes] == ["filed", "filed"]
    async with sessionmaker() as session:
        replies = {r.lead_id: r for r in await session.scalars(select(Reply))}
        leads = {lead.id: lead.status for lead in await session.scalars(select(Lead))}
        steps = {(f.lead_id, f.step): f.status for f in await session.scalars(select(FollowUp))}
        suppressed = (await session.scalars(select(Suppression))).all()
    delay = replies[delayed.lead.id]
    assert delay.classification == "auto_reply" and delay.bounce_type is None
    assert any("delay" in reason for reason in delay.reasons)
    assert leads[delayed.lead.id] == "contacted"
    assert steps[(delayed.lead.id, 1)] == "scheduled"
    assert replies[full.lead.id].bounce_type == "soft"
    assert leads[full.lead.id] == "bounced"
    assert steps[(full.lead.id, 1)] == "cancelled"
    assert suppressed == []


async def test_bounces_matched_by_recipient_within_30_days_the_sent_address_first(
    db: Database,
) -> None:
    sessionmaker = make_sessionmaker(db.engine)
    now = utcnow()
    async with sessionmaker() as session, session.begin():
        recent = await make_sent(session, recipient="gone@recent.test")
        old = await make_sent(
            session,
            recipient="gone@old.test",
            campaign=recent.campaign,
            sent_at=now - timedelta(days=40),
        )
        forwarded = await make_sent(session, recipient="lead@fwd.test", campaign=recent.campaign)
    unknown = "550 5.1.1 user unknown"
    outcomes = await file(
        db,
        [
            unquoted_bounce("gone@recent.test", now, status="5.1.1", text=unknown),
            unquoted_bounce("gone@old.test", now, status="5.1.1", text=unknown),
            unquoted_bounce("never@written.test", now, status="5.1.1", text=unknown),
            # The report names the forwarding address; the one we wrote to is the original.
            unquoted_bounce(
                "owner@elsewhere.test",
                now,
                status="5.1.1",
                text=unknown,
                original="lead@fwd.test",
            ),
        ],
    )
    assert [o.status for o in outcomes] == ["filed", "ignored", "ignored", "filed"]
    async with sessionmaker() as session:
        replies = {r.lead_id: r for r in await session.scalars(select(Reply))}
        leads = {lead.id: lead.status for lead in await session.scalars(select(Lead))}
        suppressed = {s.email for s in await session.scalars(select(Suppression))}
    assert set(replies) == {recent.lead.id, forwarded.lead.id}
    assert "matched by bounce recipient" in replies[recent.lead.id].reasons
    assert replies[forwarded.lead.id].bounce_recipient == "lead@fwd.test"
    assert leads[old.lead.id] == "contacted"
    assert suppressed == {"gone@recent.test", "lead@fwd.test"}


async def test_a_report_naming_only_a_forwarding_address_matches_the_returned_originals_to(
    db: Database,
) -> None:
    """No Message-ID quoted, no Original-Recipient, no "expanded from": the returned headers'
    To is the address we wrote to, and it outranks the forwarding address the report names,
    even when we also wrote to that one."""
    sessionmaker = make_sessionmaker(db.engine)
    async with sessionmaker() as session, session.begin():
        ours = await make_sent(session, recipient="editor@lead.test")
        other = await make_sent(session, recipient="owner@fwd.test", campaign=ours.campaign)
    boundary = "b-fwd-1"
    raw = (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.fwd.test>\r\nTo: {SENDER}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid(domain='mx.test')}\r\nDate: {format_datetime(utcnow())}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\nYour message was not delivered.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.fwd.test\r\n\r\n"
        "Final-Recipient: rfc822; owner@fwd.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        f"\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {SENDER}\r\nTo: editor@lead.test\r\nSubject: {ours.attempt.subject}\r\n"
        f"\r\n--{boundary}--\r\n"
    ).encode()
    outcomes = await file(db, [raw])
    assert [o.status for o in outcomes] == ["filed"]
    async with sessionmaker() as session:
        replies = list(await session.scalars(select(Reply)))
        leads = {lead.id: lead.status for lead in await session.scalars(select(Lead))}
        suppressed = {s.email for s in await session.scalars(select(Suppression))}
    assert [r.lead_id for r in replies] == [ours.lead.id]
    assert replies[0].bounce_recipient == "editor@lead.test"
    assert leads == {ours.lead.id: "bounced", other.lead.id: "contacted"}
    assert suppressed == {"editor@lead.test"}
