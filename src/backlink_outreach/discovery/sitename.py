"""A site's name for a result's `website_title`: its home page's `og:site_name`, else its home
page `<title>` without the separators and stock words sites put around their name
("Green Thumb | Home", "Welcome to Green Thumb", "Blog – Green Thumb").

Everything here is text a crawled site wrote: it leaves as a plain string, control and
formatting characters removed (a NUL would make PostgreSQL refuse the row; bidi overrides
would make the name read differently from what it is), whitespace collapsed. Escaping for
HTML is the web layer's job.
"""

from __future__ import annotations

import re
import unicodedata

from selectolax.lexbor import LexborHTMLParser as HTMLParser

MAX_NAME_CHARS = 200
# The head of a page is at its start: the name tags are read from its first part only.
HEAD_CHARS = 100_000
# "Site | Home", "Site – Blog", "Site - Home", "Site: tagline", "Site » Home", "Site :: Home".
_SEPARATORS = re.compile(r"\s*[|–—·•»«]\s*|\s*::\s*|\s+[-/~]\s+|:\s+")
_WELCOME = re.compile(r"^(?:welcome to|welcome at|willkommen bei|bienvenue sur)\s+", re.I)
# Segments that are no site's name: what sites put beside it, and the titles of the pages a
# discovery visits (the invitation page, contact, about).
_STOCK = frozenset(
    {
        "home", "homepage", "home page", "start", "startseite", "accueil", "index", "main",
        "main page", "welcome", "blog", "the blog", "our blog", "official site",
        "official website", "website", "site", "news", "latest", "articles", "contact",
        "contact us", "about", "about us", "write for us", "guest post", "guest posts",
        "guest post guidelines", "guest posting guidelines", "contribute", "contributors",
        "become a contributor", "submit a guest post", "submit an article", "not found",
        "page not found", "404", "untitled",
    }
)  # fmt: skip
_SQUASH = re.compile(r"[\W_]+", re.UNICODE)


def plain(text: str) -> str:
    """`text` as one line of plain characters: no control or formatting characters."""
    kept = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text if ch != "\x00")
    return " ".join(kept.split())[:MAX_NAME_CHARS]


def name_tags(html: str) -> tuple[str, str]:
    """(og:site_name, <title>) of a page, each as written (whitespace collapsed)."""
    tree = HTMLParser(html[:HEAD_CHARS])
    meta = tree.css_first('meta[property="og:site_name"]')
    og = (meta.attributes.get("content") or "") if meta is not None else ""
    title = tree.css_first("title")
    return " ".join(og.split()), " ".join((title.text() if title else "").split())


def _squash(text: str) -> str:
    return _SQUASH.sub("", text.lower())


def _names_the_domain(segment: str, label: str) -> bool:
    squashed = _squash(segment)
    if not squashed or not label:
        return False
    return (
        squashed == label
        or (len(label) >= 4 and label in squashed)
        or (len(squashed) >= 4 and squashed in label)
    )


def clean_title(title: str, domain: str, *, home: bool) -> str | None:
    """The site's name in a page title, or None when the title has none. On the home page
    the name is the part that spells the domain, else the first part that is not a stock
    word ("Home | Green Thumb"); on another page the part that spells the domain, else the
    last part ("Ten tomato tips | Green Thumb"), and a title without separators is the
    page's own, not the site's."""
    text = plain(title)
    parts = [_WELCOME.sub("", p).strip(" -") for p in _SEPARATORS.split(text)]
    parts = [p for p in parts if p and _squash(p) and p.lower().strip(" .!") not in _STOCK]
    if not parts:
        return None
    label = _squash(domain.split(".", 1)[0])
    named = next((p for p in parts if _names_the_domain(p, label)), None)
    if named is not None:
        return named
    if home:
        return parts[0]
    return parts[-1] if len(_SEPARATORS.split(text)) > 1 else None


def site_name(og: str, title: str, domain: str, *, home: bool = True) -> str | None:
    """og:site_name when the page has one, else the name in its title."""
    return plain(og) or clean_title(title, domain, home=home)
