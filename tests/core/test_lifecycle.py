"""The lead lifecycle: the event table as API.md states it, folding a batch equals applying its
events one by one, a placed lead stays placed on every path, suppression's first entry wins."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from backlink_outreach.db import make_sessionmaker, utcnow
from backlink_outreach.leads import lifecycle
from backlink_outreach.leads.lifecycle import Event, EventKind, Suppress
from backlink_outreach.models import (
    LEAD_STATUSES,
    Campaign,
    FollowUp,
    Lead,
    LeadStatus,
    Suppression,
)
from backlink_outreach.suppression.schemas import SuppressionSource
from tests.replies.support import make_sent
from tests.support.database import Database

ADDRESS = "editor@blog.test"


def event(kind: EventKind, lead_id: str | None = "lead_1") -> Event:
    """An event of the kind with whatever extra it needs."""
    if kind == "away":
        return Event(kind, lead_id, until=utcnow() + timedelta(days=3))
    if kind == "status_set":
        return Event(kind, lead_id, status="contacted")
    if lifecycle.RULES[kind].suppresses:
        return Event(kind, lead_id, suppress=Suppress("ws", ADDRESS, "bounce", "why"))
    return Event(kind, lead_id)


# The table of API.md / ARCHITECTURE.md, written out: event -> status each start ends in.
UNCHANGED = {s: s for s in LEAD_STATUSES}
EXPECTED: dict[EventKind, dict[LeadStatus, LeadStatus]] = {
    "sent": {**UNCHANGED, "discovered": "contacted"},
    "hard_bounce": {s: "placed" if s == "placed" else "bounced" for s in LEAD_STATUSES},
    "final_failure": {s: "placed" if s == "placed" else "bounced" for s in LEAD_STATUSES},
    "unsubscribed": {s: "placed" if s == "placed" else "lost" for s in LEAD_STATUSES},
    "not_interested": {s: "placed" if s == "placed" else "lost" for s in LEAD_STATUSES},
    "replied": {s: "placed" if s == "placed" else "replied" for s in LEAD_STATUSES},
    "away": UNCHANGED,
    "placed": dict.fromkeys(LEAD_STATUSES, "placed"),
    "link_lost": UNCHANGED,
    "stopped": UNCHANGED,
    "status_set": dict.fromkeys(LEAD_STATUSES, "contacted"),
}
STOPS = {"hard_bounce", "final_failure", "unsubscribed", "not_interested", "replied", "placed"}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_event_moves_each_status_as_the_table_says(kind: EventKind) -> None:
    net = lifecycle.plan([event(kind)]).leads["lead_1"]
    assert dict(zip(LEAD_STATUSES, net.ends, strict=True)) == EXPECTED[kind]
    stops = kind in STOPS or kind == "stopped"
    assert (net.stop_reason is not None) == stops
    assert (net.postpone_until is not None) == (kind == "away")


def test_only_a_placement_or_the_user_moves_a_placed_lead() -> None:
    for kind in EXPECTED:
        ends = dict(
            zip(LEAD_STATUSES, lifecycle.plan([event(kind)]).leads["lead_1"].ends, strict=True)
        )
        if kind not in ("placed", "status_set"):
            assert ends["placed"] == "placed", kind


def test_the_first_stop_reason_wins_and_a_stopped_lead_is_not_postponed() -> None:
    net = lifecycle.plan([event("replied"), event("hard_bounce"), event("away")])
    lead = net.leads["lead_1"]
    assert lead.stop_reason == "lead replied"
    assert lead.postpone_until is None
    assert dict(zip(LEAD_STATUSES, lead.ends, strict=True))["discovered"] == "bounced"


def test_an_event_missing_what_its_rule_needs_is_refused() -> None:
    with pytest.raises(ValueError):
        Event("hard_bounce", "lead_1")
    with pytest.raises(ValueError):
        Event("away", "lead_1")
    with pytest.raises(ValueError):
        Event("status_set", "lead_1")


Pair = tuple[tuple[str, str], tuple[str, str]]  # ((lead id, address) batched, one by one)


async def _twin_leads(db: Database, copies: int) -> list[Pair]:
    """Twin leads in two workspaces, `copies` per status, each with two scheduled follow-ups:
    one twin gets the events as a batch, the other one by one."""
    pairs = []
    sent_at = utcnow() - timedelta(days=1)  # one time for all, so twins' steps compare equal
    async with make_sessionmaker(db.engine)() as session, session.begin():
        campaigns: dict[str, Campaign | None] = {"user_a": None, "user_b": None}
        for n in range(copies):
            for status in LEAD_STATUSES:
                twins = []
                for workspace in campaigns:
                    sent = await make_sent(
                        session,
                        workspace=workspace,
                        recipient=f"{status}{n}@site{n}-{status}.test",
                        campaign=campaigns[workspace],
                        sent_at=sent_at,
                    )
                    campaigns[workspace] = sent.campaign
                    sent.lead.status = status
                    twins.append((sent.lead.id, sent.attempt.recipient_email))
                pairs.append((twins[0], twins[1]))
    return pairs


def _random_events(rng: random.Random, pairs: list[Pair]) -> tuple[list[Event], list[Event]]:
    """The same random events for each twin: (batched twin's, one-by-one twin's)."""
    batched: list[Event] = []
    single: list[Event] = []
    for n in range(len(pairs) * 3):
        pair = rng.choice(pairs)
        kind = rng.choice(sorted(EXPECTED))
        until = utcnow() + timedelta(days=rng.randint(1, 30))
        status = rng.choice(LEAD_STATUSES)
        source: SuppressionSource = rng.choice(["bounce", "reply", "unsubscribe"])
        for (lead_id, address), out, workspace in zip(
            pair, (batched, single), ("user_a", "user_b"), strict=True
        ):
            if kind == "away":
                out.append(Event(kind, lead_id, until=until))
            elif kind == "status_set":
                out.append(Event(kind, lead_id, status=status))
            elif lifecycle.RULES[kind].suppresses:
                entry = Suppress(workspace, address, source, f"{kind} {n}")
                out.append(Event(kind, lead_id, suppress=entry))
            else:
                out.append(Event(kind, lead_id))
    return batched, single


async def _state(db: Database, lead_id: str, address: str) -> tuple[object, ...]:
    async with make_sessionmaker(db.engine)() as session:
        status = await session.scalar(select(Lead.status).where(Lead.id == lead_id))
        steps = (
            await session.execute(
                select(FollowUp.status, FollowUp.reason, FollowUp.scheduled_for)
                .where(FollowUp.lead_id == lead_id)
                .order_by(FollowUp.step)
            )
        ).all()
        entry = (
            await session.execute(
                select(Suppression.source, Suppression.reason).where(Suppression.email == address)
            )
        ).all()
    return status, [tuple(s) for s in steps], [tuple(e) for e in entry]


async def test_a_batch_does_what_its_events_do_one_by_one(db: Database) -> None:
    pairs = await _twin_leads(db, copies=3)
    batched, single = _random_events(random.Random(12), pairs)
    now = utcnow()
    maker = make_sessionmaker(db.engine)
    async with maker() as session, session.begin():
        await lifecycle.apply(session, batched, now)
    for one in single:
        async with maker() as session, session.begin():
            await lifecycle.apply(session, [one], now)
    changed = suppressed = 0
    for (a_id, a_address), (b_id, b_address) in pairs:
        a, b = await _state(db, a_id, a_address), await _state(db, b_id, b_address)
        assert a == b
        changed += a[0] != "contacted"
        suppressed += bool(a[2])
    assert changed and suppressed, "the random events must change statuses and suppress"


async def test_an_address_with_no_lead_is_still_suppressed(db: Database) -> None:
    entry = Suppress("user_a", "gone@nowhere.test", "unsubscribe", "one-click")
    async with make_sessionmaker(db.engine)() as session, session.begin():
        await lifecycle.apply(session, [Event("unsubscribed", None, suppress=entry)], utcnow())
        listed = (await session.execute(select(Suppression.email, Suppression.source))).all()
    assert [tuple(row) for row in listed] == [("gone@nowhere.test", "unsubscribe")]
