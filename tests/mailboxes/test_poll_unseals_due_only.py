"""The reply poll decrypts a mailbox's IMAP password only when that mailbox is due and being
polled: listing the mailboxes opens none, and a pass where one of three is due opens one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import utcnow
from backlink_outreach.mailboxes import secrets
from backlink_outreach.models import MailboxState
from backlink_outreach.replies import accounts
from backlink_outreach.replies.service import poll_duty
from tests.mailboxes.support import IMAP_PASSWORD, KEY, create_mailbox
from tests.support.database import Database
from tests.support.servers import free_port


async def test_only_the_due_mailbox_has_its_password_opened(
    make_api: Callable[..., Any],
    db: Database,
    make_settings: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed = free_port()  # nothing listens: the due mailbox's poll fails, and says so
    imap = {"host": "127.0.0.1", "port": closed, "security": "none", "username": "bob"}
    async with make_api(secrets_key=KEY) as api:
        made = [
            await create_mailbox(
                api,
                name=f"box {n}",
                from_email=f"box{n}@agency.test",
                imap={**imap, "username": f"bob{n}", "password": IMAP_PASSWORD},
            )
            for n in range(3)
        ]
    settings = make_settings(secrets_key=KEY)
    app_db = AppDatabase(db.engine)
    async with app_db.read() as session:
        listed = await accounts.all_accounts(session, settings)
    assert [a.mailbox_id for a in listed] == [m["id"] for m in made]
    assert all(a.password == "" for a in listed)  # nothing decrypted by listing
    assert IMAP_PASSWORD not in repr(listed)
    later = utcnow() + timedelta(hours=1)
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(MailboxState),
            [
                {"id": a.state_id, "last_uid": 0, "next_poll_at": later, "updated_at": utcnow()}
                for a in listed[1:]
            ],
        )
    opened: list[str] = []
    real_unseal = secrets.unseal

    def counting_unseal(key: bytes, sealed: str, row_id: str) -> str:
        opened.append(row_id)
        return real_unseal(key, sealed, row_id)

    monkeypatch.setattr(secrets, "unseal", counting_unseal)
    assert await poll_duty(app_db, settings) == 0
    assert opened == [made[0]["id"]]
    async with make_api(secrets_key=KEY) as api:
        shown = {m["id"]: m for m in (await api.get("/mailboxes")).json()}
    error = shown[made[0]["id"]]["health"]["last_error"]
    assert error is not None and error.startswith("imap: "), error  # it was tried, with a password
    assert shown[made[1]["id"]]["health"]["last_error"] is None


async def test_an_unopenable_password_is_the_mailboxs_error_not_the_passs(
    make_api: Callable[..., Any], db: Database, make_settings: Callable[..., Any]
) -> None:
    imap = {"host": "127.0.0.1", "port": free_port(), "security": "none", "username": "bob"}
    async with make_api(secrets_key=KEY) as api:
        await create_mailbox(api, imap={**imap, "password": IMAP_PASSWORD})
    other = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMDE="  # base64 of 32 other bytes
    settings = make_settings(secrets_key=other)
    async with AppDatabase(db.engine).read() as session:
        (account,) = await accounts.all_accounts(session, settings)
    ready = accounts.opened(account)
    assert ready.error is not None and "SECRETS_KEY" in ready.error
    assert ready.password == "" and type(ready) is not accounts.StoredAccount
