"""Raw inbound bytes -> a `Parsed` message the classifier and the matcher can read safely.

Inbound mail is hostile input: broken MIME, made-up charsets, huge bodies. Nothing here raises on
bad mail; problems are collected in `defects`, and the caller decides what a defect means.
"""

from __future__ import annotations

import codecs
import email
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from selectolax.lexbor import LexborHTMLParser as HTMLParser

# The text we search with regular expressions is capped: rules read the top of a message, and a
# cap keeps a pathological body from costing seconds.
MAX_TEXT_CHARS = 200_000
MAX_PARTS = 200
MSGID_RE = re.compile(r"<[^<>\s]{1,900}>")


@dataclass
class Parsed:
    headers: Message
    subject: str = ""
    from_email: str = ""
    from_name: str = ""
    to_emails: list[str] = field(default_factory=list)
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    content_type: str = "text/plain"
    report_type: str = ""
    # The readable text of the message itself (plain preferred, else HTML as text).
    text: str = ""
    # Every text part, including bounce notices, delivery-status and attached originals.
    all_text: str = ""
    # The fields of message/delivery-status parts: one dict per block, keys lowercased.
    dsn_blocks: list[dict[str, str]] = field(default_factory=list)
    # Headers of an original message attached to a report (message/rfc822, text/rfc822-headers).
    embedded: list[Message] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    # First value of each header by lowercased name; `Message.get` scans every header per call.
    first: dict[str, object] = field(default_factory=dict)

    def header(self, name: str) -> str:
        return header_text(self.first.get(name.lower()))


def header_text(value: object) -> str:
    """A header as readable text: RFC 2047 words decoded, folding removed, never raises."""
    if value is None:
        return ""
    raw = str(value)
    if "=?" not in raw:
        # No RFC 2047 encoded words: decoding could only unfold, which split/join does.
        return " ".join(raw.split())
    try:
        text = str(make_header(decode_header(raw)))
    except (LookupError, UnicodeError, ValueError, AssertionError):
        text = raw
    return " ".join(text.split())


def message_ids(value: str) -> list[str]:
    return MSGID_RE.findall(value or "")


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode a part's bytes. Returns (text, trusted). An unknown or wrong charset label is
    forgiven when the bytes are plain UTF-8; otherwise the text is marked untrusted."""
    name = (charset or "us-ascii").strip().strip('"').lower()
    try:
        codecs.lookup(name)
    except LookupError:
        name = ""
    if name:
        try:
            return data.decode(name), True
        except (UnicodeDecodeError, LookupError, ValueError):
            pass
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("latin-1"), False


def html_to_text(html: str) -> str:
    try:
        tree = HTMLParser(html)
        for node in tree.css("style, script, head"):
            node.decompose()
        for node in tree.css("br, p, div, tr, li, blockquote"):
            node.insert_after("\n")
        body = tree.body or tree.root
        return body.text(separator="") if body is not None else ""
    except Exception:  # noqa: BLE001 - a parser failure must not stop classification
        return re.sub(r"<[^>]+>", " ", html)


# `a@b`, `Name <a@b>` or `"Name" <a@b>` with nothing unusual: most mail, read without the
# stdlib's character-by-character address parser. Anything else takes the full parser.
SIMPLE_ADDRESS_RE = re.compile(
    r'\s*(?:"?([^"<>,;:@()\\]*?)"?\s*<([^<>\s"(),;:@]+@[^<>\s"(),;:@]+)>|([^<>\s"(),;:@]+@[^<>\s"(),;:@]+))\s*'
)


def _addresses(value: str) -> list[tuple[str, str]]:
    simple = SIMPLE_ADDRESS_RE.fullmatch(value)
    if simple:
        name, bracketed, bare = simple.groups()
        return [((name or "").strip(), (bracketed or bare).lower())]
    try:
        pairs = getaddresses([value])
    except (ValueError, IndexError, TypeError):
        return []
    return [(n, a.strip().lower()) for n, a in pairs if "@" in a]


# What the stdlib feed parser accepts as a header line (its `headerRE`, minus the unix-from
# and continuation cases handled separately), and where the header block ends.
HEADER_LINE_RE = re.compile(r"[\x21-\x39\x3b-\x7e]+:")
HEADER_END_RE = re.compile(r"(\r\n|\r(?!\n)|\n)(\r\n|\r|\n)")
LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
SIMPLE_CHARSET_RE = re.compile(
    r"\s*[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+\s*;\s*charset\s*=\s*"
    r"(?:\"([a-z0-9_.:+-]+)\"|([a-z0-9_.:+-]+))\s*;?\s*",
    re.I,
)


def simple_message(raw: bytes) -> Message | None:
    """The `Message` the stdlib parser would build, for the common case of a single-part
    message with plain ASCII headers; None for anything else (multipart, attached messages,
    unusual header lines), which the full parser reads. Most replies are this simple, and the
    feed parser's line-by-line state machine was the largest cost of reading them."""
    text = raw.decode("ascii", "surrogateescape")
    end = HEADER_END_RE.search(text)
    if end is None or end.start() == 0:
        return None
    head = text[: end.end(1)]
    if not head.isascii():
        return None
    msg = Message()
    name = ""
    value: list[str] = []
    for line in LINE_RE.findall(head):
        if line[0] in " \t":
            if not name:
                return None
            value.append(line)
            continue
        if name:
            msg.set_raw(name, "".join(value).rstrip("\r\n"))
        found = HEADER_LINE_RE.match(line)
        if found is None:
            return None
        name = line[: found.end() - 1]
        value = [line[found.end() :].lstrip(" \t")]
    if name:
        msg.set_raw(name, "".join(value).rstrip("\r\n"))
    if msg.get_content_maintype() in ("multipart", "message"):
        return None
    msg.set_payload(text[end.end() :])
    return msg


