"""The fast paths of reading a message must read it exactly as the general code does: the
single-part header reader against the stdlib parser, and the lowered case-sensitive regular
expressions against the IGNORECASE originals."""

from __future__ import annotations

import email
import re
from email.message import Message

import pytest

from backlink_outreach.replies import autoreply, dsn, intents
from backlink_outreach.replies.parsing import content_charset, simple_message

from .corpus_eval import CORPUS

SIMPLE = [
    b"From: a@b.test\r\nSubject: hi\r\n\r\nbody\r\n",
    b"From: a@b.test\nSubject: hi\n\nbody\n",
    b"A: b\rC: d\r\rbody\r",
    b"A: b\r\n\r\n",
    b"A: b\r\n c\r\n\td\r\nE:\r\n f\r\n\r\nx",
    b"A: b\r\nC: d\r\n\nx",
    b"A: b\n\r\nx",
    b"A: b\r\r\nx",
    b"A: b\x0bc\r\n\r\nx",
    b"A: b\r\n\r\nbod\xff\xfey",
    b'Content-Type: TEXT/HTML; CHARSET="Windows-1252"; format=flowed\r\n\r\n<p>x</p>',
    b'Content-Type: text/plain; charset="UTF-8"\r\nContent-Transfer-Encoding: quoted-printable'
    b"\r\n\r\ncaf=C3=A9\r\n",
    b"Content-Type: text/plain;\r\n charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n"
    b"\r\nY2Fm6Q==\r\n",
    b"Content-Type: text/plain; charset*=utf-8''x\r\n\r\nhi",
    b"Content-Type: text/plain; charset=utf-8 ; \r\n\r\nhi",
]
GENERAL = [
    b"\r\nbody",  # no headers at all
    b"From x@y Mon Jan  1 00:00:00 2024\r\nA: b\r\n\r\nx",  # unix-from line
    b" A: b\r\n\r\nx",  # first line is a continuation
    b":x\r\nA: b\r\n\r\nx",  # empty header name
    b"A b\r\nC: d\r\n\r\nx",  # not a header line
    b"A: b\r\nC: d",  # no end of headers
    b"Subject: caf\xc3\xa9\r\n\r\nx",  # 8-bit header
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n",
    b"Content-Type: message/rfc822\r\n\r\nA: b\r\n\r\nx",
]


def _state(msg: Message) -> tuple[object, ...]:
    return (
        # The raw header list, before any policy: private, and not in typeshed.
        msg._headers,  # type: ignore[attr-defined]
        msg.get_payload(),
        [type(d) for d in msg.defects],
        msg.get_unixfrom(),
        msg.preamble,
        msg.epilogue,
        msg.get_content_type(),
        msg.get_content_charset(),
        msg.get_payload(decode=True),
    )


@pytest.mark.parametrize("raw", SIMPLE)
def test_simple_messages_read_as_the_stdlib_reads_them(raw: bytes) -> None:
    fast = simple_message(raw)
    assert fast is not None
    assert _state(fast) == _state(email.message_from_bytes(raw))
    assert content_charset(fast) == fast.get_content_charset()


@pytest.mark.parametrize("raw", GENERAL)
def test_anything_unusual_goes_to_the_stdlib_parser(raw: bytes) -> None:
    assert simple_message(raw) is None


@pytest.mark.skipif(not CORPUS.exists(), reason="shared bounce corpus not present (../shared)")
def test_real_bounces_read_alike_on_either_path() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    assert files, "the bounce corpus folder is empty"
    simple = 0
    for path in files:
        raw = path.read_bytes()
        reference = email.message_from_bytes(raw)
        fast = simple_message(raw)
        if fast is not None:
            simple += 1
            assert _state(fast) == _state(reference), path.name
        for part in reference.walk():
            assert content_charset(part) == part.get_content_charset(), path.name
    assert simple > 0  # some bounces are plain single-part notices


TEXTS = [
    "I am OUT OF THE OFFICE until Monday. Thank you for your e-mail, we will reply soon.",
    "Automatic reply: Away - back on 3 June",
    "Not interested. Please REMOVE ME from your list!",
    "Ich bin bis zum 12. Juni im Urlaub. Nach meiner Rückkehr melde ich mich.",
    "Yes, OK, sounds good - what's your price?",
]


@pytest.mark.parametrize("text", TEXTS)
def test_lowered_patterns_find_what_ignorecase_finds(text: str) -> None:
    patterns = [
        autoreply.AWAY_SUBJECT_RE,
        autoreply.AUTO_SUBJECT_RE,
        autoreply.AWAY_BODY_RE,
        autoreply.AUTO_BODY_RE,
    ]
    for pattern in patterns:
        found = pattern.search(text)
        assert autoreply._search(pattern, text) == (found.group(0) if found else None)
    pairs = [pair for rule in intents._COMPILED for pair in rule.by_lang.values()]
    for pattern, cased in pairs:
        expected = [(m.start(), m.end()) for m in pattern.finditer(text)]
        if text.isascii():
            assert [(m.start(), m.end()) for m in cased.finditer(text.lower())] == expected


def test_patterns_hold_no_upper_case_letters() -> None:
    # Lowering the text is only equivalent to IGNORECASE while the patterns are lower case.
    patterns = [autoreply.AWAY_SUBJECT_RE, autoreply.AUTO_BODY_RE, autoreply.AWAY_BODY_RE]
    patterns += [autoreply.AUTO_SUBJECT_RE, dsn.BOUNCE_SUBJECT_RE]
    patterns += [p for rule in intents._COMPILED for p, _ in rule.by_lang.values()]
    for pattern in patterns:
        assert not re.findall(r"[A-Z]", re.sub(r"\\.", "", pattern.pattern)), pattern.pattern
