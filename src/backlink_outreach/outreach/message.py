"""Building the outgoing message: headers, the compliance footer, threading and DKIM."""

from __future__ import annotations

import html
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import dkim

from ..config import Settings
from ..domains import email_domain

# Headers the DKIM signature covers: the ones a receiver shows or acts on, including both
# List-Unsubscribe headers (Gmail and Yahoo require them to be signed for one-click).
DKIM_HEADERS = [
    b"From",
    b"To",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"Reply-To",
    b"In-Reply-To",
    b"References",
    b"List-Unsubscribe",
    b"List-Unsubscribe-Post",
    b"MIME-Version",
    b"Content-Type",
]


# Serialising with the default 78-column folding turned a long List-Unsubscribe URL into RFC
# 2047 encoded-words, which receivers do not read as a URL (RFC 2369 wants `<url>` as is).
# Headers may be up to 998 characters per line (RFC 5322 2.1.1); bodies were already encoded
# for 78 when the content was set, so only header folding changes.
_WIRE = email_policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Outgoing:
    sender: str
    recipient: str
    subject: str
    body: str
    message_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


def new_message_id(sender_email: str) -> str:
    """`<time.random@sender-domain>`, with the angle brackets, as stored and as in the header."""
    return f"<{int(time.time() * 1000):x}.{secrets.token_hex(12)}@{email_domain(sender_email)}>"


def footer(settings: Settings, unsubscribe_url: str) -> str:
    lines = [f"If you would rather not hear from me again, unsubscribe here: {unsubscribe_url}"]
    if settings.sender_postal_address:
        lines.append(settings.sender_postal_address.strip())
    return "\n".join(lines)


def build(settings: Settings, out: Outgoing, now: datetime) -> EmailMessage:
    # policy.SMTP: CRLF line endings and RFC 5322 folding, as it goes on the wire.
    message = EmailMessage(policy=email_policy.SMTP)
    message["From"] = formataddr((settings.smtp_from_name, out.sender))
    message["To"] = out.recipient
    message["Subject"] = out.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = out.message_id
    if settings.smtp_reply_to:
        message["Reply-To"] = settings.smtp_reply_to
    if out.in_reply_to:
        message["In-Reply-To"] = out.in_reply_to
        message["References"] = " ".join(out.references or (out.in_reply_to,))
    message["List-Unsubscribe"] = f"<{out.unsubscribe_url}>, <{out.unsubscribe_mailto}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = f"{out.body.rstrip()}\n\n-- \n{footer(settings, out.unsubscribe_url)}\n"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(_html(out.body, settings, out.unsubscribe_url), subtype="html")
    return message


def _html(body: str, settings: Settings, unsubscribe_url: str) -> str:
    paragraphs = "".join(
        f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
        for p in body.strip().split("\n\n")
        if p.strip()
    )
    link = html.escape(unsubscribe_url, quote=True)
    address = html.escape(settings.sender_postal_address or "")
    foot = (
        f'<p style="color:#666;font-size:12px">If you would rather not hear from me again, '
        f'<a href="{link}">unsubscribe here</a>.' + (f"<br>{address}" if address else "") + "</p>"
    )
    return f"<!doctype html><html><body>{paragraphs}{foot}</body></html>"


def to_bytes(settings: Settings, message: EmailMessage) -> bytes:
    """The message as sent; DKIM-signed when DKIM_PRIVATE_KEY, _SELECTOR and _DOMAIN are set."""
    raw = message.as_bytes(policy=_WIRE)
    key = settings.dkim_private_key
    if key is None or not settings.dkim_selector or not settings.dkim_domain:
        return raw
    present = {name.lower() for name in message}
    headers = [h for h in DKIM_HEADERS if h.decode().lower() in present]
    signature = dkim.sign(
        raw,
        settings.dkim_selector.encode(),
        settings.dkim_domain.encode(),
        key.get_secret_value().replace("\\n", "\n").encode(),
        include_headers=headers,
    )
    return bytes(signature) + raw
