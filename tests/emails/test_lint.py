"""Deliverability lint: each check fires on its signal and stays quiet on a clean email."""

from __future__ import annotations

import pytest

from backlink_outreach.emails.lint import lint
from backlink_outreach.emails.offline_writer import write_follow_up, write_pitch
from backlink_outreach.emails.phrases import TONES
from backlink_outreach.emails.writer import FollowUpRequest, PitchRequest, Prospect

CLEAN_BODY = "Hi Jane,\n\nI write about composting. Would you take a guest post?\n\nAna"


def test_clean_email_has_no_warnings() -> None:
    assert lint("Guest post idea", CLEAN_BODY) == []


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("Idea", "word " * 200 + "Interested?", "201 words"),
        ("Idea", "See https://a.example, www.b.example and http://c.example. Ok?", "3 links"),
        ("Idea", "Results guaranteed. Want them?", '"guaranteed"'),
        ("100% FREE offer", "Want it?", '"100% free"'),
        ("Idea", "Act now, it is risk-free. Deal?", '"act now", "risk-free"'),
        ("Idea", "This is AMAZING news. Want it?", "AMAZING"),
        ("Idea", "Great!! Want it?", "exclamation"),
        ("Idea", "I wrote a post about composting.", "no question or call to action"),
        ("", CLEAN_BODY, "subject is empty"),
        ("x" * 71, CLEAN_BODY, "71 characters"),
        ("Idea", "Hi {first_name}, want a post?", "unrendered placeholders: {first_name}"),
        ("For {site", CLEAN_BODY, "subject has a stray brace"),
    ],
)
def test_each_signal_is_reported(subject: str, body: str, expected: str) -> None:
    warnings = lint(subject, body)
    assert len(warnings) == 1, warnings
    assert expected in warnings[0]


def test_acronyms_and_single_marks_are_fine() -> None:
    assert lint("SEO tips", "Our HTTPS and HTML guide is ready! Let me know.") == []


@pytest.mark.parametrize("tone", TONES)
def test_the_offline_writer_passes_its_own_lint(tone: str) -> None:
    for i in range(20):
        lead = Prospect(name=f"Lee {i}", domain=f"blog{i}.example")
        pitch = write_pitch(PitchRequest("home composting", tone, "Ana Lopez", lead))
        assert lint(pitch.subject, pitch.body) == []
        follow = write_follow_up(FollowUpRequest("Home composting", "", tone, "Ana", lead, i % 3))
        assert lint("Re: Home composting", follow.body) == []
