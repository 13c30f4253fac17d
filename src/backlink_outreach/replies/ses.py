"""Amazon SES notifications delivered by e-mail (an SNS topic with an e-mail subscription): the
body is the JSON object SES documents ("Contents of notifications for Amazon SES"), not a
delivery report, followed by SNS's footer, whose "click ... to unsubscribe" must not read as a
person unsubscribing.

Only the documented fields are read: `notificationType` (Bounce, Complaint, Delivery),
`bounce.bounceType` (Permanent, Transient, Undetermined), `bounce.bouncedRecipients[]`
(`emailAddress`, `status`, `diagnosticCode`), `complaint.complainedRecipients[]`,
`delivery.recipients[]` and `mail.headers` for the original Message-ID.
"""

from __future__ import annotations

import json
from typing import Any

from .parsing import Parsed

MAX_JSON_CHARS = 200_000


def notification(parsed: Parsed) -> dict[str, Any] | None:
    """The SES notification object in the body, or None for any other message."""
    text = (parsed.text or "").lstrip()
    if not text.startswith("{") or "notificationType" not in text[:5000]:
        return None
    found = _decode(text[:MAX_JSON_CHARS])
    # Without raw message delivery SNS wraps the notification in its own envelope, the SES
    # object as a JSON string in "Message".
    if isinstance(found, dict) and found.get("Type") == "Notification":
        inner = found.get("Message")
        found = _decode(inner) if isinstance(inner, str) else None
    if not isinstance(found, dict) or not isinstance(found.get("notificationType"), str):
        return None
    return found


def _decode(text: str) -> object:
    # strict=False: mail relays fold lines over 998 characters (RFC 5322 section 2.1.1),
    # which puts line breaks inside the JSON strings.
    try:
        found, _ = json.JSONDecoder(strict=False).raw_decode(text)
    except ValueError:
        return None
    return found


def recipients(found: dict[str, Any]) -> list[dict[str, str]]:
    """One entry per recipient the notification is about: address, status, diagnostic."""
    kind = str(found.get("notificationType", "")).lower()
    section = found.get(kind)
    if not isinstance(section, dict):
        return []
    if kind == "delivery":
        listed = [{"emailAddress": a} for a in section.get("recipients") or [] if a]
    else:
        listed = section.get(f"{'bounced' if kind == 'bounce' else 'complained'}Recipients") or []
    out: list[dict[str, str]] = []
    for entry in listed:
        if isinstance(entry, dict) and isinstance(entry.get("emailAddress"), str):
            out.append(
                {
                    "address": entry["emailAddress"].strip().lower(),
                    "status": str(entry.get("status") or ""),
                    "diagnostic": str(entry.get("diagnosticCode") or ""),
                    "action": str(entry.get("action") or ""),
                }
            )
    return out


def bounce_type(found: dict[str, Any]) -> str:
    section = found.get("bounce")
    return str(section.get("bounceType", "")) if isinstance(section, dict) else ""


def original_message_ids(found: dict[str, Any]) -> list[str]:
    """The Message-ID header of the message SES sent, when the notification carries headers."""
    mail = found.get("mail")
    headers = mail.get("headers") if isinstance(mail, dict) else None
    ids: list[str] = []
    for header in headers if isinstance(headers, list) else []:
        if (
            isinstance(header, dict)
            and str(header.get("name", "")).lower() == "message-id"
            and isinstance(header.get("value"), str)
        ):
            ids.append(header["value"].strip())
    return ids
