"""Data for the lead, inbox and placement page tests, written through the models as the sending,
polling and checking flows leave it (those flows have their own tests): a contacted lead with its
sent message and follow-up, replies, unmatched mail and a checked placement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backlink_outreach.db import make_sessionmaker, utcnow
from backlink_outreach.ids import new_id
from backlink_outreach.models import Campaign, Placement, Reply
from tests.replies.support import Sent, make_sent


def reply_row(
    sent: Sent | None,
    *,
    workspace: str = "user_a",
    subject: str = "Re: Guest post idea for Blog One",
    text: str = "Sounds good, send me a draft.",
    classification: str = "interested",
    confidence: float = 0.92,
    received_at: datetime | None = None,
    from_email: str | None = None,
) -> Reply:
    """A reply to `sent`'s message, or (without it) unmatched mail of `workspace`."""
    when = received_at or utcnow() - timedelta(hours=1)
    sender = from_email or (sent.attempt.recipient_email if sent else "someone@else.test")
    return Reply(
        id=new_id("rpl"),
        workspace_id=sent.campaign.workspace_id if sent else workspace,
        campaign_id=sent.campaign.id if sent else None,
        lead_id=sent.lead.id if sent else None,
        attempt_id=sent.attempt.id if sent else None,
        from_email=sender,
        subject=subject,
        snippet=text[:80],
        text=text,
        body=f"{text}\n\n> Hello, would you accept a guest post?",
        headers={"From": sender, "To": "outreach@sender.test", "Subject": subject},
        received_at=when,
        classification=classification,
        confidence=confidence,
        reasons=["seeded for the page test"],
        unmatched=sent is None,
    )


def placement_row(sent: Sent, *, status: str = "live", nofollow: bool = False) -> Placement:
    now = utcnow()
    first, second = now - timedelta(hours=3), now - timedelta(minutes=30)
    return Placement(
        id=new_id("plc"),
        workspace_id=sent.campaign.workspace_id,
        campaign_id=sent.campaign.id,
        lead_id=sent.lead.id,
        placement_url=f"https://{sent.lead.domain}/posts/composting",
        target_url="https://ours.example/guides/composting",
        status=status,
        checked_at=second,
        next_check_at=now + timedelta(days=7),
        http_status=200,
        link_href="https://ours.example/guides/composting",
        link_anchor_text="composting guide",
        link_rel=["nofollow"] if nofollow else [],
        link_in_content=True,
        link_nofollow=nofollow,
        robots_blocked=False,
        consecutive_misses=0,
        history=[
            {"at": first.isoformat(), "status": "missing", "http_status": 404},
            {"at": second.isoformat(), "status": status, "http_status": 200},
        ],
        created_at=now,
        updated_at=now,
    )


@dataclass
class History:
    sent: Sent
    reply: Reply
    placement: Placement


async def seed_history(engine: AsyncEngine, workspace: str = "user_a") -> History:
    """A lead with, oldest first: its message (2 days ago), a reply (a day ago), two link
    checks (hours ago) and a scheduled follow-up (in two days)."""
    async with make_sessionmaker(engine)() as session, session.begin():
        sent = await make_sent(
            session,
            workspace=workspace,
            recipient="editor@blog-one.test",
            sent_at=utcnow() - timedelta(days=2),
            follow_ups=1,
        )
        reply = reply_row(sent, received_at=utcnow() - timedelta(days=1))
        placement = placement_row(sent)
        session.add_all([reply, placement])
    return History(sent, reply, placement)


async def add_sent(
    session: AsyncSession,
    recipient: str,
    campaign: Campaign | None = None,
    workspace: str = "user_a",
) -> Sent:
    return await make_sent(
        session, workspace=workspace, recipient=recipient, follow_ups=0, campaign=campaign
    )
