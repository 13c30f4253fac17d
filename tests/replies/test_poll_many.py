"""Polling many mailboxes (API.md part 2, "Mailboxes", Polling) against one real pymap server
with several users as several mailboxes: each mailbox its own watermark, schedule and lease, at
most POLL_CONCURRENCY at once, a failing one recording `health.last_error` and backing off while
the others carry on, and a workspace's own mailbox filing only into that workspace."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import select, update

from backlink_outreach.config import Settings
from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import make_sessionmaker, utcnow
from backlink_outreach.ids import new_id
from backlink_outreach.models import Mailbox, MailboxState, Reply
from backlink_outreach.replies import accounts, imap, poller, service
from tests.conftest import Api
from tests.mailboxes.support import KEY, create_mailbox
from tests.outreach.conftest import MakeApi
from tests.support.database import Database
from tests.support.mailservers import silent_port
from tests.support.pymap_users import pymap_users_server

from .support import IMAP_PASSWORD, IMAP_USER, imap_settings, make_sent, reply_to

USERS = {
    IMAP_USER: IMAP_PASSWORD,  # the deployment's default mailbox
    "alice@agency-a.test": "Alice-imap-pass-1",
    "bob@agency-b.test": "Bob-imap-pass-2",
    "carol@agency-a.test": "Carol-imap-pass-3",
    **{f"box{i}@many.test": f"Box-pass-{i}" for i in range(5)},
}
ALICE, BOB, CAROL = "alice@agency-a.test", "bob@agency-b.test", "carol@agency-a.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with pymap_users_server(tmp_path_factory.mktemp("pymap-users"), USERS) as port:
        yield port


def _client(port: int, user: str) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10)
    client.login(user, USERS[user])
    return client


@pytest.fixture
def port(server: int) -> int:
    """Every user's INBOX emptied before the test."""
    for user in USERS:
        with _client(server, user) as client:
            client.select_folder("INBOX")
            uids = client.search(["ALL"])
            if uids:
                client.delete_messages(uids)
                client.expunge()
    return server


def append(port: int, user: str, messages: list[bytes]) -> None:
    with _client(port, user) as client:
        for raw in messages:
            client.append("INBOX", raw)


def top(port: int, user: str) -> int:
    """The highest UID in the user's INBOX (UIDs go on across tests: the server is shared)."""
    with _client(port, user) as client:
        client.select_folder("INBOX", readonly=True)
        return max(client.search(["ALL"]), default=0)


def imap_of(port: int, user: str, password: str | None = None) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "username": user,
        "password": password or USERS[user],
    }


async def add_mailbox(
    api: Api, port: int, user: str, *, workspace: str = "user_a", password: str | None = None
) -> str:
    local = user.split("@")[0]
    made = await create_mailbox(
        api,
        user=workspace,
        name=local,
        from_email=f"{local}@send.test",
        reply_to=None,
        imap=imap_of(port, user, password),
    )
    return str(made["id"])


def settings_of(api: Api) -> Settings:
    settings: Settings = api.app.state.settings
    return settings


def database_of(api: Api) -> AppDatabase:
    database: AppDatabase = api.app.state.database
    return database


async def states(db: Database) -> dict[str, MailboxState]:
    async with make_sessionmaker(db.engine)() as session:
        rows = await session.scalars(select(MailboxState))
        return {row.id.split("|")[0]: row for row in rows}


async def make_due(db: Database, *mailbox_ids: str) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        for mailbox_id in mailbox_ids:
            await session.execute(
                update(MailboxState)
                .where(MailboxState.id.like(mailbox_id + "|%"))
                .values(next_poll_at=None)
            )


async def replies_of(db: Database) -> list[Reply]:
    async with make_sessionmaker(db.engine)() as session:
        return list(await session.scalars(select(Reply).order_by(Reply.received_at, Reply.id)))


