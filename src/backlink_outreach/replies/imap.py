"""The IMAP side of a poll: read-only, new mail only, in a worker thread (imapclient blocks).

The folder is opened with EXAMINE and bodies are fetched with BODY.PEEK[], so nothing is ever
marked read, deleted or moved. Messages larger than `MAX_MESSAGE_BYTES` are fetched as headers
only: enough to tell whose they are and count them as failed without pulling megabytes.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from ..config import Settings
from ..models import DEFAULT_MAILBOX_ID
from ..outreach.smtp_errors import CONNECTION_REFUSED, LOGIN_REFUSED, TIMED_OUT, TLS_FAILED

MAX_MESSAGE_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 30.0
FOLDER_NOT_FOUND = "folder not found"


class MailboxUnavailable(Exception):
    """The server cannot be reached, refuses the login, or has no such folder. The text is
    words (`login refused`, `timed out`, ...), never a server's answer or a secret."""


@dataclass
class Fetched:
    uid: int
    raw: bytes | None  # the whole message, or None when over MAX_MESSAGE_BYTES
    header: bytes | None  # the header only, for oversize messages


@dataclass(frozen=True)
class Account:
    """One IMAP folder to poll: `mbx_default` from the settings, or a workspace's mailbox.

    `state_id` keys its watermark and lease (`MailboxState`): a changed host, user or folder
    starts a new watermark. `workspace_id` None is the deployment's default mailbox, which files
    into whichever workspace a message answers; a workspace's own mailbox files only there."""

    mailbox_id: str
    state_id: str
    host: str
    port: int
    security: str
    username: str
    password: str = field(repr=False)
    folder: str
    workspace_id: str | None
    own_addresses: frozenset[str]
    # Set when the account cannot be polled at all (its password does not open): the words.
    error: str | None = None


def mailbox_id(settings: Settings) -> str:
    """The watermark id of the default mailbox (part 1's, kept so its watermark carries on)."""
    return f"{settings.imap_host}|{settings.imap_username or ''}|{settings.imap_folder}"[:600]


def default_account(settings: Settings) -> Account | None:
    if not (settings.imap_host and settings.imap_username):
        return None
    own = {settings.smtp_from_email.lower()}
    if "@" in settings.imap_username:
        own.add(settings.imap_username.lower())
    return Account(
        mailbox_id=DEFAULT_MAILBOX_ID,
        state_id=mailbox_id(settings),
        host=settings.imap_host,
        port=settings.imap_port,
        security=settings.imap_security,
        username=settings.imap_username,
        password=settings.imap_password.get_secret_value() if settings.imap_password else "",
        folder=settings.imap_folder,
        workspace_id=None,
        own_addresses=frozenset(own),
    )


def _words(exc: BaseException) -> str:
    if isinstance(exc, LoginError):
        return LOGIN_REFUSED
    if isinstance(exc, ssl.SSLError):
        return TLS_FAILED
    if isinstance(exc, TimeoutError):
        return TIMED_OUT
    return CONNECTION_REFUSED


class Mailbox:
    """One connection to one account's folder. Every method blocks: call through `run`."""

    def __init__(self, account: Account, executor: Executor | None = None) -> None:
        self.account = account
        self.executor = executor
        self.client: IMAPClient | None = None
        self.uidvalidity = 0

    async def run(self, method: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(method, *args))

    def open(self) -> int:
        """Connect, log in and EXAMINE the folder; returns its UIDVALIDITY."""
        account = self.account
        step = "connect"
        try:
            client = IMAPClient(
                account.host,
                port=account.port,
                ssl=account.security == "ssl",
                ssl_context=ssl.create_default_context(),
                timeout=TIMEOUT_SECONDS,
            )
            self.client = client
            if account.security == "starttls":
                client.starttls(ssl.create_default_context())
            client.login(account.username, account.password)
            step = "select"
            selected = client.select_folder(account.folder, readonly=True)
        except (TimeoutError, OSError, ssl.SSLError, IMAPClientError) as exc:
            self.close()
            # Words only: the exception text may name the server's answer; never the password.
            words = _words(exc)
            if step == "select" and words == CONNECTION_REFUSED:
                words = FOLDER_NOT_FOUND
            raise MailboxUnavailable(words) from None
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
            raise MailboxUnavailable(_words(exc)) from None
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
            raise MailboxUnavailable(_words(exc)) from None
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
