"""What one page says about its site: guest-post evidence, contacts, title, language, freshness,
size, outbound links and spam footprints. Pure functions over HTML; no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from ..domains import registrable_domain
from .contacts import extract_emails
from .dates import newest_date

GUEST_PHRASES = (
    "write for us", "submit a guest post", "guest post guidelines", "guest posting guidelines",
    "guest blogging guidelines", "accepting guest posts", "accept guest posts",
    "become a contributor", "contributor guidelines", "submission guidelines", "guest author",
    "guest contributor", "submit an article", "submit your article", "pitch us",
    "guest post", "write for", "contribute",
)  # fmt: skip
_NO_GUEST = re.compile(
    r"\b(?:do not|don't|don’t|no longer|not currently|are not|aren't|never)\s+"
    r"(?:accept|accepting|publish|publishing|take|taking|run|running)\s+(?:any\s+)?"
    r"(?:guest|unsolicited|outside|contributed)|\bno guest (?:posts|articles|contributions)\b",
    re.I,
)
GUEST_SLUGS = (
    "write-for-us", "writeforus", "write-for", "guest-post", "guest-posting", "guest-author",
    "contribute", "contributor", "become-a-contributor", "submit", "submission", "guidelines",
    "pitch",
)  # fmt: skip
_GUIDELINE_HEADINGS = (
    "guideline", "requirement", "what we accept", "what we're looking for", "how to submit",
    "how to pitch", "submission", "topics we cover", "before you pitch", "rules",
)  # fmt: skip
_LINK_WORDS = (
    # Best first: the invitation page, then contact, then about.
    ("write for us", "write-for-us", "guest", "contribut", "submit", "submission", "guideline",
     "pitch", "write for"),
    ("contact",),
    ("about",),
)  # fmt: skip
SPAM_TERMS = {
    "gambling": ("casino", "poker", "sportsbook", "betting odds", "slot online", "online slots",
                 "roulette", "baccarat", "jackpot", "judi online", "bet now"),
    "pharma": ("cbd oil", "cbd gummies", "buy cbd", "viagra", "cialis", "kratom",
               "pharmacy online"),
    "link selling": ("buy links", "buy backlinks", "sell links", "link insertion", "niche edit",
                     "dofollow link", "do-follow link", "pbn", "guest post service",
                     "backlink package", "link building package"),
    "loans": ("payday loan", "instant loan", "bad credit loan"),
}  # fmt: skip
# Whole words only: "cialis" must not match "socialisation".
_SPAM_PATTERNS = {
    label: re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms) + r")\b")
    for label, terms in SPAM_TERMS.items()
}
_PRICE_LIST = re.compile(
    r"[$€£]\s?\d{2,4}\s*(?:/|per|for a|for one)\s*(?:post|article|link|placement)|"
    r"(?:sponsored|guest) post (?:price|rate)s?\b",
    re.I,
)
# Pages are read up to the size cap (2 MB); the signals are in their first part, and regexes
# over megabytes of text would cost seconds of CPU.
MAX_ANALYSED_CHARS = 300_000
_NEGATION = re.compile(r"\b(?:not|no|never|don't|don’t|won't|refuse|reject|without|nor)\b", re.I)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_STOPWORDS = {
    "en": {"the", "and", "of", "to", "is", "in", "that", "for", "with", "you", "are", "this"},
    "de": {"der", "die", "und", "das", "ist", "nicht", "mit", "sich", "auf", "für", "ein"},
    "fr": {"le", "la", "les", "et", "des", "est", "une", "pour", "dans", "que", "pas"},
    "es": {"el", "la", "los", "las", "que", "y", "es", "para", "una", "por", "con"},
    "it": {"il", "che", "di", "la", "per", "una", "sono", "non", "con", "gli", "della"},
    "nl": {"de", "het", "een", "en", "van", "is", "dat", "niet", "voor", "met", "zijn"},
    "pt": {"o", "os", "que", "e", "do", "da", "uma", "para", "com", "não", "são"},
}


@dataclass
class PageFacts:
    url: str
    title: str = ""
    og_site_name: str = ""  # <meta property="og:site_name">, as written
    lang: str | None = None
    text: str = ""
    headings: list[str] = field(default_factory=list)
    word_count: int = 0
    emails: list[str] = field(default_factory=list)
    guest_slug: str | None = None  # e.g. "write-for-us" in the page's path
    guest_title: str | None = None  # a guest-post phrase in the <title>
    guest_phrase: str | None = None  # the strongest guest-post phrase in the text
    guideline_heading: str | None = None
    refuses_guest_posts: bool = False
    has_submission_form: bool = False
    spam: list[str] = field(default_factory=list)
    newest: date | None = None
    internal_links: list[tuple[str, str]] = field(default_factory=list)  # (url, anchor text)
    outbound_links: int = 0
    outbound_domains: int = 0
    contact_page: str | None = None


def norm_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )


def detect_language(tree: HTMLParser, words: list[str]) -> str | None:
    html = tree.css_first("html")
    declared = (html.attributes.get("lang") or "") if html is not None else ""
    if declared.strip():
        return declared.strip().split("-")[0].split("_")[0].lower()[:8]
    sample = [w.lower() for w in words[:2000]]
    counts = {lang: sum(w in stop for w in sample) for lang, stop in _STOPWORDS.items()}
    lang, hits = max(counts.items(), key=lambda kv: kv[1])
    return lang if hits >= 5 else None


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(c, 0, start) for c in ".!?;\n")
    rights = [r for r in (text.find(c, end) for c in ".!?;\n") if r != -1]
    return text[left + 1 : min(rights) if rights else len(text)]


def spam_signals(text: str) -> list[str]:
    """Spam footprints stated as offers; "we do not accept casino posts" does not count."""
    found: list[str] = []
    lowered = text[:MAX_ANALYSED_CHARS].lower()
    patterns = [*_SPAM_PATTERNS.items(), ("paid-post price list", _PRICE_LIST)]
    for label, pattern in patterns:
        for match in pattern.finditer(lowered):
            if _NEGATION.search(_sentence_around(lowered, match.start(), match.end())):
                continue
            signal = label if pattern is _PRICE_LIST else f"{label}: {match.group(0)}"
            if signal not in found:
                found.append(signal)
    return found


def og_site_name(tree: HTMLParser) -> str:
    node = tree.css_first('meta[property="og:site_name"]')
    return " ".join((node.attributes.get("content") or "").split())[:500] if node else ""


def analyse_page(html: str, url: str) -> PageFacts:
    tree = HTMLParser(html)
    facts = PageFacts(url=url)
    title_node = tree.css_first("title")
    facts.title = " ".join((title_node.text() if title_node else "").split())[:500]
    facts.og_site_name = og_site_name(tree)
    raw_text = tree.body.text(separator="\n") if tree.body is not None else ""
    facts.newest = newest_date(tree, raw_text)
    tree.strip_tags(["script", "style", "noscript", "template", "svg"])
    text = tree.body.text(separator="\n") if tree.body is not None else ""
    facts.text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    words = _WORD.findall(facts.text)
    facts.word_count = len(words)
    facts.lang = detect_language(tree, words)
    facts.headings = [
        " ".join(node.text().split()) for node in tree.css("h1, h2, h3, h4") if node.text().strip()
    ]
    facts.emails = extract_emails(HTMLParser(html), facts.text[:MAX_ANALYSED_CHARS])
    _links(tree, facts)
    _guest_evidence(tree, facts)
    facts.spam = spam_signals(facts.text)
    return facts


def _links(tree: HTMLParser, facts: PageFacts) -> None:
    site = registrable_domain(urlsplit(facts.url).hostname or "")
    outbound_domains: set[str] = set()
    seen: set[str] = set()
    for node in tree.css("a[href]"):
        href = (node.attributes.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        absolute = urljoin(facts.url, href)
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        domain = registrable_domain(parts.hostname)
        if domain != site:
            facts.outbound_links += 1
            outbound_domains.add(domain)
            continue
        normalized = norm_url(absolute)
        if normalized not in seen:
            seen.add(normalized)
            facts.internal_links.append((normalized, " ".join(node.text().split()).lower()[:200]))
    facts.outbound_domains = len(outbound_domains)
    for link, anchor in facts.internal_links:
        if "contact" in anchor or "contact" in urlsplit(link).path.lower():
            facts.contact_page = link
            break


def _guest_evidence(tree: HTMLParser, facts: PageFacts) -> None:
    # "We do not accept guest posts" must not count as saying "accept guest posts".
    lowered = _NO_GUEST.sub(" ", facts.text[:MAX_ANALYSED_CHARS].lower())
    title = facts.title.lower()
    path = urlsplit(facts.url).path.lower()
    facts.guest_slug = next((slug for slug in GUEST_SLUGS if slug in path), None)
    facts.guest_title = next((p for p in GUEST_PHRASES if p in title), None)
    facts.guest_phrase = next((p for p in GUEST_PHRASES if p in lowered), None)
    facts.guideline_heading = next(
        (h[:80] for h in facts.headings if any(g in h.lower() for g in _GUIDELINE_HEADINGS)), None
    )
    for form in tree.css("form"):
        fields = " ".join(
            " ".join(
                (n.attributes.get(a) or "") for a in ("name", "placeholder", "id", "aria-label")
            )
            for n in form.css("input, textarea, select")
        ).lower()
        has_text = form.css_first("textarea") is not None or form.css_first("input[type=file]")
        if has_text and any(
            w in fields for w in ("pitch", "article", "draft", "topic", "submission", "headline")
        ):
            facts.has_submission_form = True
            break
    facts.refuses_guest_posts = bool(_NO_GUEST.search(facts.text[:MAX_ANALYSED_CHARS]))


def pick_links(facts: PageFacts, already: set[str], limit: int = 3) -> list[str]:
    """Up to `limit` same-site links worth reading: the invitation page first, then contact,
    then about, then more invitation-like pages."""
    groups: list[list[str]] = []
    for words in _LINK_WORDS:
        matches = []
        for link, anchor in facts.internal_links:
            path = urlsplit(link).path.lower()
            if link in already or link in matches:
                continue
            if any(w in anchor or w.replace(" ", "-") in path for w in words):
                matches.append(link)
        groups.append(matches)
    chosen: list[str] = []
    for candidates in [[g[0]] for g in groups if g] + groups:
        for link in candidates:
            if link not in chosen and len(chosen) < limit:
                chosen.append(link)
    return chosen
