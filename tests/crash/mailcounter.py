"""A real SMTP server (aiosmtpd, in a thread of the test process, so it outlives any server or
worker process the test kills) that counts every message it accepts and can be made slow.

A message is recorded the moment its DATA is complete, before the reply: from then on the mail
server has it, whatever happens to the client. The delay sits between that moment and the `250`
reply, so a client killed during it leaves exactly the case a crash test must cover: the message
went out, but the sender never heard so.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.servers import free_port


@dataclass(frozen=True)
class Mail:
    recipients: tuple[str, ...]
    message_id: str
    in_reply_to: str | None


class CountingHandler:
    def __init__(self) -> None:
        self.delay = 0.0
        self._mails: list[Mail] = []
        self._changed = threading.Condition()

    async def handle_DATA(  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        data = envelope.original_content or envelope.content
        headers = BytesHeaderParser().parsebytes(bytes(data))
        mail = Mail(
            recipients=tuple(r.lower() for r in envelope.rcpt_tos),
            message_id=str(headers["Message-ID"]).strip(),
            in_reply_to=str(headers["In-Reply-To"]).strip() if headers["In-Reply-To"] else None,
        )
        with self._changed:
            self._mails.append(mail)
            self._changed.notify_all()
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 Message accepted for delivery"

    def mails(self) -> list[Mail]:
        with self._changed:
            return list(self._mails)

    def wait_for(self, count: int, timeout: float) -> bool:
        """Block (call it in a thread) until `count` messages have arrived."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._mails) >= count, timeout)


class CountingMailServer:
    def __init__(self) -> None:
        self.handler = CountingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> CountingMailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def mails(self) -> list[Mail]:
        return self.handler.mails()

    def settings(self) -> dict[str, Any]:
        """The app settings that send to it (as `MailServer.settings`)."""
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_timeout_seconds": 5.0}

    def recipient_counts(self) -> Counter[str]:
        return Counter(r for mail in self.mails() for r in mail.recipients)
