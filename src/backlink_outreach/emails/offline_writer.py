"""The offline writer: tone-aware pitches from phrase banks, no network and no model.

Every choice comes from a generator seeded by the inputs (lead, topic, tone, step), so the same
lead always gets the same email while fifty leads of one campaign get different ones. Inputs are
cleaned of braces first and the banks contain only known slots, so the output never holds a
placeholder or a stray brace (sending renders it again).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from .phrases import BANKS, ToneBank
from .templates import render
from .wording import (
    capitalize_first,
    clean_block,
    clean_inline,
    clean_topic,
    first_name,
    seeded_random,
    shorten,
    shorten_words,
    site_label,
    word_count,
)
from .writer import Draft, FollowUpRequest, PersonalizeRequest, PitchRequest, Prospect

PITCH_MAX_WORDS = 149
FOLLOW_UP_MAX_WORDS = 89
SUBJECT_MAX_CHARS = 69
SUGGESTIONS = 5
_TOPIC_WORDS = 12
_FALLBACK_TOPIC = "your niche"

_GREETING = re.compile(
    r"^(?P<word>hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening))\b"
    r"(?P<rest>[^\n]*?)(?P<punct>[,!:.;]?)\s*$",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|sv)\s*:\s*)+", re.IGNORECASE)

_WEAVE_BOTH = (
    "I have been reading {site}, and your coverage of {topic} is what prompted this note.",
    "Your writing on {topic} at {site} is the reason I am getting in touch.",
    "I enjoyed what {site} has published on {topic}, so I wanted to reach out.",
)
_WEAVE_SITE = (
    "I have been reading {site} and thought of you for this.",
    "This idea seemed like a natural fit for {site}.",
)
_WEAVE_TOPIC = (
    "Since you write about {topic}, I thought this might interest you.",
    "Given your interest in {topic}, this seemed worth sharing.",
)


def _bank(tone: str) -> ToneBank:
    return BANKS.get(tone, BANKS["professional"])


def _topic(raw: str) -> str:
    topic = clean_topic(raw)
    return topic if any(ch.isalnum() for ch in topic) else _FALLBACK_TOPIC


def _phrase(text: str, words: int) -> str:
    """A name or title fit for prose: no `?`/`!` (only the ask asks), bounded so that an odd
    200-character "name" cannot blow the word limit, and empty when it has no letters."""
    cleaned = shorten_words(clean_topic(text), words)
    return cleaned if any(ch.isalnum() for ch in cleaned) else ""


def _slots(topic: str, prospect: Prospect, sender: str, orig: str = "") -> dict[str, str]:
    name = _phrase(prospect.name, 5)
    site = _phrase(site_label(prospect.website, prospect.website_title, prospect.domain), 8)
    return {
        "topic": topic,
        "Topic": capitalize_first(topic),
        "site": site,
        "first": first_name(name),
        "name": name,
        "sender": _phrase(sender, 6),
        "orig": orig,
    }


def _pick(rng: random.Random, options: Sequence[str]) -> str:
    return options[rng.randrange(len(options))]


def _fit_subject(pattern: str, topic: str) -> str:
    """The pattern with the topic shortened so that the whole stays under 70 characters."""
    fixed = len(render(pattern, {"topic": "", "Topic": ""}))
    short = shorten(topic, SUBJECT_MAX_CHARS - fixed) or topic[: max(SUBJECT_MAX_CHARS - fixed, 0)]
    subject = render(pattern, {"topic": short, "Topic": capitalize_first(short)}).strip()
    return shorten(subject, SUBJECT_MAX_CHARS)


_NOT_A_PERSON = frozenset(
    ("outreach", "team", "marketing", "seo", "agency", "media", "news", "editorial", "inc")
    + ("ltd", "llc", "gmbh", "company", "support", "info", "newsletter", "backlink")
)


def _is_person(sender: str) -> bool:
    words = sender.casefold().replace(".", " ").split()
    return bool(words) and not any(w in _NOT_A_PERSON for w in words)


def _sign_off(closing: str, sender: str) -> str:
    return f"{closing}\n{sender}" if sender else closing


def _join(paragraphs: Sequence[str]) -> str:
    return "\n\n".join(p for p in paragraphs if p)


def write_pitch(request: PitchRequest) -> Draft:
    topic = _topic(request.topic)
    if request.base is not None:
        subject = clean_inline(request.base.subject) or subject_line(topic, request.tone)
        return Draft(subject=subject, body=clean_block(request.base.body).strip())
    bank = _bank(request.tone)
    p = request.prospect
    rng = seeded_random("pitch", request.tone, topic.casefold(), p.name, p.website,
                        p.website_title, p.domain, request.sender_name)  # fmt: skip
    slots = _slots(shorten_words(topic, _TOPIC_WORDS), p, request.sender_name)
    greeting = _pick(rng, bank.greet_named if slots["first"] else bank.greet_anon)
    opener = _pick(rng, bank.open_site if slots["site"] else bank.open_anon)
    # "I'm Backlink Outreach" reads badly: only a person introduces themselves.
    offers = [o for o in bank.offers if _is_person(slots["sender"]) or "{sender}" not in o]
    offer = _pick(rng, offers)
    value = _pick(rng, bank.values)
    ask = _pick(rng, bank.asks)
    courtesy = _pick(rng, bank.courtesies)
    closing = _pick(rng, bank.closings)

    def body_of(parts: dict[str, str]) -> str:
        intro = " ".join(x for x in (parts["opener"], parts["offer"]) if x)
        return render(
            _join([greeting, intro, parts["value"], ask, parts["courtesy"]]), slots
        ) + "\n\n" + _sign_off(closing, slots["sender"])  # fmt: skip

    parts = {"opener": opener, "offer": offer, "value": value, "courtesy": courtesy}
    body = body_of(parts)
    # Long topics or names can push past the limit: drop the optional sentences, least
    # important first, until it fits. The ask always stays.
    for optional in ("courtesy", "value", "opener", "offer"):
        if word_count(body) <= PITCH_MAX_WORDS:
            break
        parts[optional] = ""
        body = body_of(parts)
    return Draft(subject=subject_line(topic, request.tone, rng), body=body)


def subject_line(topic: str, tone: str, rng: random.Random | None = None) -> str:
    rng = rng or seeded_random("subject", tone, topic.casefold())
    return _fit_subject(_pick(rng, _bank(tone).subjects), _topic(topic))


def subject_suggestions(topic: str, tone: str) -> list[str]:
    """Five subjects in the tone, distinct ignoring case, each under 70 characters."""
    cleaned = _topic(topic)
    pool = list(_bank(tone).subjects)
    seeded_random("subjects", tone, cleaned.casefold()).shuffle(pool)
    seen: dict[str, str] = {}
    for pattern in pool:
        subject = _fit_subject(pattern, cleaned)
        seen.setdefault(subject.casefold(), subject)
        if len(seen) == SUGGESTIONS:
            break
    return list(seen.values())


def original_reference(subject: str) -> str:
    """The original subject as a follow-up quotes it: no `Re:`, no quotes, at most 8 words."""

    # No `?` either: the follow-up's own question stays its only one.
    bare = _REPLY_PREFIX.sub("", clean_topic(subject)).replace('"', "")
    return shorten_words(bare.strip(), 8) or "my guest post idea"


def write_follow_up(request: FollowUpRequest) -> Draft:
    bank = _bank(request.tone)
    p = request.prospect
    orig = original_reference(request.original_subject)
    rng = seeded_random("follow-up", request.tone, orig.casefold(), p.name, p.website,
                        p.domain, request.step)  # fmt: skip
    slots = _slots("", p, request.sender_name, orig)
    greeting = _pick(rng, bank.greet_named if slots["first"] else bank.greet_anon)
    # A new angle each step: consecutive steps never repeat the previous angle.
    angles = bank.fu_angles
    angle = angles[(rng.randrange(len(angles)) + request.step) % len(angles)]
    last = _pick(rng, bank.fu_last) if request.step >= 2 else ""
    paragraphs = [
        greeting,
        f"{_pick(rng, bank.fu_refs)} {angle}",
        _pick(rng, bank.fu_asks),
        last,
    ]
    body = render(_join(paragraphs), slots)
    body += "\n\n" + _sign_off(_pick(rng, bank.closings), slots["sender"])
    if word_count(body) > FOLLOW_UP_MAX_WORDS:
        body = render(_join(paragraphs[:3]), slots) + "\n\n" + slots["sender"]
    return Draft(subject="", body=body)


def personalize(request: PersonalizeRequest) -> Draft:
    """Weave the lead's name, site and topic into an existing email; the pitch stays as written."""
    body = clean_block(request.body).strip("\n")
    name = clean_inline(request.lead_name)
    topic = shorten_words(clean_topic(request.content_topic), _TOPIC_WORDS)
    site = site_label(request.lead_website)
    rng = seeded_random("personalize", body, name, site, topic)
    lines = body.split("\n")
    index = next((i for i, line in enumerate(lines) if line.strip()), None)
    greeting = _GREETING.match(lines[index].strip()) if index is not None else None
    if greeting and word_count(lines[index or 0]) > 6:
        greeting = None  # a sentence that merely starts with "Hi", not a greeting line
    if name:
        if greeting and index is not None:
            word = greeting["word"]
            who = name if word.lower() == "dear" else first_name(name)
            lines[index] = f"{capitalize_first(word)} {who}{greeting['punct'] or ','}"
        else:
            lines[:0] = [f"Hi {first_name(name)},", ""]
            index, greeting = 0, None
    sentence = _weave(rng, body, site, topic)
    if sentence:
        at = (index + 1) if (index is not None and (greeting or name)) else 0
        lines[at:at] = ["", sentence, ""] if at else [sentence, ""]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    subject = clean_inline(request.subject or "") or _personal_subject(rng, topic, site, name)
    return Draft(subject=subject, body=text)


