"""First poll of 100 mailboxes with 20 new messages each (issue 13), against a raw imapclient
fetch of the same messages at the same concurrency.

One real pymap server on loopback with 100 users is 100 IMAP mailboxes of one workspace (made
through the API, passwords sealed). 2,000 sent attempts wait for their replies. Ours is the
worker's mailbox duty (`poll_duty`): list the mailboxes, pick the due ones, open their
passwords, poll them at most POLL_CONCURRENCY at once, parse, classify, match and file every
reply with its effects in SQLite. The raw baseline logs in to each mailbox, selects INBOX,
searches and fetches BODY.PEEK[] in threads, POLL_CONCURRENCY at once; it runs before and after
ours and the mean is the baseline. Target: ratio <= 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from imapclient import IMAPClient
from sqlalchemy import func, select
from tests.replies.support import make_sent, reply_to
from tests.support import pymap_users
from tests.support.servers import free_port, wait_for_port

from backlink_outreach.config import Settings
from backlink_outreach.database import Database
from backlink_outreach.db import utcnow
from backlink_outreach.models import Reply
from backlink_outreach.replies.service import poll_duty
from bench.common import bench_api, bench_database
from bench.report import Figure

MAILBOXES = 100
PER_MAILBOX = 20
KEY = "cG9sbC1tYW55LWJlbmNoLWtleS0zMi1ieXRlcy1vayE="  # base64 of 32 bytes
BODIES = [
    "Yes, sounds good. Send me the draft.",
    "What topics do you have in mind?",
    "Our fee for a sponsored post is $120.",
    "Not interested, thanks.",
]
USERS = {f"box{i}@bench.test": f"Box-bench-pass-{i}" for i in range(MAILBOXES)}


@contextlib.contextmanager
def _pymap(log_dir: Path) -> Iterator[int]:
    """`tests/support/pymap_users.py`'s server, given time to start: it hashes every user's
    password before it listens, which takes a while for 100 users on a busy machine."""
    port = free_port()
    command = [sys.executable, pymap_users.__file__, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--no-tls", "--no-service", "admin", "dict"]
    env = {**os.environ, pymap_users.USERS_ENV: json.dumps(USERS)}
    with (log_dir / "pymap.log").open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_for_port(port, proc, "pymap", timeout=180)
            yield port
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _append(port: int, user: str, messages: list[bytes]) -> None:
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=60) as client:
        client.login(user, USERS[user])
        client.multiappend("INBOX", messages)


def _raw_one(port: int, user: str) -> int:
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=60) as client:
        client.login(user, USERS[user])
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search(["UID", "1:*"]))
        fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
        return sum(1 for v in fetched.values() if v.get(b"BODY[]"))


def _raw(port: int, concurrency: int) -> tuple[float, int]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        count = sum(pool.map(lambda user: _raw_one(port, user), USERS))
    return time.perf_counter() - started, count


async def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp, _pymap(Path(tmp)) as port:
        async with bench_database("sqlite") as db:
            settings = {"secrets_key": KEY}
            async with bench_api(db, **settings) as api:
                for n, user in enumerate(USERS):
                    body = {
                        "name": f"Box {n}",
                        "from_email": user,
                        "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
                        "imap": {
                            "host": "127.0.0.1",
                            "port": port,
                            "security": "none",
                            "username": user,
                            "password": USERS[user],
                        },
                    }
                    made = await api.post("/mailboxes", json=body)
                    assert made.status_code == 201, made.text
            app_db = Database(db.engine)
            inboxes: dict[str, list[bytes]] = {user: [] for user in USERS}
            async with app_db.write() as session:
                for n, user in enumerate(USERS):
                    for k in range(PER_MAILBOX):
                        sent = await make_sent(
                            session,
                            workspace="bench",
                            recipient=f"editor{k}@site{n}-{k}.test",
                            sent_at=utcnow() - timedelta(days=2),
                            follow_ups=1,
                        )
                        inboxes[user].append(reply_to(sent, BODIES[(n + k) % len(BODIES)]))
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda u: _append(port, u, inboxes[u]), USERS))
            config = Settings(
                _env_file=None, database_url=db.url, secrets_key=KEY, data_dir=Path(tmp)
            )
            concurrency = config.poll_concurrency
            raw_before, raw_count = await asyncio.to_thread(_raw, port, concurrency)
            started = time.perf_counter()
            read = await poll_duty(app_db, config)
            ours = time.perf_counter() - started
            raw_after, _ = await asyncio.to_thread(_raw, port, concurrency)
            async with app_db.read() as session:
                filed = int(await session.scalar(select(func.count()).select_from(Reply)) or 0)
    expected = MAILBOXES * PER_MAILBOX
    if raw_count != expected or read != expected or filed != expected:
        raise RuntimeError(f"raw fetched {raw_count}, poll read {read}, filed {filed}: {expected}")
    raw = (raw_before + raw_after) / 2
    name = f"first poll, {MAILBOXES} mailboxes x {PER_MAILBOX} msgs, concurrency {concurrency}"
    return [
        Figure(f"{name} (sqlite)", "poll s", ours, raw, "ratio <= 2 (raw imapclient, same conc.)"),
        Figure(f"{name} (sqlite)", "raw s before / after", raw_before, raw_after),
    ]
