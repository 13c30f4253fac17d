"""CSV exports parsed back with the csv module and compared field by field."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import insert

from backlink_outreach.analytics import exports
from backlink_outreach.db import make_read_sessionmaker, make_sessionmaker
from backlink_outreach.models import Lead
from tests.analytics import seed
from tests.conftest import Api
from tests.support.database import Database

T0 = seed.T0
ISO0 = "2025-01-01T00:00:00.000000+00:00"
ISO1 = "2025-01-01T01:00:00.000000+00:00"


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


async def seed_tricky(db: Database) -> None:
    """Values that are formulas, or contain the CSV delimiter, quotes, newlines, non-ASCII."""
    async with make_sessionmaker(db.engine).begin() as s:
        c = seed.campaign(s, "user_a", id="cmp_exp")
        l1 = seed.lead(
            s,
            c,
            "contacted",
            id="lead_one",
            website_url="https://one.example/",
            domain="one.example",
            contact_email="editor@one.example",
            website_title='=HYPERLINK("http://evil.example")',
            contact_name="+1 555 0100",
            notes='-10% off\nsecond line, "quoted"',
            source="@import",
            quality_score=0.5,
            guest_post_likelihood=1.0,
            consent=True,
            created_at=T0,
            updated_at=T0 + timedelta(hours=1),
        )
        l2 = seed.lead(
            s,
            c,
            "lost",
            id="lead_two",
            website_url="https://two.example/",
            domain="two.example",
            contact_email=None,
            website_title="Plain ünïcödé, title",
            notes="\tTabbed",
            source="\rCR",
            created_at=T0 + timedelta(hours=1),
            updated_at=T0 + timedelta(hours=1),
        )
        a1 = seed.attempt(
            s,
            l1,
            id="att_one",
            sent_at=T0 + timedelta(minutes=5),
            created_at=T0,
            subject="=1+2",
            body="line1\r\nline2, with comma",
            message_id="<one@sender.example>",
            legal_basis="legitimate_interest",
        )
        seed.attempt(
            s,
            l2,
            id="att_two",
            status="failed",
            created_at=T0 + timedelta(hours=1),
            kind="follow_up",
            step=1,
            recipient_email="x@two.example",
            subject="Plain",
            body="@channel",
            message_id="<two@sender.example>",
            error="-ERR refused",
        )
        seed.reply(
            s,
            l1,
            "bounce",
            a1,
            id="rep_one",
            from_email="mailer-daemon@one.example",
            subject="Undelivered",
            snippet="@everyone",
            received_at=T0 + timedelta(hours=2),
            confidence=0.97,
            reasons=["=cmd|' /C calc'!A0", "dsn 5.1.1"],
            bounce_type="hard",
            bounce_status="5.1.1",
            bounce_recipient="editor@one.example",
        )
        seed.reply(
            s,
            l2,
            "interested",
            id="rep_two",
            from_email="boss@two.example",
            subject="Re: Plain",
            snippet="Yes, please",
            received_at=T0 + timedelta(hours=1),
            confidence=0.42,
            reasons=[],
        )
        # Another campaign's rows must not appear.
        other = seed.campaign(s, "user_a")
        seed.reply(s, seed.lead(s, other), "other")


async def test_export_leads(db: Database, api: Api) -> None:
    await seed_tricky(db)
    response = await api.get("/campaigns/cmp_exp/export/leads")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="cmp_exp-leads.csv"'
    assert parse(response.content.decode("utf-8")) == [
        [
            "id",
            "campaign_id",
            "website_url",
            "domain",
            "website_title",
            "contact_email",
            "quality_score",
            "relevance_score",
            "guest_post_likelihood",
            "source",
            "status",
            "created_at",
            "updated_at",
            "contact_name",
            "notes",
            "consent",
            "target_url",
            "anchor_text",
        ],
        [
            "lead_one",
            "cmp_exp",
            "https://one.example/",
            "one.example",
            '\'=HYPERLINK("http://evil.example")',
            "editor@one.example",
            "0.5",
            "",
            "1.0",
            "'@import",
            "contacted",
            ISO0,
            ISO1,
            "'+1 555 0100",
            '\'-10% off\nsecond line, "quoted"',
            "true",
            "",
            "",
        ],
        [
            "lead_two",
            "cmp_exp",
            "https://two.example/",
            "two.example",
            "Plain ünïcödé, title",
            "",
            "",
            "",
            "",
            "'\rCR",
            "lost",
            ISO1,
            ISO1,
            "",
            "'\tTabbed",
            "false",
            "",
            "",
        ],
    ]


async def test_export_attempts(db: Database, api: Api) -> None:
    await seed_tricky(db)
    response = await api.get("/campaigns/cmp_exp/export/attempts")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="cmp_exp-attempts.csv"'
    rows = parse(response.text)
    assert rows[0] == [
        "id",
        "campaign_id",
        "lead_id",
        "kind",
        "step",
        "sender_email",
        "recipient_email",
        "subject",
        "body",
        "message_id",
        "status",
        "legal_basis",
        "error",
        "created_at",
        "sent_at",
    ]
    assert rows[1:] == [
        [
            "att_one",
            "cmp_exp",
            "lead_one",
            "initial",
            "0",
            "me@sender.example",
            "editor@one.example",
            "'=1+2",
            "line1\r\nline2, with comma",
            "<one@sender.example>",
            "sent",
            "legitimate_interest",
            "",
            ISO0,
            "2025-01-01T00:05:00.000000+00:00",
        ],
        [
            "att_two",
            "cmp_exp",
            "lead_two",
            "follow_up",
            "1",
            "me@sender.example",
            "x@two.example",
            "Plain",
            "'@channel",
            "<two@sender.example>",
            "failed",
            "",
            "'-ERR refused",
            ISO1,
            "",
        ],
    ]


async def test_export_replies(db: Database, api: Api) -> None:
    await seed_tricky(db)
    response = await api.get("/campaigns/cmp_exp/export/replies")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="cmp_exp-replies.csv"'
    rows = parse(response.text)
    assert rows == [
        [
            "id",
            "campaign_id",
            "lead_id",
            "attempt_id",
            "from_email",
            "subject",
            "snippet",
            "received_at",
            "classification",
            "confidence",
            "reasons",
            "bounce_type",
            "bounce_status",
            "bounce_recipient",
        ],
        # Oldest first: rep_two arrived an hour before rep_one.
        [
            "rep_two",
            "cmp_exp",
            "lead_two",
            "",
            "boss@two.example",
            "Re: Plain",
            "Yes, please",
            ISO1,
            "interested",
            "0.42",
            "",
            "",
            "",
            "",
        ],
        [
            "rep_one",
            "cmp_exp",
            "lead_one",
            "att_one",
            "mailer-daemon@one.example",
            "Undelivered",
            "'@everyone",
            "2025-01-01T02:00:00.000000+00:00",
            "bounce",
            "0.97",
            "'=cmd|' /C calc'!A0;dsn 5.1.1",
            "hard",
            "5.1.1",
            "editor@one.example",
        ],
    ]


async def test_empty_export_has_header_only(db: Database, api: Api) -> None:
    async with make_sessionmaker(db.engine).begin() as s:
        c = seed.campaign(s, "user_a")
    for kind, first in (("leads", "website_url"), ("attempts", "kind"), ("replies", "attempt_id")):
        rows = parse((await api.get(f"/campaigns/{c.id}/export/{kind}")).text)
        assert len(rows) == 1 and first in rows[0]


async def test_export_other_workspace_is_404(db: Database, api: Api) -> None:
    await seed_tricky(db)
    for kind in ("leads", "attempts", "replies"):
        for user, campaign_id in (("user_b", "cmp_exp"), ("user_a", "cmp_missing")):
            response = await api.get(f"/campaigns/{campaign_id}/export/{kind}", user=user)
            assert response.status_code == 404
            assert response.json() == {"detail": "Resource not found"}
        assert (await api.get(f"/campaigns/cmp_exp/export/{kind}", auth=False)).status_code == 401


async def seed_many_leads(db: Database, count: int) -> str:
    async with make_sessionmaker(db.engine).begin() as s:
        c = seed.campaign(s, "user_a")
    rows = [
        {
            "id": f"lead_bulk{i:05d}",
            "campaign_id": c.id,
            "workspace_id": "user_a",
            "website_url": f"https://bulk{i}.example/",
            "domain": f"bulk{i}.example",
            "status": "discovered",
            "consent": False,
            # Newest first on disk, so the export's order comes from ORDER BY, not insertion.
            "created_at": T0 + timedelta(seconds=count - i),
            "updated_at": T0,
        }
        for i in range(count)
    ]
    async with make_sessionmaker(db.engine).begin() as s:
        await s.execute(insert(Lead), rows)
    return c.id


async def test_export_spans_many_fetches(db: Database, api: Api) -> None:
    count = exports.ROWS_PER_FETCH * 2 + 345
    campaign_id = await seed_many_leads(db, count)
    rows = parse((await api.get(f"/campaigns/{campaign_id}/export/leads")).text)
    assert len(rows) == count + 1
    assert [r[0] for r in rows[1:]] == [f"lead_bulk{i:05d}" for i in reversed(range(count))]


async def test_sqlite_export_does_not_block_writers(db: Database) -> None:
    """Half-way through a streamed export, another connection can still write: the export
    reads without taking SQLite's write lock (a BEGIN IMMEDIATE would hold it)."""
    if db.backend != "sqlite":
        pytest.skip("PostgreSQL readers never block writers")
    campaign_id = await seed_many_leads(db, exports.ROWS_PER_FETCH * 2)
    opener = make_read_sessionmaker(db.engine)
    chunks = exports.stream_csv(opener, "leads", campaign_id)
    first = await anext(chunks)
    assert first.startswith(b"id,campaign_id,")

    def write() -> None:
        conn = sqlite3.connect(db.engine.url.database or "", timeout=1, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE leads SET notes = 'written' WHERE id = 'lead_bulk00000'")
            conn.execute("COMMIT")
        finally:
            conn.close()

    await asyncio.to_thread(write)
    rest = b"".join([chunk async for chunk in chunks])
    assert len(parse((first + rest).decode())) == exports.ROWS_PER_FETCH * 2 + 1
