"""Small text helpers shared by the writers and the lint: cleaning inputs, counting, shortening."""

from __future__ import annotations

import hashlib
import random
import re
from urllib.parse import urlsplit

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Braces would turn the text into (broken) template syntax when sending renders it again.
_BRACES = str.maketrans({"{": "(", "}": ")"})


def clean_inline(text: str) -> str:
    """One line of user text made safe to weave into an email: no braces, no line breaks."""
    return _SPACE.sub(" ", text.translate(_BRACES)).strip()


def clean_topic(text: str) -> str:
    """A topic for use mid-sentence: one line, no braces, no `?`/`!` (they would add a second
    question or shouting), no trailing full stop."""
    topic = clean_inline(text.replace("?", " ").replace("!", " "))
    return topic.rstrip(" .,;:-")


def clean_block(text: str) -> str:
    """Multi-line user text with braces neutralised and line endings normalised."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_BRACES)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


# A phrase cut short should not end on a word that promises more ("... for small urban and").
_DANGLING = frozenset(
    ("a", "an", "and", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or", "the")
    + ("to", "with", "without", "your", "our", "my")
)


def _tidy_cut(words: list[str]) -> str:
    while len(words) > 1 and words[-1].casefold().strip(",;:-(") in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(" ,;:-(")


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary when there is one."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    head = text[: limit + 1]
    if " " not in head.strip():
        return text[:limit].rstrip(" ,;:-(")
    return _tidy_cut(head.rsplit(" ", 1)[0].split())[:limit]


def shorten_words(text: str, words: int) -> str:
    parts = text.split()
    return _tidy_cut(parts[:words]) if len(parts) > words else text


def capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else ""


def site_label(website: str, title: str = "", domain: str = "") -> str:
    """How a site is named in prose: its title, else its host without `www.`, else ``."""
    if title.strip():
        return clean_inline(title)
    host = domain.strip()
    if not host and website.strip():
        raw = website.strip()
        try:
            host = urlsplit(raw if "//" in raw else f"http://{raw}").hostname or ""
        except ValueError:  # e.g. an unbalanced "[" reads as a broken IPv6 literal
            host = raw
    host = host.lower()
    return clean_inline(host[4:] if host.startswith("www.") else host)


def seeded_random(*parts: object) -> random.Random:
    """A generator fixed by its inputs: the same lead and topic always get the same wording,
    in every process (unlike `hash()`, which is salted per process)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))
