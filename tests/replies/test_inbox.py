"""The inbox (API.md part 2, "Inbox"): `GET /replies` across a workspace, newest first, in keyset
pages with filters; `GET /replies/{id}` in full; unmatched mail of a workspace's own mailbox kept
for that workspace only and filed by hand with `PATCH {lead_id}`. Mail arrives through a real
pymap server (several users: the deployment's default mailbox and two workspaces' own)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from imapclient import IMAPClient
from sqlalchemy import select, update

from backlink_outreach.db import make_sessionmaker, utcnow
from backlink_outreach.ids import new_id
from backlink_outreach.models import FollowUp, Lead, MailboxState, Reply
from backlink_outreach.replies.schemas import ReplyListRow, ReplyOut
from tests.conftest import Api
from tests.mailboxes.support import KEY, create_mailbox
from tests.outreach.conftest import MakeApi
from tests.support.database import Database
from tests.support.pymap_users import pymap_users_server

from .support import IMAP_PASSWORD, IMAP_USER, SENDER, imap_settings, make_sent, reply_to

ALICE, BOB = "alice@agency-a.test", "bob@agency-b.test"
USERS = {IMAP_USER: IMAP_PASSWORD, ALICE: "Alice-imap-pass-1", BOB: "Bob-imap-pass-2"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with pymap_users_server(tmp_path_factory.mktemp("pymap-inbox"), USERS) as port:
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


async def add_mailbox(api: Api, port: int, user: str, workspace: str) -> str:
    local = user.split("@")[0]
    made = await create_mailbox(
        api,
        user=workspace,
        name=local,
        from_email=f"{local}@send.test",
        reply_to=None,
        imap={
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "username": user,
            "password": USERS[user],
        },
    )
    return str(made["id"])


def stranger(subject: str, body: str, *, sender: str = "stranger@elsewhere.test") -> bytes:
    return (
        f"From: {sender}\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{new_id('m')}@elsewhere.test>\r\n"
        f"Date: Thu, 03 Dec 2026 08:00:00 +0000\r\n\r\n{body}\r\n"
    ).encode()


async def poll(api: Api, user: str) -> dict[str, Any]:
    response = await api.post("/replies/poll", user=user, json={})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_replies_keep_text_headers_and_referral_and_unmatched_mail_its_workspace(
    db: Database, make_api: MakeApi, port: int
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        keen = await make_sent(session, recipient="editor@blog-one.test")
        moved = await make_sent(session, recipient="old@blog-two.test", campaign=keen.campaign)
    now = utcnow()
    append(
        port,
        ALICE,
        [
            reply_to(
                keen,
                "Yes, sounds good! Send over your topic ideas.\n\nOn Mon, you wrote:\n> pitch",
                when=now - timedelta(hours=3),
            ),
            reply_to(
                moved,
                "I am not the right person for this. Please contact jane@site.test instead,"
                f" or write back to {SENDER} if you must.",
                when=now - timedelta(hours=2),
            ),
            stranger("Partnership?", "We sell backlinks in bulk. Interested?"),
        ],
    )
    # Mail in the deployment's default mailbox that answers nothing stays invisible.
    append(port, IMAP_USER, [stranger("Hello", "Nobody's mail.", sender="who@nowhere.test")])
    async with make_api(secrets_key=KEY, **imap_settings(port)) as api:
        await add_mailbox(api, port, ALICE, "user_a")
        await add_mailbox(api, port, BOB, "user_b")
        assert (await poll(api, "user_a"))["replies_found"] == 2

        listed = await api.get("/replies")
        assert listed.status_code == 200, listed.text
        rows = listed.json()
        # Newest first (the stranger's Date is fixed, the others are relative to now).
        times = [r["received_at"] for r in rows]
        assert times == sorted(times, reverse=True)
        by_lead = {r["lead_id"]: r for r in rows}
        assert set(by_lead) == {keen.lead.id, moved.lead.id, None}
        unmatched = by_lead[None]
        assert unmatched["unmatched"] is True and unmatched["campaign_id"] is None
        assert by_lead[keen.lead.id]["unmatched"] is False

        keen_id = by_lead[keen.lead.id]["id"]
        detail = (await api.get(f"/replies/{keen_id}")).json()
        assert detail["text"] == "Yes, sounds good! Send over your topic ideas."
        assert "> pitch" in detail["body"] and detail["body"].startswith("Yes, sounds good!")
        assert detail["headers"]["From"] == keen.attempt.recipient_email
        assert detail["headers"]["To"] == SENDER
        assert detail["headers"]["Subject"] == "Re: " + keen.attempt.subject
        assert detail["headers"]["Message-ID"].startswith("<")
        assert "Date" in detail["headers"]
        assert detail["referral_email"] is None and detail["corrections"] == []

        wrong = (await api.get(f"/replies/{by_lead[moved.lead.id]['id']}")).json()
        assert wrong["classification"] == "wrong_person"
        assert wrong["referral_email"] == "jane@site.test"

        only = await api.get("/replies", params={"unmatched": "true"})
        assert [r["id"] for r in only.json()] == [unmatched["id"]]
        filed = await api.get("/replies", params={"unmatched": "false"})
        assert {r["lead_id"] for r in filed.json()} == {keen.lead.id, moved.lead.id}

        # Another workspace sees none of it; part 1's list and analytics never count it.
        assert (await api.get("/replies", user="user_b")).json() == []
        assert (await api.get(f"/replies/{unmatched['id']}", user="user_b")).status_code == 404
        per_campaign = (await api.get(f"/campaigns/{keen.campaign.id}/replies")).json()
        assert {r["lead_id"] for r in per_campaign} == {keen.lead.id, moved.lead.id}
        snapshot = (await api.get("/reporting/snapshot")).json()
        assert snapshot["replies"] == 2
        analytics = (await api.get(f"/campaigns/{keen.campaign.id}/analytics")).json()
        assert sum(analytics["replies_by_classification"].values()) == 2

        # Read again from scratch (a reset watermark): the unmatched mail is not kept twice,
        # and the default mailbox's stranger is still nobody's.
        async with make_sessionmaker(db.engine)() as session, session.begin():
            await session.execute(update(MailboxState).values(last_uid=0, next_poll_at=None))
        await poll(api, "user_a")
        async with make_sessionmaker(db.engine)() as session:
            kept = list(await session.scalars(select(Reply)))
        assert len(kept) == 3
        assert {r.workspace_id for r in kept} == {"user_a"}


async def test_unmatched_mail_is_filed_under_a_lead_by_hand(
    db: Database, make_api: MakeApi, port: int
) -> None:
    async with make_sessionmaker(db.engine)() as session, session.begin():
        mine = await make_sent(session, recipient="ann@blog-three.test")
        theirs = await make_sent(session, workspace="user_b", recipient="bo@blog-four.test")
    # Ann writes from her private address, not threaded: nothing matches it.
    append(
        port,
        ALICE,
        [stranger("About your pitch", "Please remove me from your list.", sender="ann@home.test")],
    )
    async with make_api(secrets_key=KEY) as api:
        await add_mailbox(api, port, ALICE, "user_a")
        await poll(api, "user_a")
        (row,) = (await api.get("/replies", params={"unmatched": "true"})).json()
        assert row["classification"] == "unsubscribe"
        path = f"/replies/{row['id']}"
        # A lead of another workspace is 404; an unknown one too; nothing changed.
        for lead_id in (theirs.lead.id, "lead_nope"):
            missing = await api.patch(path, json={"lead_id": lead_id})
            assert missing.status_code == 404, missing.text
        assert (await api.get(path)).json()["unmatched"] is True

        filed = await api.patch(path, json={"lead_id": mine.lead.id})
        assert filed.status_code == 200, filed.text
        body = filed.json()
        assert (body["lead_id"], body["campaign_id"], body["unmatched"]) == (
            mine.lead.id,
            mine.campaign.id,
            False,
        )
        # Its class's effects apply: the lead is lost, its steps stop, its address suppressed.
        async with make_sessionmaker(db.engine)() as session:
            lead = await session.get(Lead, mine.lead.id)
            assert lead is not None and lead.status == "lost"
            steps = list(
                await session.scalars(select(FollowUp).where(FollowUp.lead_id == mine.lead.id))
            )
        assert {(f.status, f.reason, f.cancelled_by) for f in steps} == {
            ("cancelled", "unsubscribed", row["id"])
        }
        entries = {(e["email"], e["source"]) for e in (await api.get("/suppression")).json()}
        assert entries == {("ann@blog-three.test", "reply")}
        # Now it is the campaign's reply; filing it again is 422.
        listed = (await api.get(f"/campaigns/{mine.campaign.id}/replies")).json()
        assert [r["id"] for r in listed] == [row["id"]]
        again = await api.patch(path, json={"lead_id": mine.lead.id})
        assert again.status_code == 422
        # And a correction of it undoes exactly that.
        fixed = await api.patch(path, json={"classification": "question"})
        assert fixed.status_code == 200
        assert (await api.get("/suppression")).json() == []


async def seed_replies(db: Database, count: int) -> tuple[str, str, list[str]]:
    """`count` replies of user_a in two campaigns, one a minute apart (newest last), and one
    of user_b; returns the campaigns' ids and the replies' ids newest first."""
    async with make_sessionmaker(db.engine)() as session, session.begin():
        one = await make_sent(session, recipient="a@seed-one.test")
        two = await make_sent(session, recipient="b@seed-two.test")
        other = await make_sent(session, workspace="user_b", recipient="c@seed-three.test")
        start = utcnow() - timedelta(days=1)
        ids: list[str] = []
        for i in range(count):
            sent = one if i % 2 == 0 else two
            reply_id = new_id("rpl")
            ids.append(reply_id)
            session.add(
                Reply(
                    id=reply_id,
                    workspace_id="user_a",
                    campaign_id=sent.campaign.id,
                    lead_id=sent.lead.id,
                    from_email=sent.attempt.recipient_email,
                    subject=f"Re: pitch number {i}",
                    snippet="",
                    text="Happy to help" if i % 3 == 0 else "No thanks",
                    received_at=start + timedelta(minutes=i),
                    classification="interested" if i % 3 == 0 else "not_interested",
                    confidence=0.9,
                    reasons=["seeded"],
                )
            )
        session.add(
            Reply(
                id=new_id("rpl"),
                workspace_id="user_b",
                campaign_id=other.campaign.id,
                lead_id=other.lead.id,
                from_email="c@seed-three.test",
                subject="Re: theirs",
                snippet="",
                received_at=start,
                classification="interested",
                confidence=0.9,
                reasons=[],
            )
        )
    return one.campaign.id, two.campaign.id, list(reversed(ids))


async def test_the_list_pages_newest_first_and_filters(db: Database, make_api: MakeApi) -> None:
    first, second, newest_first = await seed_replies(db, 7)
    async with make_api() as api:
        seen: list[str] = []
        response = await api.get("/replies", params={"limit": 3})
        pages = 1
        while True:
            assert response.status_code == 200, response.text
            seen += [r["id"] for r in response.json()]
            cursor = response.headers.get("X-Next-Cursor")
            if cursor is None:
                assert "Link" not in response.headers
                break
            assert response.headers["Link"].endswith('>; rel="next"')
            assert f"cursor={cursor}" in response.headers["Link"]
            response = await api.get("/replies", params={"limit": 3, "cursor": cursor})
            pages += 1
        assert seen == newest_first and pages == 3

        async def ids(**params: Any) -> list[str]:
            got = await api.get("/replies", params=params)
            assert got.status_code == 200, got.text
            return [r["id"] for r in got.json()]

        assert await ids() == newest_first  # default limit 100
        assert await ids(classification="interested") == [
            newest_first[i] for i in (0, 3, 6)
        ]  # seeded 6, 3, 0
        assert await ids(campaign_id=first) == newest_first[::2]
        assert await ids(campaign_id=second) == newest_first[1::2]
        since = (utcnow() - timedelta(days=1) + timedelta(minutes=4, seconds=30)).isoformat()
        assert await ids(since=since) == newest_first[:2]
        assert await ids(q="NUMBER 5") == [newest_first[1]]
        assert await ids(q="happy to") == [newest_first[i] for i in (0, 3, 6)]
        assert await ids(q="seed-two") == newest_first[1::2]
        assert await ids(q="%") == []
        assert await ids(unmatched="true") == []

        for params in (
            {"classification": "spam"},
            {"since": "yesterday"},
            {"since": "0.5"},  # a number is not a time (pydantic would read it as Unix time)
            {"since": "2026-12-01T00:00:00"},  # no offset: ambiguous
            {"cursor": "not-a-cursor"},
            {"limit": 0},
            {"limit": 1001},
            {"unmatched": "maybe"},
        ):
            bad = await api.get("/replies", params=params)
            assert bad.status_code == 422, (params, bad.text)
            assert isinstance(bad.json()["detail"], list)
        foreign = await api.get("/replies", user="user_b", params={"campaign_id": first})
        assert foreign.status_code == 404
        assert foreign.json() == {"detail": "Resource not found"}


def test_the_fast_row_mirrors_the_reply_schema() -> None:
    assert tuple(f.name for f in msgspec.structs.fields(ReplyListRow)) == tuple(
        ReplyOut.model_fields
    )
