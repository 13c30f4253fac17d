"""First poll of a 5,000-message mailbox against a raw imapclient fetch of the same messages.

Both read a real pymap server on loopback. The raw baseline selects the folder, searches and
fetches BODY.PEEK[] in the same batch size; the poll also parses, classifies, matches against
5,000 sent attempts and files every reply with its effects in SQLite.
"""

from __future__ import annotations

import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from tests.replies.support import (
    IMAP_PASSWORD,
    IMAP_USER,
    imap_settings,
    make_sent,
    pymap_server,
    reply_to,
)

from backlink_outreach.config import Settings
from backlink_outreach.database import Database
from backlink_outreach.db import utcnow
from backlink_outreach.migrations import upgrade_async
from backlink_outreach.replies import poller
from backlink_outreach.replies.imap import mailbox_id
from bench.report import Figure

MESSAGES = 5_000
APPEND_CHUNK = 500
BODIES = [
    "Yes, sounds good. Send me the draft.",
    "What topics do you have in mind?",
    "Our fee for a sponsored post is $120.",
    "Not interested, thanks.",
    "I am out of the office until 12 June.",
]


def _append_all(port: int, messages: list[bytes], connections: int = 2) -> None:
    # MULTIAPPEND (RFC 3502): one command per chunk instead of one round trip per message.
    def worker(part: list[bytes]) -> None:
        with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=60) as client:
            client.login(IMAP_USER, IMAP_PASSWORD)
            for i in range(0, len(part), APPEND_CHUNK):
                client.multiappend("INBOX", part[i : i + APPEND_CHUNK])

    threads = [
        threading.Thread(target=worker, args=(messages[i::connections],))
        for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _raw_fetch(port: int) -> int:
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=60) as client:
        client.login(IMAP_USER, IMAP_PASSWORD)
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search(["UID", "1:*"]))
        count = 0
        for i in range(0, len(uids), poller.BATCH):
            fetched = client.fetch(uids[i : i + poller.BATCH], ["BODY.PEEK[]"])
            count += sum(1 for v in fetched.values() if v.get(b"BODY[]"))
        return count


async def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await upgrade_async(url)
        db = Database.open(url)
        messages: list[bytes] = []
        async with db.write() as session:
            for i in range(MESSAGES):
                sent = await make_sent(
                    session,
                    recipient=f"editor{i}@site{i}.test",
                    sent_at=utcnow() - timedelta(days=2),
                    follow_ups=1,
                )
                messages.append(reply_to(sent, BODIES[i % len(BODIES)]))
        with pymap_server(Path(tmp)) as port:
            started = time.perf_counter()
            _append_all(port, messages)
            fill = time.perf_counter() - started
            started = time.perf_counter()
            raw_count = _raw_fetch(port)
            raw_seconds = time.perf_counter() - started
            imap: dict[str, Any] = imap_settings(port)
            settings = Settings(_env_file=None, database_url=url, **imap)
            started = time.perf_counter()
            outcomes = await poller.poll_mailbox(settings, db, wait=False) or []
            poll_seconds = time.perf_counter() - started
        await db.dispose()
    filed = sum(o.status == "filed" for o in outcomes)
    assert raw_count == MESSAGES and filed == MESSAGES, (raw_count, filed, mailbox_id(settings))
    name = f"imap first poll {MESSAGES} msgs (sqlite)"
    return [
        Figure(name, "mailbox fill s (MULTIAPPEND, 2 conns)", fill),
        Figure(
            name,
            "messages/s",
            MESSAGES / poll_seconds,
            baseline=MESSAGES / raw_seconds,
            target="ratio <= 2",
            higher_is_better=True,
        ),
        Figure(name, "poll s", poll_seconds, baseline=raw_seconds, target="ratio <= 2"),
    ]
