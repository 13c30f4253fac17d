"""The lead list's fast path (`leads/listing.py`, `_driver_page`) against its general path
(`_general_page`, SQLAlchemy's execution): for every sort, filter and kind of cursor, page by
page, the same SQL with the same parameters, and the same rows, written as the same bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, get_args

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backlink_outreach import pages
from backlink_outreach.auth import Principal
from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import read_only_engine
from backlink_outreach.errors import NotFound, Unprocessable
from backlink_outreach.leads import listing
from backlink_outreach.responses import dump_json
from backlink_outreach.rows import DriverQuery
from tests.conftest import Api, create_campaign
from tests.support.database import Database

USER = Principal(user_id="user_a")
SCORES = [None, 0.5, 0.5, 0.1, None, 0.9, 0.5, None, 0.3, 0.5, 0.0, 1.0]
FILTERS: list[dict[str, Any]] = [
    {},
    {"status": "discovered"},
    {"q": "green"},
    {"status": "discovered", "q": "_green%"},
]


async def _seed(api: Api) -> str:
    """Leads with ties and missing values in every sortable column, some matching `q`."""
    campaign = await create_campaign(api)
    body = [
        {
            "website_url": f"https://{'green' if i % 3 else 'blue'}{i}.test",
            "website_title": "_green% site" if i % 4 == 0 else None,
            "quality_score": score,
            "relevance_score": SCORES[-1 - i],
            "guest_post_likelihood": score if i % 2 else None,
            "authority": None if score is None else int(score * 100),
            "consent": i % 2 == 0,
        }
        for i, score in enumerate(SCORES)
    ]
    added = await api.post(f"/campaigns/{campaign['id']}/leads/bulk", json=body)
    assert added.json()["added"] == len(SCORES), added.text
    listed = (await api.get(f"/campaigns/{campaign['id']}/leads")).json()
    for lead in listed[::3]:  # some leads in another status, and a later updated_at
        path = f"/campaigns/{campaign['id']}/leads/{lead['id']}/status"
        assert (await api.patch(path, json={"status": "contacted"})).status_code == 200
    return str(campaign["id"])


@pytest.fixture
async def connection(db: Database) -> AsyncIterator[AsyncConnection]:
    async with read_only_engine(db.engine).connect() as conn:
        yield conn


async def _general(
    connection: AsyncConnection, campaign_id: str, page: pages.Page, **filters: Any
) -> tuple[list[Any], list[tuple[str, tuple[Any, ...]]]]:
    """The general path's rows, and the SELECTs it sent (as an engine listener sees them)."""
    sent: list[tuple[str, tuple[Any, ...]]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _x: Any, _m: bool) -> None:
        if statement.startswith("SELECT"):  # not SQLite's BEGIN
            sent.append((statement, tuple(params)))

    engine = connection.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        rows = await listing._general_page(connection, USER, campaign_id, page, **filters)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return rows, sent


async def _fast(
    connection: AsyncConnection,
    campaign_id: str,
    page: pages.Page,
    monkeypatch: pytest.MonkeyPatch,
    **filters: Any,
) -> tuple[list[Any], list[tuple[str, tuple[Any, ...]]]]:
    """The fast path's rows, and the SELECTs it sent to the driver."""
    sent: list[tuple[str, tuple[Any, ...]]] = []
    rows_of = DriverQuery.rows

    async def spy(self: DriverQuery, driver: Any, values: Any) -> Any:
        sent.append((self.sql, tuple(self.parameters(values))))
        return await rows_of(self, driver, values)

    with monkeypatch.context() as patch:
        patch.setattr(DriverQuery, "rows", spy)
        rows = await listing._driver_page(connection, USER, campaign_id, page, **filters)
    return rows, sent


def _next_cursor(rows: list[Any], page: pages.Page, sort: str) -> str | None:
    assert page.limit is not None
    if len(rows) <= page.limit:
        return None
    keyset = listing.KEYSETS[sort]
    last = rows[page.limit - 1]
    return keyset.encode(getattr(last, keyset.name), last.id)


