"""The IMAP side of a poll: read-only, new mail only, in a worker thread (imapclient blocks).

The folder is opened with EXAMINE and bodies are fetched with BODY.PEEK[], so nothing is ever
marked read, deleted or moved. Messages larger than `MAX_MESSAGE_BYTES` are fetched as headers
only: enough to tell whose they are and count them as failed without pulling megabytes.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from ..config import Settings

MAX_MESSAGE_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 30.0


class MailboxUnavailable(Exception):
    """The server cannot be reached, refuses the login, or has no such folder."""


@dataclass
class Fetched:
    uid: int
    raw: bytes | None  # the whole message, or None when over MAX_MESSAGE_BYTES
    header: bytes | None  # the header only, for oversize messages


def mailbox_id(settings: Settings) -> str:
    return f"{settings.imap_host}|{settings.imap_username or ''}|{settings.imap_folder}"[:600]


class Mailbox:
    """One connection to the configured folder. Every method blocks: call through `run`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client: IMAPClient | None = None
        self.uidvalidity = 0

    async def run(self, method: Any, *args: Any) -> Any:
        return await asyncio.to_thread(method, *args)

    def open(self) -> int:
        """Connect, log in and EXAMINE the folder; returns its UIDVALIDITY."""
        settings = self.settings
        password = settings.imap_password.get_secret_value() if settings.imap_password else ""
        try:
            client = IMAPClient(
                settings.imap_host or "",
                port=settings.imap_port,
                ssl=settings.imap_security == "ssl",
                ssl_context=ssl.create_default_context(),
                timeout=TIMEOUT_SECONDS,
            )
            self.client = client
            if settings.imap_security == "starttls":
                client.starttls(ssl.create_default_context())
            client.login(settings.imap_username or "", password)
            selected = client.select_folder(settings.imap_folder, readonly=True)
        except (TimeoutError, OSError, ssl.SSLError, IMAPClientError) as exc:
            self.close()
            # The exception text may name the server's answer; never the password.
            raise MailboxUnavailable(type(exc).__name__) from None
        self.uidvalidity = int(selected.get(b"UIDVALIDITY", 0))
        return self.uidvalidity

    def new_uids(self, last_uid: int) -> tuple[list[int], set[int]]:
        """UIDs above `last_uid`, and which of them are over `MAX_MESSAGE_BYTES`.

        `SEARCH LARGER` (RFC 3501) answers the size question for the whole range in one
        command; fetching RFC822.SIZE per message costs some servers as much as the bodies."""
        assert self.client is not None
        criteria = ["UID", f"{last_uid + 1}:*"]
        try:
            found = self.client.search(criteria)
            large = self.client.search([*criteria, "LARGER", str(MAX_MESSAGE_BYTES)])
        except (OSError, IMAPClientError) as exc:
            raise MailboxUnavailable(type(exc).__name__) from None
        # `UID n:*` answers with the newest message even when its UID is below n.
        uids = sorted(uid for uid in found if uid > last_uid)
        return uids, {uid for uid in large if uid > last_uid}

    def fetch(self, uids: list[int], large: set[int]) -> list[Fetched]:
        """Whole messages, or only the header of those in `large`."""
        assert self.client is not None
        small = [u for u in uids if u not in large]
        big = [u for u in uids if u in large]
        try:
            bodies = self.client.fetch(small, ["BODY.PEEK[]"]) if small else {}
            headers = self.client.fetch(big, ["BODY.PEEK[HEADER]"]) if big else {}
        except (OSError, IMAPClientError) as exc:
            raise MailboxUnavailable(type(exc).__name__) from None
        out: list[Fetched] = []
        for uid in uids:
            if uid in bodies:
                out.append(Fetched(uid, bodies[uid].get(b"BODY[]"), None))
            elif uid in headers:
                out.append(Fetched(uid, None, headers[uid].get(b"BODY[HEADER]")))
        return out

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - closing a broken connection must not mask the cause
            try:
                client.shutdown()
            except Exception:  # noqa: BLE001
                pass