def content_charset(part: Message) -> str | None:
    """`part.get_content_charset()`, without the general parameter parser for the usual
    `type/subtype; charset=x` header."""
    value = part.get("content-type")
    if isinstance(value, str):
        simple = SIMPLE_CHARSET_RE.fullmatch(value)
        if simple:
            return (simple.group(1) or simple.group(2)).lower()
    return part.get_content_charset()


def parse(raw: bytes) -> Parsed:
    msg = simple_message(raw) or email.message_from_bytes(raw)
    parsed = Parsed(headers=msg)
    first = parsed.first
    references: list[str] = []
    for name, value in msg.items():
        key = name.lower()
        first.setdefault(key, value)
        if key == "references":
            references.append(str(value))
    parsed.subject = header_text(first.get("subject"))
    senders = _addresses(header_text(first.get("from")))
    if senders:
        parsed.from_name, parsed.from_email = senders[0]
    else:
        parsed.defects.append("no_from")
    parsed.to_emails = [a for _, a in _addresses(header_text(first.get("to")))]
    ids = message_ids(str(first.get("message-id", "")))
    parsed.message_id = ids[0] if ids else None
    parsed.in_reply_to = message_ids(str(first.get("in-reply-to", "")))
    parsed.references = message_ids(" ".join(references))
    try:
        date = parsedate_to_datetime(str(first.get("date", "")))
        parsed.date = date.astimezone(UTC) if date.tzinfo else date.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed.date = None
    parsed.content_type = msg.get_content_type()
    if parsed.content_type == "multipart/report":
        parsed.report_type = (msg.get_param("report-type") or "").__str__().lower()
    _walk(msg, parsed)
    return parsed


def _walk(msg: Message, parsed: Parsed) -> None:
    plain: list[str] = []
    html: list[str] = []
    every: list[str] = []
    size = 0
    broken = (
        errors.NoBoundaryInMultipartDefect,
        errors.StartBoundaryNotFoundDefect,
        errors.MultipartInvariantViolationDefect,
    )
    if (msg.is_multipart() and not msg.get_payload()) or any(
        isinstance(d, broken) for d in msg.defects
    ):
        parsed.defects.append("broken_multipart")
    parts = list(msg.walk()) if msg.is_multipart() else [msg]
    # Parts that belong to an attached message/rfc822 (an original or a forward), found once.
    inner: set[int] = set()
    attached_originals: list[Message] = []
    for part in parts:
        if part.get_content_type() in ("message/rfc822", "message/global"):
            inner.update(id(p) for p in part.walk() if p is not part)
            attached = part.get_payload()
            if isinstance(attached, list) and attached and isinstance(attached[0], Message):
                attached_originals.append(attached[0])
    for count, part in enumerate(parts):
        if count > MAX_PARTS or size > MAX_TEXT_CHARS:
            break
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            text = _status_text(part, parsed)
            parsed.dsn_blocks.extend(_dsn_blocks(text))
            every.append(text)
            continue
        if part.is_multipart():
            continue
        if ctype.startswith("multipart/"):
            # A multipart whose boundary parameter was lost (an unfolded header line): the
            # stdlib keeps its body as one string. Read it as text rather than lose the notice.
            text = _payload_text(part, parsed)
            if id(part) not in inner:
                plain.append(text)
            every.append(text)
            size += len(text)
            continue
        if ctype in ("text/rfc822-headers", "text/rfc822-header", "message/rfc822-headers"):
            text = _payload_text(part, parsed)
            parsed.embedded.append(email.message_from_string(text))
            every.append(text)
        elif ctype.startswith("text/"):
            text = _payload_text(part, parsed)
            embedded = id(part) in inner
            if ctype == "text/html":
                text = html_to_text(text)
                (html if not embedded else every).append(text)
            elif not embedded and part.get_content_disposition() != "attachment":
                plain.append(text)
            every.append(text)
        size += sum(len(t) for t in every[-1:])
    parsed.embedded.extend(attached_originals)
    own = plain or html
    parsed.text = "\n".join(own)[:MAX_TEXT_CHARS]
    parsed.all_text = "\n".join(every)[:MAX_TEXT_CHARS]


def _status_text(part: Message, parsed: Parsed) -> str:
    """The delivery-status body as text; the stdlib parses it into one Message per block."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = []
        for block in payload:
            if isinstance(block, Message):
                blocks.append("\n".join(f"{k}: {header_text(v)}" for k, v in block.items()))
        return "\n\n".join(blocks)
    return _payload_text(part, parsed)


def _payload_text(part: Message, parsed: Parsed) -> str:
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    if not isinstance(payload, bytes):
        return ""
    text, trusted = decode_bytes(payload[: MAX_TEXT_CHARS * 4], content_charset(part))
    if not trusted:
        parsed.defects.append("undecodable_text")
    return text


def _dsn_blocks(text: str) -> list[dict[str, str]]:
    """Split an RFC 3464 delivery-status body into its field blocks (blank-line separated).

    A field appears at most once in a block (RFC 3464 section 2.1), so a field that comes
    again starts the next recipient's block: some servers write the per-recipient blocks one
    after another with no blank line between them, and reading them as one would keep only the
    last recipient's values."""
    blocks: list[dict[str, str]] = []
    for chunk in re.split(r"\r?\n\s*\r?\n", text):
        fields: dict[str, str] = {}
        key = ""
        for line in chunk.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += " " + line.strip()
                continue
            name, sep, value = line.partition(":")
            if sep and name.strip() and " " not in name.strip():
                key = name.strip().lower()
                if key in fields:
                    blocks.append(fields)
                    fields = {}
                fields[key] = value.strip()
        if fields:
            blocks.append(fields)
    return blocks