@pytest.mark.parametrize("sort", get_args(listing.LeadSort))
async def test_every_page_is_the_general_paths_page(
    api: Api, connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    campaign_id = await _seed(api)
    for filters in FILTERS:
        for limit in (2, 5, 100):
            cursor: str | None = None
            pages_read = 0
            while True:
                page = pages.Page(limit, cursor)
                args = {**filters, "sort": sort}
                general, general_sql = await _general(connection, campaign_id, page, **args)
                fast, fast_sql = await _fast(connection, campaign_id, page, monkeypatch, **args)
                assert fast_sql == general_sql, (filters, limit, cursor)
                assert fast == general, (filters, limit, cursor)
                assert dump_json(fast) == dump_json(general)
                pages_read += 1
                cursor = _next_cursor(fast, page, sort)
                if cursor is None:
                    break
            assert pages_read >= 1


async def test_values_come_back_as_the_general_path_has_them(
    api: Api, connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Types, not only equality: aware UTC times, real booleans (SQLite stores 0/1)."""
    campaign_id = await _seed(api)
    page = pages.Page(100, None)
    fast, _ = await _fast(connection, campaign_id, page, monkeypatch)
    general, _ = await _general(connection, campaign_id, page)
    for mine, theirs in zip(fast, general, strict=True):
        for name in listing._FIELDS:
            ours, expected = getattr(mine, name), getattr(theirs, name)
            assert type(ours) is type(expected), name
    assert all(lead.created_at.tzinfo is not None for lead in fast)
    assert {type(lead.consent) for lead in fast} == {bool}


async def test_refusals_are_the_same(
    api: Api, connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign_id = await _seed(api)
    other = Principal(user_id="user_b")
    for run in (listing._general_page, listing._driver_page):
        for who, target in ((other, campaign_id), (USER, "cmp_missing"), (USER, "a\x00b")):
            with pytest.raises(NotFound):
                await run(connection, who, target, pages.Page(10, None))
        wrong_sort = listing.KEYSETS["created_at"].encode(None, "lead_x")
        for cursor in ("bm90LWpzb24", wrong_sort):
            page = pages.Page(10, cursor)
            with pytest.raises(Unprocessable):
                await run(connection, USER, campaign_id, page, sort="-quality_score")
            with pytest.raises(NotFound):  # someone else's campaign: 404 before the cursor
                await run(connection, other, campaign_id, page, sort="-quality_score")


async def test_the_campaign_is_looked_up_only_for_an_empty_page(
    api: Api, connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's statements carry the tenancy condition, so a page with rows is its statement
    alone; an empty page looks the campaign up after it: [] for the caller's own campaign, 404
    for another's (whose leads the page did not see). Bad cursors: `test_refusals_are_the_same`."""
    campaign_id = await _seed(api)
    other = Principal(user_id="user_b")

    async def fast(page: pages.Page, **filters: Any) -> Any:
        return await _fast(connection, campaign_id, page, monkeypatch, **filters)

    async def general(page: pages.Page, **filters: Any) -> Any:
        return await _general(connection, campaign_id, page, **filters)

    for run in (general, fast):
        found, sent = await run(pages.Page(5, None), sort="-quality_score")
        assert len(found) == 6 and len(sent) == 1 and "FROM leads" in sent[0][0]
        found, sent = await run(pages.Page(5, None), q="nothing-like-it")
        assert found == [] and len(sent) == 2
        assert "FROM leads" in sent[0][0] and "FROM campaigns" in sent[1][0]
    for path in (listing._general_page, listing._driver_page):
        with pytest.raises(NotFound):
            await path(connection, other, campaign_id, pages.Page(5, None))


async def test_the_fast_path_runs_unless_statements_are_observed(
    api: Api, connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain requests take the driver; with a statement listener on the engine (tracing, the
    benchmark's capture) the general path runs, so that listener sees every statement."""
    campaign_id = await _seed(api)
    taken: list[str] = []
    for name in ("_driver_page", "_general_page"):
        real = getattr(listing, name)

        async def tagged(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            taken.append(_name)
            return await _real(*args, **kw)

        monkeypatch.setattr(listing, name, tagged)
    page = pages.Page(5, None)
    await listing.list_leads(connection, USER, campaign_id, page)
    await listing.list_leads(connection, USER, campaign_id, pages.Page(None, None))
    engine = connection.sync_engine

    def noop(*_args: Any) -> None:
        return None

    event.listen(engine, "before_cursor_execute", noop)
    try:
        await listing.list_leads(connection, USER, campaign_id, page)
    finally:
        event.remove(engine, "before_cursor_execute", noop)
    assert taken == ["_driver_page", "_general_page", "_general_page"]


async def test_a_page_on_a_leased_driver_is_the_general_paths_page(
    api: Api, db: Database, connection: AsyncConnection
) -> None:
    """`list_leads_leased` (the API's route): on a driver connection lent by the pool, the
    general path's rows and refusals, the connection back in the pool either way; with a
    statement listener on the engine the lease is refused and the listener sees the page."""
    campaign_id = await _seed(api)
    database = AppDatabase(db.engine)
    pool: Any = db.engine.sync_engine.pool  # a QueuePool (checkedout() is not on Pool)
    held = pool.checkedout()  # the fixture's own connection
    for filters in FILTERS:
        for sort in ("created_at", "-quality_score"):
            page = pages.Page(5, None)
            general, _ = await _general(connection, campaign_id, page, sort=sort, **filters)
            leased = await listing.list_leads_leased(
                database, USER, campaign_id, page, sort=sort, **filters
            )
            assert leased == general and pool.checkedout() == held
    with pytest.raises(NotFound):
        await listing.list_leads_leased(
            database, Principal(user_id="user_b"), campaign_id, pages.Page(5, None)
        )
    assert pool.checkedout() == held
    seen: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        observed = await listing.list_leads_leased(database, USER, campaign_id, pages.Page(5, None))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    general, _ = await _general(connection, campaign_id, pages.Page(5, None))
    assert observed == general
    assert any("FROM leads" in statement for statement in seen)


async def test_sqlite_rolls_back_only_open_transactions(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`db._roll_back_open_transactions`: a connection back in the pool with a transaction open
    is still rolled back; one without is not (a rollback is a thread hop on aiosqlite)."""
    if db.backend != "sqlite":
        pytest.skip("SQLite's pool reset")
    import aiosqlite

    rollbacks: list[bool] = []
    real = aiosqlite.Connection.rollback

    async def counted(self: aiosqlite.Connection) -> None:
        rollbacks.append(self.in_transaction)
        await real(self)

    monkeypatch.setattr(aiosqlite.Connection, "rollback", counted)
    engine = read_only_engine(db.engine)
    async with engine.connect() as conn:  # driver reads only, as the fast path does
        driver: Any = (await conn.get_raw_connection()).driver_connection
        await driver.execute_fetchall("SELECT 1", [])
    assert rollbacks == []
    async with engine.connect() as conn:  # a transaction SQLAlchemy does not know of
        driver = (await conn.get_raw_connection()).driver_connection
        await driver.execute_fetchall("BEGIN", [])
    assert rollbacks == [True]
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert not driver.in_transaction
        await conn.execute(select(1))  # SQLAlchemy's own transaction: it rolls back itself
    assert rollbacks == [True, True]
