"""Bulk inserts (`leads/bulk_insert.py`): on SQLite they bypass SQLAlchemy's parameter
processing, so what they store must be exactly what the usual path stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import utcnow
from backlink_outreach.leads import bulk_insert
from backlink_outreach.models import Lead
from tests.conftest import Api, create_campaign
from tests.support.database import Database

FIELDS = {
    "website_title": "Jardín ✿",
    "contact_email": "ed@one.example",
    "contact_name": None,
    "notes": "line\nbreak",
    "consent": True,
    "quality_score": 0.1,
    "relevance_score": None,
    "guest_post_likelihood": 1.0,
    "source": "csv",
    "target_url": "https://ours.example/guides/composting",
    "anchor_text": "Jardín guide",
    "authority": 37,
}


async def test_bulk_rows_are_stored_as_single_adds_store_them(api: Api, db: Database) -> None:
    campaign = await create_campaign(api)
    path = f"/campaigns/{campaign['id']}/leads"
    single = await api.post(path, json={"website_url": "https://one.example/", **FIELDS})
    assert single.status_code == 201
    bulk = await api.post(f"{path}/bulk", json=[{"website_url": "https://two.example/", **FIELDS}])
    assert bulk.json()["added"] == 1

    leads = {
        lead["domain"]: lead
        for lead in (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]
    }
    ignore = {"id", "website_url", "domain", "created_at", "updated_at"}
    one, two = (
        {k: v for k, v in leads[d].items() if k not in ignore}
        for d in ("one.example", "two.example")
    )
    assert one == two and two["consent"] is True and two["notes"] == "line\nbreak"

    async with db.engine.connect() as conn:
        raw = (
            await conn.execute(
                text("SELECT domain, created_at, updated_at, consent FROM leads ORDER BY domain")
            )
        ).all()
    (_, created_1, updated_1, consent_1), (_, created_2, updated_2, consent_2) = raw
    # The same storage shape (SQLite: text without an offset; PostgreSQL: timestamptz).
    assert type(created_1) is type(created_2) and consent_1 == consent_2
    if isinstance(created_1, str):
        assert len(created_1) == len(created_2) and created_2 == updated_2
        assert created_1[10] == created_2[10] and created_1 == updated_1


async def test_returns_only_the_rows_inserted(db: Database) -> None:
    rows: list[dict[str, Any]] = []
    now = utcnow()
    async with AppDatabase(db.engine).write() as session:
        await session.execute(
            text(
                "INSERT INTO campaigns (id, workspace_id, name, keywords, follow_up_days,"
                " created_at, updated_at) VALUES ('cmp_bulk', 'w', 'n', '[]', '[]',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    for n, domain in enumerate(["a.example", "b.example", "a.example"]):
        rows.append(
            {
                "id": f"lead_{n}",
                "campaign_id": "cmp_bulk",
                "workspace_id": "w",
                "website_url": f"https://{domain}/",
                "domain": domain,
                **{k: None for k in FIELDS},
                "consent": False,
                "status": "discovered",
                "created_at": now,
                "updated_at": now,
            }
        )
    async with AppDatabase(db.engine).write() as session:
        assert await bulk_insert.insert_new(session, rows[:1]) == 1
    async with AppDatabase(db.engine).write() as session:
        # a.example is already there, and twice in this batch: only b.example is new.
        assert await bulk_insert.insert_new(session, rows[1:] + rows[:1]) == 1
    async with db.engine.connect() as conn:
        stored = (await conn.execute(select(Lead.id).order_by(Lead.id))).scalars().all()
    assert stored == ["lead_0", "lead_1"]


async def _campaign(db: Database, campaign_id: str) -> None:
    async with AppDatabase(db.engine).write() as session:
        await session.execute(
            text(
                "INSERT INTO campaigns (id, workspace_id, name, keywords, follow_up_days,"
                " created_at, updated_at) VALUES (:id, 'w', 'n', '[]', '[]',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"id": campaign_id},
        )


NOW = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
# The same kind of value as utcnow() gives, in another zone: stored as its UTC instant.
LATER = datetime(2026, 3, 4, 7, 6, 8, tzinfo=timezone(timedelta(hours=2)))


def _varied_rows(campaign_id: str, prefix: str) -> list[list[dict[str, Any]]]:
    """Batches that take every shape of the fast insert: columns that differ from row to row,
    columns with one value in every row (None, a text, a flag, the times), duplicates of a
    domain inside a batch (the first wins) and against an earlier batch, a batch of one."""

    def row(n: int, domain: str, **values: Any) -> dict[str, Any]:
        return {
            "id": f"lead_{prefix}_{n:03d}",
            "campaign_id": campaign_id,
            "workspace_id": "w",
            "website_url": f"https://{domain}/page",
            "domain": domain,
            **{k: None for k in FIELDS},
            "consent": False,
            "status": "discovered",
            "created_at": NOW,
            "updated_at": NOW,
            **values,
        }

    varied = [
        row(
            n,
            f"d{n % 7}.example",
            website_title=f"Jardín ✿ {n}" if n % 3 else None,
            contact_email=f"ed{n}@one.example",
            notes="line\nbreak" if n % 2 else "",
            consent=n % 2 == 0,
            quality_score=n / 10 if n % 4 else None,
            relevance_score=1.0,
            authority=n if n % 5 else None,
            status="contacted" if n == 3 else "discovered",
            updated_at=LATER if n == 4 else NOW,
        )
        for n in range(12)
    ]
    shared = [
        row(
            100 + n,
            f"s{n}.example",
            notes="same",
            source="csv",
            consent=True,
            authority=7,
            # Equal, but stored apart: not one value for the whole batch.
            quality_score=0.0 if n == 0 else -0.0,
        )
        for n in range(5)
    ]
    again = [row(200, "d1.example"), row(201, "new.example"), row(202, "s0.example")]
    return [varied, shared, again, [row(300, "one.example", anchor_text="Jardín guide")]]


async def _stored(db: Database, campaign_id: str) -> list[tuple[Any, ...]]:
    columns = [name for name in bulk_insert._COLUMNS if name not in ("id", "campaign_id")]
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                f"SELECT substr(id, 8), {', '.join(columns)} FROM leads"
                " WHERE campaign_id = :campaign ORDER BY domain"
            ),
            {"campaign": campaign_id},
        )
        return [tuple(stored) for stored in rows]


async def test_fast_insert_stores_what_the_general_insert_stores(db: Database) -> None:
    """`insert_new` (sqlite3's executemany, or asyncpg's one statement over arrays) against
    SQLAlchemy's own INSERT: the same counts, and the same rows stored, byte for byte."""
    counts: dict[str, list[int]] = {}
    for campaign_id, prefix, insert in (
        ("cmp_general", "g", bulk_insert._insert_general),
        ("cmp_fast", "f", bulk_insert.insert_new),
    ):
        await _campaign(db, campaign_id)
        counts[prefix] = []
        for batch in _varied_rows(campaign_id, prefix):
            async with AppDatabase(db.engine).write() as session:
                counts[prefix].append(await insert(session, batch))
    assert counts["g"] == counts["f"] == [7, 5, 1, 1]
    general, fast = await _stored(db, "cmp_general"), await _stored(db, "cmp_fast")
    assert repr(general) == repr(fast) and len(fast) == 14  # repr: -0.0 is not 0.0 here
    # Within a batch the first row of a domain is the one stored.
    assert {stored[0] for stored in fast} >= {f"{n:03d}" for n in range(7)}


