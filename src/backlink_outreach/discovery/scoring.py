"""Scores in [0, 1] for one site, each with the signals that explain it.

- guest_post_likelihood: evidence that the site invites guest authors (pages, titles, URL slugs,
  guidelines, submission forms), cancelled by a statement that it does not.
- relevance_score: lexical similarity of the site's own text to the keyword (and, more lightly,
  the campaign's keywords). Search snippets are biased towards the query, so they only count
  when the site could not be read.
- quality_score: content depth, freshness, a contact found, modest outbound linking, no spam.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from .analysis import PageFacts, spam_signals
from .queries import Candidate

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_STOP = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "into",
        "is", "it", "of", "on", "or", "our", "the", "their", "this", "to", "we", "what", "with",
        "you", "your", "blog", "blogs", "site", "sites",
    }
)  # fmt: skip
_STRONG_PHRASES = frozenset(
    {
        "write for us", "submit a guest post", "guest post guidelines", "guest posting guidelines",
        "guest blogging guidelines", "accepting guest posts", "accept guest posts",
        "become a contributor", "contributor guidelines", "submit an article",
        "submit your article", "pitch us", "guest post", "guest author", "guest contributor",
    }
)  # fmt: skip
_SUFFIXES = ("ings", "ing", "ers", "er", "s", "ed", "ly")
LINK_FARM_DOMAINS = 40
MAX_SPAM_SIGNALS = 4


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    return [stem(w) for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP]


@dataclass
class Scored:
    website_url: str
    domain: str
    website_title: str | None
    guest_post_page: str | None
    contact_email: str | None
    contact_page: str | None
    quality_score: float
    relevance_score: float
    guest_post_likelihood: float
    signals: list[str] = field(default_factory=list)
    combined: float = 0.0
    spam: bool = False


def _clip(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 3)


def relevance(
    pages: list[PageFacts], fallback: str, keyword: str, extra: list[str]
) -> tuple[float, list[str]]:
    key_terms = list(dict.fromkeys(terms(keyword)))
    extra_terms = [t for t in dict.fromkeys(terms(" ".join(extra))) if t not in key_terms]
    if not key_terms:
        return 0.0, []
    if pages:
        body = Counter(t for p in pages for t in terms(p.text[:400_000]))
        total = max(1, sum(body.values()))
        titles = set(terms(" ".join(p.title for p in pages)))
        heads = set(terms(" ".join(h for p in pages for h in p.headings)))
        discount = 1.0
    else:
        body = Counter(terms(fallback))
        total, titles, heads, discount = max(1, sum(body.values())), set(), set(), 0.5

    def term_score(term: str) -> float:
        per_thousand = 1000 * body[term] / total
        saturated = per_thousand / (per_thousand + 3)
        return 0.7 * saturated + 0.15 * (term in titles) + 0.15 * (term in heads)

    main = sum(term_score(t) for t in key_terms) / len(key_terms)
    score = main
    if extra_terms:
        score = 0.8 * main + 0.2 * sum(term_score(t) for t in extra_terms) / len(extra_terms)
    found = [t for t in key_terms if body[t] or t in titles]
    signals = []
    if found:
        counts = ", ".join(f"{t}×{body[t]}" for t in found)
        where = "the site's text" if pages else "search snippets only"
        signals.append(f"keyword terms in {where}: {counts}")
    else:
        signals.append("keyword not found in the site's text")
    return _clip(score * discount), signals


def _invitation(pages: list[PageFacts]) -> PageFacts | None:
    return next(
        (p for p in pages if p.guest_slug and (p.guest_phrase or p.guideline_heading)), None
    )


def find_guest_post_page(pages: list[PageFacts]) -> str | None:
    """The page that invites guest authors: its address says so and its text does, or else
    its title does. None for a site that says it takes no guest posts."""
    if any(p.refuses_guest_posts for p in pages):
        return None
    page = _invitation(pages) or next((p for p in pages if p.guest_title), None)
    return page.url if page is not None else None


def guest_likelihood(cand: Candidate, pages: list[PageFacts]) -> tuple[float, list[str]]:
    score, signals = 0.0, []
    invite_page = _invitation(pages)
    if invite_page is not None:
        score += 0.35
        signals.append(f"guest-post page {invite_page.url}")
    strong = next((p.guest_phrase for p in pages if p.guest_phrase in _STRONG_PHRASES), None)
    weak = next((p.guest_phrase for p in pages if p.guest_phrase), None)
    if strong:
        score += 0.3
        signals.append(f'says "{strong}"')
    elif weak:
        score += 0.1
        signals.append(f'says "{weak}" (weak signal)')
    title = next((p.guest_title for p in pages if p.guest_title), None)
    if title:
        score += 0.15
        signals.append(f'page title says "{title}"')
    heading = next(
        (p.guideline_heading for p in pages if p.guideline_heading and p.guest_phrase), None
    )
    if heading:
        score += 0.15
        signals.append(f'guidelines section "{heading}"')
    if any(p.has_submission_form for p in pages):
        score += 0.1
        signals.append("article submission form")
    if len(cand.queries) >= 3:
        score += 0.05
        signals.append(f"found by {len(cand.queries)} footprint queries")
    if not pages:
        snippet = " ".join([cand.title, *cand.snippets]).lower()
        hit = next((p for p in sorted(_STRONG_PHRASES) if p in snippet), None)
        if hit:
            score += 0.2
            signals.append(f'search snippet says "{hit}"')
    if any(p.refuses_guest_posts for p in pages):
        score *= 0.15
        signals.append("says it does not accept guest posts")
    return _clip(score), signals


def _freshness(newest: date | None, today: date) -> tuple[float, str]:
    if newest is None:
        return 0.3, "no dates found"
    age = (today - newest).days
    if age <= 90:
        return 1.0, f"updated {newest.isoformat()}"
    if age <= 365:
        return 0.7, f"newest date {newest.isoformat()}"
    if age <= 730:
        return 0.4, f"newest date {newest.isoformat()} (over a year old)"
    return 0.15, f"newest date {newest.isoformat()} (stale)"


def site_spam(pages: list[PageFacts]) -> list[str]:
    found: list[str] = []
    for page in pages:
        for signal in page.spam:
            if signal not in found:
                found.append(signal)
        if page.outbound_domains >= LINK_FARM_DOMAINS:
            found.append(f"link farm: {page.outbound_domains} outbound domains on one page")
    return found


def quality(
    pages: list[PageFacts], contact: str | None, contact_page: str | None, spam: list[str]
) -> tuple[float, list[str]]:
    today = datetime.now(UTC).date()
    signals = []
    words = sum(p.word_count for p in pages)
    depth = min(1.0, words / 1500)
    signals.append(f"{words} words read on {len(pages)} page(s)")
    newest = max((p.newest for p in pages if p.newest), default=None)
    fresh, fresh_text = _freshness(newest, today)
    signals.append(fresh_text)
    score = 0.25 * depth + 0.25 * fresh
    if contact:
        score += 0.25
        signals.append(f"contact email found: {contact}")
    elif contact_page:
        score += 0.12
        signals.append("contact page found, no email on it")
    else:
        signals.append("no contact found")
    links = sum(p.outbound_links for p in pages)
    density = 100 * links / max(1, words)
    if density <= 2:
        score += 0.1
    elif density <= 5:
        score += 0.05
    else:
        signals.append(f"many outbound links ({density:.1f} per 100 words)")
    if spam:
        score *= 0.3
        signals.extend(f"spam signal: {s}" for s in spam[:MAX_SPAM_SIGNALS])
    else:
        score += 0.15
    return _clip(score), signals


def combine(relevance_score: float, guest: float, quality_score: float, spam: bool) -> float:
    combined = 0.4 * relevance_score + 0.35 * guest + 0.25 * quality_score
    return round(combined * (0.25 if spam else 1.0), 4)


def snippet_spam(cand: Candidate) -> list[str]:
    return spam_signals(" ".join([cand.title, *cand.snippets]))
