"""Delivery: SMTP with aiosmtplib, or `.eml` files in MAIL_OUTBOX_DIR when no SMTP_HOST is set.

One SMTP connection per server configuration and event loop, guarded by a lock (one connection
must never carry two transactions at once). A burst reuses it: it stays open while sends follow
each other (closed after `LINGER_SECONDS` without one) or while a worker pass holds `burst()`
(closed when the pass ends).

A send takes its `turn()` on the connection before it reserves its message (the attempt row
`sending`, the cap slot) and keeps it until the outcome is recorded. A message reserved first and
then queued for the connection would be `sending` while nothing of it is on the wire: killed
mid-burst, a process left every queued one in doubt. Inside the turn at most one message per
connection is, the one on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

import aiosmtplib
import structlog

from ..config import Settings
from ..errors import NotConfigured
from . import smtp_errors

log = structlog.get_logger(__name__)

LINGER_SECONDS = 2.0
NOT_CONFIGURED = "SMTP is not configured: set SMTP_HOST (or MAIL_OUTBOX_DIR to write .eml files)"


class DeliveryError(Exception):
    """The message was not accepted. `error` is short and safe to store and show: the words of
    `smtp_errors` for an SMTP failure."""

    def __init__(
        self, error: str, smtp_code: int | None = None, permanent_recipient: bool = False
    ) -> None:
        super().__init__(error)
        self.error = error[:300]
        self.smtp_code = smtp_code
        self.permanent_recipient = permanent_recipient


def classify(exc: BaseException) -> DeliveryError:
    """Map whatever aiosmtplib or the network raised to a short, stored error."""
    failure = smtp_errors.describe(exc)
    return DeliveryError(failure.error, failure.smtp_code, failure.permanent_recipient)


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = asyncio.Lock()
        self._client: aiosmtplib.SMTP | None = None
        self._waiting = 0
        self._holders = 0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._closer: asyncio.Task[None] | None = None
        self._turn_of: asyncio.Task[object] | None = None  # the task whose turn it is

    def _new_client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=s.smtp_timeout_seconds,
            use_tls=s.smtp_security == "ssl",
            start_tls=s.smtp_security == "starttls",
            cert_bundle=str(s.smtp_ca_file) if s.smtp_ca_file else None,
        )

    @contextlib.asynccontextmanager
    async def burst(self) -> AsyncIterator[None]:
        """Keep the connection open across several sends (a worker pass)."""
        self._holders += 1
        try:
            yield
        finally:
            self._holders -= 1
            if self._holders == 0 and self._waiting == 0:
                if self._idle_timer is not None:
                    self._idle_timer.cancel()
                    self._idle_timer = None
                async with self._lock:
                    await self._close()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait until the connection is free, then keep it for one message: reserve it, `send`
        it and record how it ended inside. Re-entrant within a task (`send` inside a turn uses
        that turn)."""
        task = asyncio.current_task()
        if self._turn_of is not None and self._turn_of is task:
            yield
            return
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        self._turn_of = task
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        try:
            yield
        finally:
            self._turn_of = None
            self._lock.release()
            if self._waiting == 0 and self._holders == 0 and self._client is not None:
                loop = asyncio.get_running_loop()
                self._idle_timer = loop.call_later(LINGER_SECONDS, self._close_when_idle)

    async def send(self, sender: str, recipient: str, data: bytes, name: str) -> None:
        async with self.turn():
            await self._send_locked(sender, recipient, data)

    def _close_when_idle(self) -> None:
        self._idle_timer = None
        self._closer = asyncio.get_running_loop().create_task(self._idle_close())

    async def _idle_close(self) -> None:
        if self._waiting or self._holders or self._lock.locked():
            return
        async with self._lock:
            await self._close()

    async def _send_locked(self, sender: str, recipient: str, data: bytes) -> None:
        reused = self._client is not None
        try:
            client = await self._connected()
            await client.sendmail(sender, [recipient], data)
            return
        except aiosmtplib.SMTPServerDisconnected as exc:
            await self._close(polite=False)
            if not reused:
                raise classify(exc) from None
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPRecipientRefused) as exc:
            # The connection is fine; reset the transaction so the next send can reuse it.
            await self._reset()
            raise classify(exc) from None
        except Exception as exc:  # noqa: BLE001 - every failure becomes a short stored error
            await self._close(polite=False)
            raise classify(exc) from None
        # A connection kept from an earlier send went stale (server idle timeout): retry once
        # on a fresh one. The server had not accepted the message, so this cannot double-send.
        try:
            client = await self._connected()
            await client.sendmail(sender, [recipient], data)
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPRecipientRefused) as exc:
            await self._reset()
            raise classify(exc) from None
        except Exception as exc:  # noqa: BLE001
            await self._close(polite=False)
            raise classify(exc) from None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            self._client = self._new_client()
            await self._client.connect()
        return self._client

    async def _reset(self) -> None:
        if self._client is None:
            return
        try:
            await self._client.rset()
        except Exception:  # noqa: BLE001 - a failed RSET only means: reconnect next time
            await self._close(polite=False)

    async def _close(self, *, polite: bool = True) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        if polite:
            with contextlib.suppress(Exception):
                await client.quit(timeout=2)
        if client.is_connected:
            client.close()


class OutboxMailer:
    """No SMTP server: write each message as `<name>.eml` (development and first tries)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextlib.asynccontextmanager
    async def burst(self) -> AsyncIterator[None]:
        yield

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        # No connection to wait for: a file is written at once, whatever else is being written.
        yield

    async def send(self, sender: str, recipient: str, data: bytes, name: str) -> None:
        path = self.folder / f"{name}.eml"
        await asyncio.to_thread(self._write, path, data)
        log.info("mail_written_to_outbox", path=str(path), note="SMTP_HOST is not set")

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)


Mailer = SmtpMailer | OutboxMailer
# Per event loop (a lock belongs to one loop), then per server configuration.
_mailers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[object, ...], SmtpMailer]]
_mailers = weakref.WeakKeyDictionary()


def check_configured(settings: Settings) -> None:
    if not settings.smtp_host and settings.mail_outbox_dir is None:
        raise NotConfigured(NOT_CONFIGURED)


def mailer_for(settings: Settings) -> Mailer:
    """The process's mailer for these settings (one SMTP connection per server and loop)."""
    check_configured(settings)
    if not settings.smtp_host:
        assert settings.mail_outbox_dir is not None
        return OutboxMailer(settings.mail_outbox_dir)
    per_loop = _mailers.setdefault(asyncio.get_running_loop(), {})
    key = (
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_security,
        settings.smtp_username,
        settings.smtp_timeout_seconds,
        settings.smtp_ca_file,
    )
    mailer = per_loop.get(key)
    if mailer is None:
        mailer = per_loop[key] = SmtpMailer(settings)
    return mailer