async def test_fast_insert_of_no_rows_inserts_nothing(db: Database) -> None:
    async with AppDatabase(db.engine).write() as session:
        assert await bulk_insert.insert_new(session, []) == 0


async def test_fast_insert_refuses_what_the_general_insert_refuses(db: Database) -> None:
    """A value too long for its column: PostgreSQL refuses it on either route (the fast route
    must not cut it short to fit); SQLite, which has no lengths, stores it on either."""
    outcomes: list[int | str] = []
    for campaign_id, insert in (
        ("cmp_general", bulk_insert._insert_general),
        ("cmp_fast", bulk_insert.insert_new),
    ):
        await _campaign(db, campaign_id)
        batches = _varied_rows(campaign_id, campaign_id)
        batches[0][1]["website_title"] = "t" * 501
        for row in batches[1]:  # a column with one value in every row of the batch
            row["source"] = "s" * 201
        for batch in batches[:2]:
            try:
                async with AppDatabase(db.engine).write() as session:
                    outcomes.append(await insert(session, batch))
            except DBAPIError as exc:
                outcomes.append(str(exc.orig).split(":")[-1].strip())
    half = len(outcomes) // 2
    assert outcomes[:half] == outcomes[half:]
    assert outcomes[:half] == (
        [
            "value too long for type character varying(500)",
            "value too long for type character varying(200)",
        ]
        if db.backend == "postgresql"
        else [7, 5]
    )
