"""One candidate site: read its result page and up to 3 pages it links to (and its home page,
for the site's name), then score it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..domains import registrable_domain
from .analysis import PageFacts, analyse_page, norm_url, pick_links
from .contacts import best_contact
from .crawler import Crawler, Failure, Page
from .queries import Candidate
from .scoring import (
    Scored,
    combine,
    find_guest_post_page,
    guest_likelihood,
    quality,
    relevance,
    site_spam,
    snippet_spam,
)
from .sitename import clean_title, name_tags, plain, site_name

MAX_LINKED_PAGES = 3


@dataclass
class SiteCrawl:
    candidate: Candidate
    pages: list[PageFacts] = field(default_factory=list)
    failure: str | None = None  # why the result page could not be read
    truncated: bool = False
    # The home page's (og:site_name, <title>), None when it could not be read.
    home_tags: tuple[str, str] | None = None


def home_of(url: str) -> str:
    parts = urlsplit(url)
    return norm_url(f"{parts.scheme}://{parts.netloc}/")


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
    home = home_of(first.url)
    # The home page only names the site; it is not scored (that would move the ranking).
    # It is fetched beside the linked pages unless it is the result page or one of them.
    fetch_home = home != norm_url(first.url) and home not in links
    wanted = [*links, home] if fetch_home else links
    fetched = await asyncio.gather(*(crawler.fetch(link) for link in wanted))
    home_page: Page | None = first if home == norm_url(first.url) else None
    for link, result in zip(wanted, fetched, strict=True):
        if not isinstance(result, Page):
            continue
        if link == home:
            home_page = result
        if fetch_home and link == home:
            continue
        pages.append(result)
        site.pages.append(await asyncio.to_thread(analyse_page, result.html, result.url))
    site.truncated = any(p.truncated for p in pages)
    if home_page is not None:
        site.home_tags = await asyncio.to_thread(name_tags, home_page.html)
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
    return Scored(
        website_url=website_url,
        domain=domain,
        website_title=_site_name(site, domain),
        guest_post_page=find_guest_post_page(pages),
        contact_email=contact,
        contact_page=contact_page,
        quality_score=qual,
        relevance_score=rel,
        guest_post_likelihood=guest,
        signals=signals,
        combined=combine(rel, guest, qual, bool(spam)),
        spam=bool(spam),
    )


def _site_name(site: SiteCrawl, domain: str) -> str | None:
    """The home page's og:site_name or title; without a readable home page, another page's
    og:site_name, then the name in a page title or the search result's title."""
    if site.home_tags is not None:
        name = site_name(*site.home_tags, domain)
        if name:
            return name
    og = next((plain(p.og_site_name) for p in site.pages if plain(p.og_site_name)), None)
    if og:
        return og
    for title in [*(p.title for p in site.pages), site.candidate.title]:
        name = clean_title(title, domain, home=False)
        if name:
            return name
    return None


def _failure_text(reason: str) -> str:
    return {
        "robots": "robots.txt disallows us",
        "timeout": "timed out",
        "blocked": "address refused",
        "not_html": "not an HTML page",
        "too_many_redirects": "too many redirects",
        "invalid_url": "not a valid URL",
    }.get(reason, reason.replace(":", " "))
