"""Finding our link in a page as served (no JavaScript is run), with selectolax.

A link counts when an `<a href>`, resolved against the page's URL (or its `<base href>`),
equals `target_url` after `normalize_url`: scheme and host case, the default port, `www.`, a
trailing slash, the fragment and tracking parameters (`utm_*`, `gclid`, `fbclid`) do not matter;
the scheme itself and the path's case do. Redirects of the target are not followed.

Pages can be 2 MB with thousands of links, so hrefs are first screened (absolute hrefs must
mention the target's host, which lexbor's `[href*=... i]` selector tests in C; relative ones can
only match when the page is on the target's host) and only the candidates are resolved and
normalised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

# The rel values that tell search engines not to pass authority, as API.md lists them.
QUALIFYING_RELS = ("nofollow", "sponsored", "ugc")
_TRACKING = frozenset({"gclid", "fbclid"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NOT_CONTENT_TAGS = frozenset({"nav", "header", "footer", "aside"})
_NOT_CONTENT_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary"})
# A sidebar or comment block, by its class or id (`sidebar`, `widget-area`, `comments`,
# `comment-list`, `disqus_thread`...): words separated by `-`, `_` or spaces.
_NOT_CONTENT_NAME = re.compile(
    r"(?:^|[\s_-])(?:sidebar|side-bar|widget|widgets|widget-area|comment|comments|"
    r"commentlist|disqus)(?:$|[\s_-])",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
_PLAIN_HOST = re.compile(r"[a-z0-9.-]+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
MAX_ANCHOR = 500
MAX_URL = 2048


@dataclass(frozen=True)
class FoundLink:
    href: str  # as written on the page
    anchor_text: str
    rel: list[str]  # the QUALIFYING_RELS found, in page order
    in_content: bool
    anchor_matches: bool | None  # None when no anchor text is expected

    @property
    def nofollow(self) -> bool:
        return bool(self.rel)


@dataclass(frozen=True)
class Finding:
    link: FoundLink | None
    noindex: bool
    canonical_url: str | None


def _host(host: str) -> str:
    host = host.lower().rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    return host[4:] if host.startswith("www.") else host


def normalize_url(url: str) -> str | None:
    """The comparable form of an http(s) URL, or None when it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    netloc = _host(parts.hostname)
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = _percent_upper(parts.path).rstrip("/")
    query = ""
    if parts.query:
        pairs = [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith("utm_") and k.lower() not in _TRACKING
        ]
        query = urlencode(sorted(pairs))
    return urlunsplit((scheme, netloc, path, query, ""))


_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")


def _percent_upper(path: str) -> str:
    return _PERCENT.sub(lambda m: m.group(0).upper(), path) if "%" in path else path


def _clean(text: str, limit: int) -> str:
    # PostgreSQL refuses NUL in text; pages may carry one.
    return _SPACE.sub(" ", text.replace("\x00", "")).strip()[:limit]


def _anchor_text(node: LexborNode) -> str:
    text = _clean(node.text(deep=True, separator=" "), MAX_ANCHOR)
    if not text:
        # An image link: its alt text is what search engines read as the anchor.
        image = node.css_first("img[alt]")
        if image is not None:
            text = _clean(image.attributes.get("alt") or "", MAX_ANCHOR)
    return text


def _rels(value: str | None) -> list[str]:
    tokens = (value or "").lower().split()
    return [rel for rel in dict.fromkeys(tokens) if rel in QUALIFYING_RELS]


def _in_content(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None and parent.tag not in ("body", "html", "-document"):
        if parent.tag in _NOT_CONTENT_TAGS:
            return False
        attributes = parent.attributes
        if (attributes.get("role") or "").lower() in _NOT_CONTENT_ROLES:
            return False
        for name in ("class", "id"):
            value = attributes.get(name)
            if value and _NOT_CONTENT_NAME.search(value):
                return False
        parent = parent.parent
    return True


def _same_text(a: str, b: str) -> bool:
    return _SPACE.sub(" ", a).strip().casefold() == _SPACE.sub(" ", b).strip().casefold()


def _meta_noindex(parser: LexborHTMLParser) -> bool:
    for meta in parser.css("meta[name][content]"):
        name = (meta.attributes.get("name") or "").strip().lower()
        if name in ("robots", "googlebot"):
            content = (meta.attributes.get("content") or "").lower()
            if {"noindex", "none"} & {token.strip() for token in content.split(",")}:
                return True
    return False


_DIRECTIVES = frozenset(
    {"all", "noindex", "nofollow", "none", "noarchive", "nosnippet", "notranslate", "noimageindex"}
)


def header_noindex(values: Iterable[str], agents: Iterable[str] = ("googlebot",)) -> bool:
    """`X-Robots-Tag` values: `noindex` (or `none`) for every agent, or for one of `agents`
    (`googlebot: noindex`). Directives after `otherbot:` belong to that bot only."""
    wanted = {agent.lower() for agent in agents}
    for value in values:
        agent: str | None = None  # None: every agent
        for raw in value.split(","):
            token = raw.strip().lower()
            if ":" in token:
                head, _, rest = token.partition(":")
                head = head.strip()
                if head not in _DIRECTIVES and not head.startswith(("unavailable_after", "max-")):
                    agent, token = head, rest.strip()
            if (agent is None or agent in wanted) and token in ("noindex", "none"):
                return True
    return False


def find_link(
    html: str, page_url: str, target_url: str, expected_anchor: str | None = None
) -> Finding:
    """The best link to `target_url` on the page (an in-content followed link over a
    nofollow one, over one in the navigation or footer; the first in page order among
    equals), the page's meta noindex and its canonical URL."""
    parser = LexborHTMLParser(html)
    base = page_url
    base_node = parser.css_first("base[href]")
    if base_node is not None:
        base = urljoin(page_url, (base_node.attributes.get("href") or "").strip())
    wanted = normalize_url(target_url)
    best: tuple[int, FoundLink] | None = None
    if wanted is not None:
        target_host = urlsplit(wanted).hostname or ""
        page_host = _host(urlsplit(base).hostname or "")
        relative_may_match = page_host == target_host
        # Unless relative links may match, let lexbor pick the hrefs that mention the host
        # (case-insensitively): on a 2 MB page that skips thousands of Python-level visits.
        screen = relative_may_match or not _PLAIN_HOST.fullmatch(target_host)
        selector = "a[href]" if screen else f'a[href*="{target_host}" i]'
        for node in parser.css(selector):
            href = (node.attributes.get("href") or "").strip()
            if not href:
                continue
            if href.startswith("//") or _SCHEME.match(href):
                if target_host not in href.lower():
                    continue
            elif not relative_may_match:
                continue
            if normalize_url(urljoin(base, href)) != wanted:
                continue
            rel = _rels(node.attributes.get("rel"))
            in_content = _in_content(node)
            anchor = _anchor_text(node)
            matches = None if expected_anchor is None else _same_text(anchor, expected_anchor)
            found = FoundLink(_clean(href, MAX_URL), anchor, rel, in_content, matches)
            # In the content first, then followed, then with the expected anchor.
            rank = (0 if in_content else 4) + (2 if rel else 0) + (1 if matches is False else 0)
            if best is None or rank < best[0]:
                best = (rank, found)
                if rank == 0:
                    break
    canonical = None
    canonical_node = parser.css_first('link[rel="canonical"][href]')
    if canonical_node is not None:
        value = (canonical_node.attributes.get("href") or "").strip()
        if value:
            canonical = _clean(urljoin(base, value), MAX_URL)
    return Finding(best[1] if best else None, _meta_noindex(parser), canonical)
