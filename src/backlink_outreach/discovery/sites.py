"""One candidate site: read its result page and up to 3 pages it links to, then score it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..domains import registrable_domain
from .analysis import PageFacts, analyse_page, pick_links
from .contacts import best_contact
from .crawler import Crawler, Failure, Page
from .queries import Candidate
from .scoring import (
    Scored,
    combine,
    guest_likelihood,
    quality,
    relevance,
    site_spam,
    snippet_spam,
)

MAX_LINKED_PAGES = 3


@dataclass
class SiteCrawl:
    candidate: Candidate
    pages: list[PageFacts] = field(default_factory=list)
    failure: str | None = None  # why the result page could not be read
    truncated: bool = False


async def crawl_site(crawler: Crawler, candidate: Candidate) -> SiteCrawl:
    site = SiteCrawl(candidate)
    first = await crawler.fetch(candidate.url)
    if isinstance(first, Failure):
        site.failure = first.reason
        return site
    pages = [first]
    # Parsing is CPU work (up to a second for a 2 MB page): off the event loop, so that the
    # other fetches' timers and the API's other requests keep running.
    facts = await asyncio.to_thread(analyse_page, first.html, first.url)
    site.pages.append(facts)
    links = pick_links(facts, {first.url, candidate.url}, MAX_LINKED_PAGES)
    for result in await asyncio.gather(*(crawler.fetch(link) for link in links)):
        if isinstance(result, Page):
            pages.append(result)
            site.pages.append(await asyncio.to_thread(analyse_page, result.html, result.url))
    site.truncated = any(p.truncated for p in pages)
    return site


def _contact_page(pages: list[PageFacts]) -> str | None:
    for page in pages:
        if "contact" in urlsplit(page.url).path.lower():
            return page.url
    return next((p.contact_page for p in pages if p.contact_page), None)


def score_site(site: SiteCrawl, keyword: str, campaign_keywords: list[str]) -> Scored:
    cand, pages = site.candidate, site.pages
    root_source = pages[0].url if pages else cand.url
    parts = urlsplit(root_source)
    website_url = f"{parts.scheme}://{parts.netloc}/"
    domain = registrable_domain(parts.hostname or "") or cand.domain
    emails = [e for p in pages for e in p.emails]
    contact = best_contact(list(dict.fromkeys(emails)), domain)
    contact_page = _contact_page(pages)
    spam = site_spam(pages) if pages else snippet_spam(cand)
    fallback = " ".join([cand.title, *cand.snippets])
    rel, rel_signals = relevance(pages, fallback, keyword, campaign_keywords)
    guest, guest_signals = guest_likelihood(cand, pages)
    qual, qual_signals = quality(pages, contact, contact_page, spam)
    signals = guest_signals + rel_signals + qual_signals
    if site.failure:
        signals.insert(0, f"site not read ({_failure_text(site.failure)}): scored from search only")
    if site.truncated:
        signals.append("a page was larger than the size limit and was read in part")
    title = next((p.title for p in pages if p.title), None) or cand.title or None
    return Scored(
        website_url=website_url,
        domain=domain,
        website_title=title[:500] if title else None,
        contact_email=contact,
        contact_page=contact_page,
        quality_score=qual,
        relevance_score=rel,
        guest_post_likelihood=guest,
        signals=signals,
        combined=combine(rel, guest, qual, bool(spam)),
        spam=bool(spam),
    )


def _failure_text(reason: str) -> str:
    return {
        "robots": "robots.txt disallows us",
        "timeout": "timed out",
        "blocked": "address refused",
        "not_html": "not an HTML page",
        "too_many_redirects": "too many redirects",
        "invalid_url": "not a valid URL",
    }.get(reason, reason.replace(":", " "))
