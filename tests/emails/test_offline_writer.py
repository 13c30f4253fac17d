"""The offline writer: tones, determinism, variety, limits, and text that sending accepts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backlink_outreach.emails.offline_writer import (
    personalize,
    subject_suggestions,
    write_follow_up,
    write_pitch,
)
from backlink_outreach.emails.phrases import TONES
from backlink_outreach.emails.templates import placeholders
from backlink_outreach.emails.wording import word_count
from backlink_outreach.emails.writer import (
    Draft,
    FollowUpRequest,
    PersonalizeRequest,
    PitchRequest,
    Prospect,
)

JANE = Prospect(
    name="Jane Doe", website="https://www.greenthumb.example/blog", domain="greenthumb.example"
)
CONTRACTION = re.compile(r"\b\w+'(?:m|re|ve|ll|d|s|t)\b", re.IGNORECASE)
FIRST_NAMES = ["Ava", "Ben", "Chloe", "Dev", "Elif", "Farah", "Goran", "Hana", "Ivan", "Jo"]


def pitch(
    tone: str = "professional", prospect: Prospect = JANE, topic: str = "urban gardening"
) -> Draft:
    return write_pitch(
        PitchRequest(topic=topic, tone=tone, sender_name="Ana Lopez", prospect=prospect)
    )


def assert_sendable(draft: Draft) -> None:
    # Sending renders subject and body again: no placeholder and no stray brace may remain.
    assert placeholders(draft.subject, draft.body) == []
    assert "{" not in draft.body + draft.subject and "}" not in draft.body + draft.subject
    assert "\n" not in draft.subject and draft.subject.strip()


@pytest.mark.parametrize("tone", TONES)
def test_each_tone_writes_a_complete_pitch(tone: str) -> None:
    draft = pitch(tone)
    assert_sendable(draft)
    assert word_count(draft.body) < 150
    assert draft.body.count("?") == 1, "one clear ask"
    assert "urban gardening" in draft.body
    assert draft.body.rstrip().endswith("Ana Lopez")
    assert len(draft.subject) < 70


def test_tones_differ_in_greeting_and_register() -> None:
    bodies = {tone: pitch(tone).body for tone in TONES}
    assert bodies["formal"].startswith("Dear Jane Doe,")
    assert not CONTRACTION.search(bodies["formal"]), bodies["formal"]
    assert bodies["casual"].startswith(("Hey Jane,", "Hi Jane,"))
    assert CONTRACTION.search(bodies["friendly"]) and CONTRACTION.search(bodies["casual"])
    # Across several leads the register holds: formal never contracts, casual always is short.
    for i, first in enumerate(FIRST_NAMES):
        lead = Prospect(name=f"{first} Smith", domain=f"site{i}.example")
        assert not CONTRACTION.search(pitch("formal", lead).body)
        assert word_count(pitch("casual", lead).body) < word_count(pitch("formal", lead).body)
    assert len(set(bodies.values())) == len(TONES)


def test_same_input_same_output() -> None:
    assert pitch() == pitch()
    request = FollowUpRequest("Guest post idea", "body", "friendly", "Ana", JANE, step=2)
    assert write_follow_up(request) == write_follow_up(request)
    assert subject_suggestions("urban gardening", "casual") == subject_suggestions(
        "urban gardening", "casual"
    )


def test_fifty_leads_do_not_read_alike() -> None:
    leads = [
        Prospect(name=f"{FIRST_NAMES[i % 10]} {chr(65 + i // 10)}.", domain=f"blog{i}.example")
        for i in range(50)
    ]
    drafts = [pitch("professional", lead, "home composting") for lead in leads]
    assert len({d.body for d in drafts}) == 50
    # Not only the names differ: with the lead's own words masked, the wording still varies.
    skeletons = set()
    for lead, draft in zip(leads, drafts, strict=True):
        first = lead.name.split()[0]
        skeletons.add(draft.body.replace(lead.domain, "SITE").replace(first, "NAME"))
    assert len(skeletons) >= 45
    assert len({d.subject for d in drafts}) >= 6


PRINTABLE = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200)


@settings(max_examples=150)
@given(
    topic=PRINTABLE,
    name=PRINTABLE,
    title=PRINTABLE,
    tone=st.sampled_from(TONES),
    step=st.integers(1, 5),
)
def test_any_input_gives_sendable_short_text(
    topic: str, name: str, title: str, tone: str, step: int
) -> None:
    prospect = Prospect(name=name, website_title=title, domain="x.example")
    draft = write_pitch(PitchRequest(topic=topic, tone=tone, sender_name=name, prospect=prospect))
    assert_sendable(draft)
    assert word_count(draft.body) < 150
    assert draft.body.count("?") == 1
    assert len(draft.subject) < 70
    follow = write_follow_up(FollowUpRequest(topic or "x", "", tone, name, prospect, step))
    assert placeholders(follow.body) == [] and "{" not in follow.body
    assert word_count(follow.body) < 90
    assert follow.body.count("?") == 1
    personal = personalize(PersonalizeRequest(topic + "\n" + name, None, name, title, topic))
    assert_sendable(personal)
    for subject in subject_suggestions(topic, tone):
        assert len(subject) < 70 and "{" not in subject and "}" not in subject


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize(
    "topic",
    ["seo", "sustainable gardening for small urban balconies, rooftops and shared courtyards"],
)
def test_five_distinct_subjects_under_70(tone: str, topic: str) -> None:
    subjects = subject_suggestions(topic, tone)
    assert len(subjects) == 5
    assert len({s.casefold() for s in subjects}) == 5
    assert all(0 < len(s) < 70 for s in subjects)
    # A shortened topic is cut at a word, never mid-word or on a dangling "and".
    for s in subjects:
        assert not re.search(r"\b(and|for|of|the)$", s)


@pytest.mark.parametrize("tone", TONES)
def test_follow_up_is_short_refers_back_and_changes_angle(tone: str) -> None:
    first = write_follow_up(
        FollowUpRequest("Guest post idea: composting", "", tone, "Ana", JANE, 1)
    )
    second = write_follow_up(
        FollowUpRequest("Guest post idea: composting", "", tone, "Ana", JANE, 2)
    )
    for draft in (first, second):
        assert word_count(draft.body) < 90
        assert "Guest post idea: composting" in draft.body
        assert draft.body.count("?") == 1
    # The angle paragraph differs between consecutive steps.
    assert first.body.split("\n\n")[1] != second.body.split("\n\n")[1]


def test_follow_up_strips_reply_prefixes_when_quoting() -> None:
    draft = write_follow_up(FollowUpRequest("Re: RE: Fwd: Hello", "", "professional", "Ana"))
    assert '"Hello"' in draft.body


def test_personalize_keeps_the_pitch_and_weaves_in_the_lead() -> None:
    base = (
        "Hello,\n\nI'd like to write a guest post about composting for your readers.\n"
        "It would be original and practical.\n\nWould you be interested?\n\nBest,\nAna"
    )
    draft = personalize(
        PersonalizeRequest(
            body=base,
            lead_name="Jane Doe",
            lead_website="https://www.greenthumb.example/",
            content_topic="urban composting",
        )
    )
    assert draft.body.startswith("Hello Jane,\n\n")
    assert "greenthumb.example" in draft.body and "urban composting" in draft.body
    for line in base.splitlines()[1:]:
        assert line in draft.body.splitlines()
    assert draft.subject and len(draft.subject) < 70
    assert_sendable(draft)


def test_personalize_adds_a_greeting_and_keeps_dear_formal() -> None:
    added = personalize(
        PersonalizeRequest(body="Would you take a guest post?", lead_name="Jane Doe")
    )
    assert added.body == "Hi Jane,\n\nWould you take a guest post?"
    formal = personalize(
        PersonalizeRequest(body="Dear Sir or Madam,\n\nText.", lead_name="Jane Doe")
    )
    assert formal.body.startswith("Dear Jane Doe,\n\n")


def test_personalize_without_lead_details_changes_nothing_but_the_subject() -> None:
    draft = personalize(PersonalizeRequest(body="Hi there,\n\nA pitch?", subject="Kept"))
    assert draft == Draft(subject="Kept", body="Hi there,\n\nA pitch?")
