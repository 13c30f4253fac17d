"""The classifier on the hand-written labelled set (per-class accuracy printed), plus the rules
that decide effects: return dates, quoting, word boundaries."""

from __future__ import annotations

from collections import Counter
from datetime import date
from email.message import EmailMessage

import pytest

from backlink_outreach.replies import quoting
from backlink_outreach.replies.classify import classify
from backlink_outreach.replies.dates import return_date
from backlink_outreach.replies.intents import classify_text
from backlink_outreach.replies.parsing import parse

from .human_set import CASES

TODAY = date(2025, 6, 3)


def message(subject: str, headers: dict[str, str], body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "them@blog.test"
    msg["To"] = "outreach@sender.test"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def test_labelled_human_set_per_class_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(CASES) >= 80
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    misses = []
    for expected, subject, headers, body in CASES:
        result = classify(parse(message(subject, headers, body)), today=TODAY)
        total[expected] += 1
        right[expected] += result.classification == expected
        assert result.reasons and 0 < result.confidence <= 1
        if result.classification != expected:
            misses.append(f"{expected} -> {result.classification}: {body[:50]!r}")
    with capsys.disabled():
        print("\nhuman set per-class accuracy:")
        for name in sorted(total):
            print(f"  {name:16} {right[name]}/{total[name]} = {right[name] / total[name]:.2f}")
        print(f"  overall {sum(right.values())}/{len(CASES)}")
    assert sum(right.values()) / len(CASES) >= 0.95, misses
    assert min(right[n] / total[n] for n in total) >= 0.85, misses


@pytest.mark.parametrize(
    ("text", "english", "expected"),
    [
        ("I am out of the office until 12 June.", True, date(2025, 6, 12)),
        ("Back on July 4th, 2025.", True, date(2025, 7, 4)),
        ("Ich bin bis zum 15. Juli nicht im Büro.", False, date(2025, 7, 15)),
        ("de retour le 5 septembre", False, date(2025, 9, 5)),
        ("hasta el 2 de agosto", False, date(2025, 8, 2)),
        ("Away from 1 June to 2025-06-20", True, date(2025, 6, 20)),
        ("back on 03/01", True, date(2026, 3, 1)),
        ("terug op 03/07", False, date(2025, 7, 3)),
        ("I'm away, no date given", True, None),
    ],
)
def test_return_dates(text: str, english: bool, expected: date | None) -> None:
    assert return_date(text, TODAY, english=english) == expected


def test_new_text_drops_quotes_forwards_and_signatures() -> None:
    body = (
        "Sounds good.\n\nThanks,\nJo\nEditor\n\n"
        "On Mon, 2 Jun 2025, X <x@y.test> wrote:\n> unsubscribe"
    )
    assert quoting.new_text(body) == "Sounds good."
    outlook = "Sure.\n\nFrom: Outreach\nSent: Monday\nTo: me\nSubject: Hi\n\nremove me"
    assert quoting.new_text(outlook) == "Sure."
    assert quoting.new_text("> remove me\n> please") == ""


def test_intents_use_word_boundaries() -> None:
    assert classify_text(
        "Our stopwatch review is live, nothing to remove here."
    ).classification != ("unsubscribe")
    assert classify_text("Please unsubscribe me").classification == "unsubscribe"
    assert classify_text("I'm not interested").classification == "not_interested"


def test_colleague_answer_and_automatic_headers_beat_wording() -> None:
    raw = message("Re: Guest post", {"Auto-Submitted": "auto-replied"}, "Yes, interested!")
    assert classify(parse(raw), today=TODAY).classification == "auto_reply"
    assert classify(parse(message("Re: x", {"Auto-Submitted": "no"}, "Yes!"))).classification == (
        "interested"
    )


def test_hostile_input_never_raises() -> None:
    samples = [
        b"",
        b"\x00\xff" * 1000,
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x--",
        b"Content-Type: text/plain; charset=nonsense\r\n\r\n\xff\xfe",
        b"Subject: =?bogus?Q?x?=\r\n\r\nhi",
        b"Content-Type: message/delivery-status\r\n\r\nAction: failed\r\nStatus: 9.9.9",
    ]
    for raw in samples:
        classify(parse(raw), today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No.", "not_interested"),  # a one-word answer is an answer in any language
        ("No", "not_interested"),
        ("Ja!", "interested"),
        # In prose whose language is unclear, "ja" may be Latvian "if": no yes is read.
        ("Ja, ja nepieciešams, sazinieties ar mani", "other"),
        # "no problem" / "no worries" agree: no "no" is read
        ("No problem, send me the draft.", "interested"),
        ("No worries, go ahead.", "interested"),
        ("No problem.", "other"),
    ],
)
def test_a_short_word_decides_only_as_the_whole_reply(text: str, expected: str) -> None:
    assert classify_text(text).classification == expected