async def test_a_workspace_mailbox_files_only_into_its_workspace(
    db: Database, make_api: MakeApi, port: int
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        a_sent = await make_sent(session, workspace="user_a", recipient="ed@blog-a.test")
        b_sent = await make_sent(session, workspace="user_b", recipient="jo@blog-b.test")
        # Both workspaces wrote to the same person: a sender match is per mailbox's workspace.
        a_both = await make_sent(session, workspace="user_a", recipient="sam@blog-c.test")
        b_both = await make_sent(session, workspace="user_b", recipient="sam@blog-c.test")
    to_b = reply_to(b_sent, "Yes, happy to take a guest post.")
    # Alice's mailbox (user_a's) holds a reply to user_b's message: never filed from there.
    append(port, ALICE, [reply_to(a_sent, "Sounds good, send it."), to_b])
    append(port, ALICE, [reply_to(a_both, "Who are you?", threaded=False)])
    append(port, BOB, [to_b, reply_to(b_both, "What is the fee?", threaded=False)])
    async with make_api(secrets_key=KEY) as api:
        await add_mailbox(api, port, ALICE, workspace="user_a")
        await add_mailbox(api, port, BOB, workspace="user_b")
        # No IMAP_* and no own mailbox with IMAP: 422, as in part 1.
        nothing = await api.post("/replies/poll", user="user_c", json={})
        assert nothing.status_code == 422, nothing.text
        assert nothing.json()["detail"][0]["type"] == "not_configured"

        first = await api.post("/replies/poll", user="user_a", json={})
        assert first.status_code == 200, first.text
        assert first.json() == {"replies_found": 2, "failed": 0}
        filed = await replies_of(db)
        assert {(r.workspace_id, r.lead_id) for r in filed} == {
            ("user_a", a_sent.lead.id),
            ("user_a", a_both.lead.id),
        }
        # user_a's poll read user_a's mailboxes only: Bob's mail is still unread.
        assert all(r.workspace_id == "user_a" for r in filed)

        second = await api.post("/replies/poll", user="user_b", json={})
        assert second.json() == {"replies_found": 2, "failed": 0}
        # The reply to user_b that sat in Alice's mailbox too was not remembered there as
        # seen-and-ignored, so Bob's mailbox filed it (counted just above).
    filed = await replies_of(db)
    assert sorted((r.workspace_id, r.lead_id) for r in filed) == sorted(
        [
            ("user_a", a_sent.lead.id),
            ("user_a", a_both.lead.id),
            ("user_b", b_sent.lead.id),
            ("user_b", b_both.lead.id),
        ]
    )


async def test_the_default_mailbox_is_polled_beside_the_workspace_ones(
    db: Database, make_api: MakeApi, port: int
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        a_sent = await make_sent(session, workspace="user_a", recipient="ed@blog-a.test")
        b_sent = await make_sent(session, workspace="user_b", recipient="jo@blog-b.test")
    # The default mailbox files into whichever workspace a message answers (part 1).
    append(port, IMAP_USER, [reply_to(a_sent, "Yes please."), reply_to(b_sent, "Sure.")])
    async with make_api(secrets_key=KEY, **imap_settings(port)) as api:
        await add_mailbox(api, port, ALICE, workspace="user_a")
        found = await api.post("/replies/poll", user="user_a", json={})
        assert found.json() == {"replies_found": 1, "failed": 0}
        # user_b has no mailbox of its own: its poll reads the default one (already read).
        again = await api.post("/replies/poll", user="user_b", json={})
        assert again.json() == {"replies_found": 0, "failed": 0}
    assert {(r.workspace_id, r.lead_id) for r in await replies_of(db)} == {
        ("user_a", a_sent.lead.id),
        ("user_b", b_sent.lead.id),
    }
    assert set(await states(db)) >= {"127.0.0.1"}  # the default's watermark, keyed as in part 1


async def test_a_failing_mailbox_shows_its_error_backs_off_and_the_others_carry_on(
    db: Database, make_api: MakeApi, port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short, so the silent server times out quickly; long enough for a real login on a busy
    # machine (0.5 s was not: the good mailbox timed out too).
    monkeypatch.setattr(imap, "TIMEOUT_SECONDS", 2.0)
    async with make_sessionmaker(db.engine)() as session, session.begin():
        sent = await make_sent(session, workspace="user_a", recipient="ed@blog-a.test")
        other = await make_sent(session, workspace="user_a", recipient="al@blog-z.test")
    append(port, ALICE, [reply_to(sent, "Yes, send the draft.")])
    append(port, CAROL, [reply_to(other, "Interested!")])
    wrong = "Wrong-pass-never-shown-99"
    with silent_port() as silent:
        async with make_api(secrets_key=KEY, poll_interval_seconds=300) as api:
            good = await add_mailbox(api, port, ALICE)
            refused = await add_mailbox(api, port, CAROL, password=wrong)
            made = await create_mailbox(
                api,
                name="silent",
                from_email="silent@send.test",
                imap={**imap_of(port, BOB), "port": silent},
            )
            slow = str(made["id"])
            before = utcnow()
            assert await service.poll_duty(database_of(api), settings_of(api)) == 1
            shown = {
                mailbox_id: (await api.get(f"/mailboxes/{mailbox_id}")).json()["health"]
                for mailbox_id in (good, refused, slow)
            }
            assert shown[good]["last_error"] is None
            assert shown[refused]["last_error"] == "imap: login refused"
            assert shown[slow]["last_error"] == "imap: timed out"
            assert wrong not in str(shown)
            found = await states(db)
            interval = timedelta(seconds=300)
            good_due = found[good].next_poll_at
            assert good_due is not None and good_due < before + interval + timedelta(seconds=30)
            for failing in (refused, slow):
                due = found[failing].next_poll_at
                assert due is not None and due >= before + interval * poller.FAILURE_BACKOFF
                assert found[failing].lease_until is None
            # Not due yet: a second pass tries none of them.
            assert await service.poll_duty(database_of(api), settings_of(api)) == 0

            # A manual poll reads what it can and answers 200 when one mailbox still works.
            fixed = await api.patch(
                f"/mailboxes/{refused}", json={"imap": {"password": USERS[CAROL]}}
            )
            assert fixed.status_code == 200, fixed.text
            polled = await api.post("/replies/poll", json={})
            assert polled.status_code == 200, polled.text
            assert polled.json() == {"replies_found": 1, "failed": 0}
            health = (await api.get(f"/mailboxes/{refused}")).json()["health"]
            assert health["last_error"] is None  # a poll that worked clears the poll's error
            still = (await api.get(f"/mailboxes/{slow}")).json()["health"]
            assert still["last_error"] == "imap: timed out"
    assert {r.lead_id for r in await replies_of(db)} == {sent.lead.id, other.lead.id}


async def test_only_the_workspaces_failing_mailboxes_is_503(
    db: Database, make_api: MakeApi, port: int
) -> None:
    async with make_api(secrets_key=KEY) as api:
        await add_mailbox(api, port, CAROL, password="Wrong-pass-77")
        response = await api.post("/replies/poll", json={})
        assert (response.status_code, response.json()) == (503, {"detail": "Mailbox unavailable"})


async def test_at_most_poll_concurrency_mailboxes_at_once(
    db: Database, make_api: MakeApi, port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        sends = [
            await make_sent(session, workspace="user_a", recipient=f"r{i}@site{i}.test")
            for i in range(5)
        ]
    for i, sent in enumerate(sends):
        append(port, f"box{i}@many.test", [reply_to(sent, "Yes, send it over.")])
    lock = threading.Lock()
    active = [0]
    peak = [0]
    original = imap.Mailbox.open

    def counted_open(self: imap.Mailbox) -> int:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            time.sleep(0.3)  # long enough for every allowed poll to overlap
            return original(self)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(imap.Mailbox, "open", counted_open)
    async with make_api(secrets_key=KEY, poll_concurrency=2) as api:
        for i in range(5):
            await add_mailbox(api, port, f"box{i}@many.test")
        assert await service.poll_duty(database_of(api), settings_of(api)) == 5
        assert peak[0] == 2
        peak[0] = 0
        await make_due(db, *(await states(db)))
        wide = settings_of(api).model_copy(update={"poll_concurrency": 8})
        assert await service.poll_duty(database_of(api), wide) == 0
        assert peak[0] == 5  # with room for all, all five ran at once
    assert len(await replies_of(db)) == 5


async def test_each_mailbox_has_its_own_watermark_and_schedule(
    db: Database, make_api: MakeApi, port: int
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        a_sends = [await make_sent(session, recipient=f"a{i}@site-a{i}.test") for i in range(4)]
        b_sends = [await make_sent(session, recipient=f"b{i}@site-b{i}.test") for i in range(2)]
    append(port, ALICE, [reply_to(s, "Yes please.") for s in a_sends[:3]])
    append(port, BOB, [reply_to(b_sends[0], "Yes please.")])
    async with make_api(secrets_key=KEY) as api:
        alice = await add_mailbox(api, port, ALICE)
        bob = await add_mailbox(api, port, BOB)
        app_db, settings = database_of(api), settings_of(api)
        assert await service.poll_duty(app_db, settings) == 4
        found = await states(db)
        assert (found[alice].last_uid, found[bob].last_uid) == (top(port, ALICE), top(port, BOB))
        a_first, b_first = found[alice].last_uid, found[bob].last_uid
        append(port, ALICE, [reply_to(a_sends[3], "Yes please.")])
        append(port, BOB, [reply_to(b_sends[1], "Yes please.")])
        # Only Alice's mailbox is due: Bob's keeps its own next poll time.
        await make_due(db, alice)
        assert await service.poll_duty(app_db, settings) == 1
        found = await states(db)
        assert (found[alice].last_uid, found[bob].last_uid) == (top(port, ALICE), b_first)
        assert found[alice].last_uid > a_first
        await make_due(db, bob)
        assert await service.poll_duty(app_db, settings) == 1
        found = await states(db)
        assert (found[alice].last_uid, found[bob].last_uid) == (top(port, ALICE), top(port, BOB))
        assert found[bob].last_uid > b_first
    assert len(await replies_of(db)) == 6


async def test_the_lease_is_per_mailbox_across_concurrent_polls(
    db: Database, make_api: MakeApi, port: int
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        a_sends = [await make_sent(session, recipient=f"a{i}@site-a{i}.test") for i in range(12)]
        b_sent = await make_sent(session, recipient="b@site-b.test")
    append(port, ALICE, [reply_to(s, "Yes please, send the draft.") for s in a_sends])
    append(port, BOB, [reply_to(b_sent, "Yes please.")])
    async with make_api(secrets_key=KEY) as api:
        alice = await add_mailbox(api, port, ALICE)
        bob = await add_mailbox(api, port, BOB)
        app_db, settings = database_of(api), settings_of(api)
        # Another worker holds Alice's lease: this pass polls Bob's mailbox only.
        stranger = new_id("poll")
        await poller.claim_lease(app_db, (await _state_id(api, alice)), stranger)
        assert await service.poll_duty(app_db, settings) == 1
        await poller.release_lease(app_db, await _state_id(api, alice), stranger, utcnow())
        # Two workers and a manual poll at once: every reply filed exactly once.
        results = await asyncio.gather(
            service.poll_duty(app_db, settings),
            service.poll_duty(app_db, settings),
            api.post("/replies/poll", json={}),
        )
    counted = results[0], results[1]
    manual = results[2]
    assert manual.status_code == 200, manual.text
    assert sum(counted) + manual.json()["replies_found"] >= 12
    replies = await replies_of(db)
    assert len(replies) == 13
    assert len({r.lead_id for r in replies}) == 13
    found = await states(db)
    assert all(state.lease_until is None for state in found.values())
    assert (found[alice].last_uid, found[bob].last_uid) == (top(port, ALICE), top(port, BOB))


async def _state_id(api: Api, mailbox_id: str) -> str:
    async with database_of(api).read() as session:
        row = await session.get(Mailbox, mailbox_id)
        assert row is not None
        return accounts.state_id_of(row)
