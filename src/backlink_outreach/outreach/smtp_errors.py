"""What an SMTP failure was, in the words API.md ("Message correctness") stores on an attempt and
`POST /mailboxes/{id}/test` shows: the one owner of that wording, for sending and for the check.

The words: `connection refused`, `timed out`, `TLS failed`, `STARTTLS not offered`, `AUTH not
offered`, `login refused`, `recipient refused <enhanced code> <text>` and `message refused <code>
<text>`. Only the last two quote the server, and only its reply to RCPT, MAIL or DATA: a reply to
AUTH is never quoted (a server may echo what it was sent). No exception text reaches the words.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass

import aiosmtplib

CONNECTION_REFUSED = "connection refused"
TIMED_OUT = "timed out"
TLS_FAILED = "TLS failed"
STARTTLS_NOT_OFFERED = "STARTTLS not offered"
AUTH_NOT_OFFERED = "AUTH not offered"
LOGIN_REFUSED = "login refused"
RECIPIENT_REFUSED = "recipient refused"
MESSAGE_REFUSED = "message refused"

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_LEADING_ENHANCED = re.compile(r"\s*([245]\.\d{1,3}\.\d{1,3})\b\s*")
# Enhanced status codes that mean "this mailbox does not exist / is disabled" (RFC 3463).
PERMANENT_RECIPIENT_STATUSES = frozenset(
    {"5.1.0", "5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1"}
)
_UNKNOWN_USER = re.compile(
    r"user unknown|unknown user|no such (user|mailbox)|does not exist|unknown recipient|"
    r"recipient address rejected|mailbox (unavailable|not found|disabled)",
    re.IGNORECASE,
)
# aiosmtplib says these with a plain SMTPException (no type of their own); the tests against a
# real server that offers neither pin the texts of the installed version.
_NO_STARTTLS = re.compile(r"STARTTLS extension not supported", re.IGNORECASE)
_NO_AUTH = re.compile(r"AUTH extension is not supported|no suitable authentication", re.I)


@dataclass(frozen=True)
class SmtpFailure:
    """`error` is one of the words above; safe to store, log and show."""

    error: str
    smtp_code: int | None = None
    permanent_recipient: bool = False


def _short(text: str, limit: int = 160) -> str:
    return " ".join(text.split())[:limit]


def recipient_refused(code: int, text: str) -> SmtpFailure:
    """RCPT TO was refused: `recipient refused 5.1.1 User unknown` (the basic code stands in
    when the server gives no enhanced one)."""
    text = _short(text)
    leading = _LEADING_ENHANCED.match(text)
    status = leading.group(1) if leading else None
    rest = text[leading.end() :] if leading else text
    anywhere = _ENHANCED.search(text)
    enhanced = status or (anywhere.group(0) if anywhere else None)
    permanent = 500 <= code < 600 and (
        enhanced in PERMANENT_RECIPIENT_STATUSES or bool(_UNKNOWN_USER.search(text))
    )
    words = " ".join(part for part in (RECIPIENT_REFUSED, status or str(code), rest) if part)
    return SmtpFailure(words, code, permanent)


def message_refused(code: int, text: str) -> SmtpFailure:
    """MAIL FROM or DATA was refused: `message refused 554 5.7.1 Message rejected as spam`."""
    return SmtpFailure(" ".join(f"{MESSAGE_REFUSED} {code} {_short(text)}".split()), code)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 8:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def describe(exc: BaseException) -> SmtpFailure:
    """The words for whatever aiosmtplib or the network raised."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        return recipient_refused(first.code, first.message)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return recipient_refused(exc.code, exc.message)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SmtpFailure(LOGIN_REFUSED, exc.code)
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError | aiosmtplib.SMTPHeloError):
        # The greeting or EHLO was not a yes: the server will not talk to us.
        return SmtpFailure(CONNECTION_REFUSED, exc.code)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return message_refused(exc.code, exc.message)
    chain = _chain(exc)
    if any(isinstance(e, ssl.SSLError | ssl.CertificateError) for e in chain):
        return SmtpFailure(TLS_FAILED)
    if any(isinstance(e, TimeoutError) for e in chain):
        return SmtpFailure(TIMED_OUT)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected) and "upgrading transport" in str(exc):
        return SmtpFailure(TLS_FAILED)  # the server dropped the TLS handshake
    if isinstance(exc, aiosmtplib.SMTPException) and not isinstance(exc, ConnectionError):
        text = str(exc)
        if _NO_STARTTLS.search(text):
            return SmtpFailure(STARTTLS_NOT_OFFERED)
        if _NO_AUTH.search(text):
            return SmtpFailure(AUTH_NOT_OFFERED)
        # e.g. SMTPUTF8 needed and not offered: the server cannot take this message.
        return SmtpFailure(MESSAGE_REFUSED)
    # Refused, reset, unreachable, unknown host, or closed on us: no SMTP session to be had.
    return SmtpFailure(CONNECTION_REFUSED)
