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

from ..domains import email_domain
from ..sender import Sender

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


def footer(sender: Sender, unsubscribe_url: str) -> str:
    lines = [f"If you would rather not hear from me again, unsubscribe here: {unsubscribe_url}"]
    if sender.postal_address:
        lines.append(sender.postal_address.strip())
    return "\n".join(lines)


def _signed(body: str, sender: Sender) -> str:
    body = body.rstrip()
    return f"{body}\n\n{sender.signature.strip()}" if sender.signature else body


def build(sender: Sender, out: Outgoing, now: datetime) -> EmailMessage:
    # policy.SMTP: CRLF line endings and RFC 5322 folding, as it goes on the wire.
    message = EmailMessage(policy=email_policy.SMTP)
    message["From"] = formataddr((sender.name, out.sender))
    message["To"] = out.recipient
    message["Subject"] = out.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = out.message_id
    if sender.reply_to:
        message["Reply-To"] = sender.reply_to
    if out.in_reply_to:
        message["In-Reply-To"] = out.in_reply_to
        message["References"] = " ".join(out.references or (out.in_reply_to,))
    message["List-Unsubscribe"] = f"<{out.unsubscribe_url}>, <{out.unsubscribe_mailto}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    body = _signed(out.body, sender)
    text = f"{body}\n\n-- \n{footer(sender, out.unsubscribe_url)}\n"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(_html(body, sender, out.unsubscribe_url), subtype="html")
    return message


def _html(body: str, sender: Sender, unsubscribe_url: str) -> str:
    paragraphs = "".join(
        f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
        for p in body.strip().split("\n\n")
        if p.strip()
    )
    link = html.escape(unsubscribe_url, quote=True)
    address = html.escape(sender.postal_address or "")
    foot = (
        f'<p style="color:#666;font-size:12px">If you would rather not hear from me again, '
        f'<a href="{link}">unsubscribe here</a>.' + (f"<br>{address}" if address else "") + "</p>"
    )
    return f"<!doctype html><html><body>{paragraphs}{foot}</body></html>"


def to_bytes(sender: Sender, message: EmailMessage) -> bytes:
    """The message as sent; DKIM-signed when the sender has a DKIM key."""
    raw = message.as_bytes(policy=_WIRE)
    if sender.dkim is None:
        return raw
    present = {name.lower() for name in message}
    headers = [h for h in DKIM_HEADERS if h.decode().lower() in present]
    signature = dkim.sign(
        raw,
        sender.dkim.selector.encode(),
        sender.dkim.domain.encode(),
        sender.dkim.private_key_pem,
        include_headers=headers,
    )
    return bytes(signature) + raw
