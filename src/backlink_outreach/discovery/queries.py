"""Footprint queries for a keyword, and the merge of their answers into one candidate per site."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..domains import InvalidValue, normalize_website_url
from .search import SearchHit

# The phrases sites use on the pages that invite guest authors.
FOOTPRINTS = (
    "write for us",
    "guest post",
    "submit a guest post",
    "contribute",
    "guest author",
    "become a contributor",
    "guest post guidelines",
    "submit an article",
)
# `intitle:` forms for providers whose engine understands the operator: pages *titled* so are
# nearly always the invitation page itself.
INTITLE_FOOTPRINTS = ("write for us", "guest post guidelines")

# Never prospects: social networks, Q&A, video, marketplaces, encyclopaedias, and the root
# domains of big blogging platforms (their users' subdomains are separate sites by the PSL).
SKIPPED_DOMAINS = frozenset(
    {
        "facebook.com", "twitter.com", "x.com", "instagram.com", "linkedin.com", "pinterest.com",
        "tiktok.com", "threads.net", "reddit.com", "quora.com", "stackexchange.com",
        "stackoverflow.com", "youtube.com", "youtu.be", "vimeo.com", "dailymotion.com",
        "twitch.tv", "amazon.com", "amazon.co.uk", "amazon.de", "ebay.com", "etsy.com",
        "aliexpress.com", "fiverr.com", "upwork.com", "craigslist.org", "wikipedia.org",
        "wikihow.com", "medium.com", "wordpress.com", "blogger.com", "blogspot.com",
        "tumblr.com", "substack.com", "wix.com", "weebly.com", "squarespace.com", "github.com",
        "google.com", "bing.com", "yahoo.com", "duckduckgo.com", "apple.com", "microsoft.com",
    }
)  # fmt: skip


def footprint_queries(keyword: str, *, intitle: bool) -> list[str]:
    keyword = " ".join(keyword.split())
    queries = [f'{keyword} "{phrase}"' for phrase in FOOTPRINTS]
    if intitle:
        queries += [f'{keyword} intitle:"{phrase}"' for phrase in INTITLE_FOOTPRINTS]
    return queries


@dataclass
class Candidate:
    """One site as the searches saw it: its best-ranked URL and every snippet about it."""

    url: str
    domain: str
    title: str
    snippets: list[str] = field(default_factory=list)
    queries: set[str] = field(default_factory=set)
    best_rank: int = 10_000


def is_skipped(domain: str) -> bool:
    # Exact registrable domains: `alice.blogspot.com` is its own site (PSL private section).
    return domain in SKIPPED_DOMAINS


def merge(answers: list[tuple[str, list[SearchHit]]]) -> list[Candidate]:
    """Dedupe by registrable domain, keeping the best-ranked URL; most-found sites first."""
    by_domain: dict[str, Candidate] = {}
    for query, hits in answers:
        for rank, hit in enumerate(hits):
            try:
                url, domain = normalize_website_url(hit.url)
            except InvalidValue:
                continue
            if not domain or is_skipped(domain) or urlsplit(url).username is not None:
                continue
            candidate = by_domain.get(domain)
            if candidate is None:
                candidate = by_domain[domain] = Candidate(url=url, domain=domain, title=hit.title)
            if rank < candidate.best_rank:
                candidate.best_rank, candidate.url = rank, url
                candidate.title = hit.title or candidate.title
            candidate.queries.add(query)
            if (
                hit.snippet
                and hit.snippet not in candidate.snippets
                and len(candidate.snippets) < 5
            ):
                candidate.snippets.append(hit.snippet[:1000])
    return sorted(by_domain.values(), key=lambda c: (-len(c.queries), c.best_rank, c.domain))