def _weave(rng: random.Random, body: str, site: str, topic: str) -> str:
    folded = body.casefold()
    has_site = bool(site) and site.casefold() in folded
    has_topic = bool(topic) and topic.casefold() in folded
    slots = {"site": site, "topic": topic}
    if site and topic and not (has_site and has_topic):
        return capitalize_first(render(_pick(rng, _WEAVE_BOTH), slots))
    if site and not has_site:
        return capitalize_first(render(_pick(rng, _WEAVE_SITE), slots))
    if topic and not has_topic:
        return render(_pick(rng, _WEAVE_TOPIC), slots)
    return ""


def _personal_subject(rng: random.Random, topic: str, site: str, name: str) -> str:
    if topic and site:
        return _fit_subject(
            _pick(rng, (f"An idea on {{topic}} for {site}", "{Topic}: an idea")), topic
        )
    if topic:
        return _fit_subject(
            _pick(rng, ("An idea on {topic} for you", "{Topic}: a guest post")), topic
        )
    if site:
        return shorten(f"An idea for {site}", SUBJECT_MAX_CHARS)
    if name:
        return shorten(f"An idea for you, {first_name(name)}", SUBJECT_MAX_CHARS)
    return "A guest post idea"


class OfflineWriter:
    """The default writer; async only to share the interface with the LLM writer."""

    async def pitch(self, request: PitchRequest) -> Draft:
        return write_pitch(request)

    async def personalize(self, request: PersonalizeRequest) -> Draft:
        return personalize(request)

    async def subjects(self, topic: str, tone: str) -> list[str]:
        return subject_suggestions(topic, tone)

    async def follow_up(self, request: FollowUpRequest) -> Draft:
        return write_follow_up(request)
