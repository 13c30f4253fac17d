"""A mailbox's own SMTP connection: `outreach.smtp.SmtpMailer` (one connection per server and
event loop, reused across a burst, the same error words) on the mailbox's server and login."""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from dataclasses import dataclass, field

import aiosmtplib

from ..config import Settings
from ..outreach.smtp import SmtpMailer


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str  # none | starttls | ssl
    username: str | None
    password: str | None = field(default=None, repr=False)  # never in a repr or a log

    def key(self) -> tuple[object, ...]:
        # The password takes part only as a digest: a changed password is a new connection.
        digest = hashlib.sha256((self.password or "").encode()).hexdigest()
        return (self.host, self.port, self.security, self.username, digest)


class MailboxMailer(SmtpMailer):
    def __init__(self, settings: Settings, server: SmtpServer) -> None:
        super().__init__(settings)
        self.server = server

    def _new_client(self) -> aiosmtplib.SMTP:
        s, server = self.settings, self.server
        return aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            username=server.username or None,
            password=server.password if server.username else None,
            timeout=s.smtp_timeout_seconds,
            use_tls=server.security == "ssl",
            start_tls=server.security == "starttls",
            cert_bundle=str(s.smtp_ca_file) if s.smtp_ca_file else None,
        )


_mailers: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[object, ...], MailboxMailer]
] = weakref.WeakKeyDictionary()


def mailer_for(settings: Settings, server: SmtpServer) -> MailboxMailer:
    """The process's mailer for this mailbox server and login, per event loop."""
    per_loop = _mailers.setdefault(asyncio.get_running_loop(), {})
    key = (*server.key(), settings.smtp_timeout_seconds, settings.smtp_ca_file)
    mailer = per_loop.get(key)
    if mailer is None:
        mailer = per_loop[key] = MailboxMailer(settings, server)
    return mailer
