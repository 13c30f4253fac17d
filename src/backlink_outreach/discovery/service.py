"""Deep discovery: footprint searches, a polite crawl, scoring, and saving the results as leads.

The outside world (search, crawling) is done before the database is touched again, so no
transaction stays open for the seconds a crawl takes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..campaigns.service import get_campaign
from ..config import Settings
from ..database import Database
from ..errors import ServiceUnavailable
from ..leads import service as leads
from ..models import Campaign
from .crawler import Crawler
from .queries import footprint_queries, merge
from .schemas import DeepDiscoveryRequest, DeepDiscoveryResponse, DiscoveryResult
from .scoring import Scored
from .search import SearchHit, SearchProvider, SearchUnavailable, select_provider
from .sites import SiteCrawl, crawl_site, score_site

log = structlog.get_logger(__name__)

UNAVAILABLE = "Search provider unavailable"
HITS_PER_QUERY = 20
MAX_CANDIDATES = 150

# (stage, done, total): stage is "queries" or "sites". The CLI draws bars from it.
Progress = Callable[[str, int, int], None]


@dataclass
class Tally:
    """How far a discovery has come, kept up to date while it runs (a job's worker reads it
    every half second). `pages_fetched` is the crawler's own count, read live."""

    queries_done: int = 0
    queries_total: int = 0
    sites_found: int = 0
    sites_scored: int = 0
    crawler: Crawler | None = field(default=None, repr=False, compare=False)
    pages_before: int = 0  # fetched by crawlers of this discovery that have closed

    @property
    def pages_fetched(self) -> int:
        return self.pages_before + (self.crawler.pages_fetched if self.crawler else 0)

    def snapshot(self) -> dict[str, int]:
        return {
            "queries_done": self.queries_done,
            "queries_total": self.queries_total,
            "sites_found": self.sites_found,
            "pages_fetched": self.pages_fetched,
            "sites_scored": self.sites_scored,
        }


@dataclass
class Discovery:
    provider: str
    results: list[Scored]
    queries: int
    sites_crawled: int
    pages_fetched: int
    seconds: float


def candidate_limit(max_results: int) -> int:
    """Sites worth crawling to fill `max_results` well: some will be off-topic or unreadable."""
    return min(MAX_CANDIDATES, max(30, 3 * max_results))


async def _search_all(
    settings: Settings,
    provider: SearchProvider,
    queries: list[str],
    progress: Progress | None,
    tally: Tally,
) -> list[tuple[str, list[SearchHit]]]:
    done = 0
    timeout = httpx.Timeout(settings.discovery_search_timeout_seconds)
    # The provider is a configured endpoint: no SSRF guard, and no crawler proxy.
    async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:

        async def one(query: str) -> tuple[str, list[SearchHit]] | None:
            nonlocal done
            try:
                hits = await provider.search(client, query, HITS_PER_QUERY)
            except SearchUnavailable:
                hits = None
            done += 1
            tally.queries_done = done
            if progress:
                progress("queries", done, len(queries))
            return None if hits is None else (query, hits)

        answers = await asyncio.gather(*(one(q) for q in queries))
    ok = [a for a in answers if a is not None]
    if not ok:
        raise ServiceUnavailable(UNAVAILABLE)
    if len(ok) < len(queries):
        log.warning("discovery_some_queries_failed", failed=len(queries) - len(ok))
    return ok


async def discover(
    settings: Settings,
    keyword: str,
    *,
    max_results: int = 20,
    campaign_keywords: list[str] | None = None,
    provider: SearchProvider | None = None,
    progress: Progress | None = None,
    tally: Tally | None = None,
) -> Discovery:
    """Search, crawl and score; results sorted by the combined score, cut to `max_results`.
    `tally`, when given, is kept up to date as the work goes."""
    started = time.perf_counter()
    tally = tally if tally is not None else Tally()
    provider = provider or select_provider(settings)
    queries = footprint_queries(keyword, intitle=provider.supports_intitle)
    tally.queries_total = len(queries)
    log.info("discovery_started", provider=provider.name, queries=len(queries))
    answers = await _search_all(settings, provider, queries, progress, tally)
    candidates = merge(answers)[: candidate_limit(max_results)]
    tally.sites_found = len(candidates)
    log.info("discovery_searched", candidates=len(candidates))
    crawled: list[SiteCrawl] = []
    scored: list[Scored] = []
    async with Crawler(settings) as crawler:
        tally.crawler = crawler

        async def one(candidate: Any) -> None:
            site = await crawl_site(crawler, candidate)
            crawled.append(site)
            # A site whose page sent us towards a private address is no prospect.
            if site.failure != "blocked":
                scored.append(score_site(site, keyword, campaign_keywords or []))
            tally.sites_scored = len(crawled)
            if progress:
                progress("sites", len(crawled), len(candidates))
            if len(crawled) % 10 == 0 or len(crawled) == len(candidates):
                log.info("discovery_crawl_progress", sites=len(crawled), of=len(candidates))

        if progress:
            progress("sites", 0, len(candidates))
        await asyncio.gather(*(one(c) for c in candidates))
        pages_fetched = crawler.pages_fetched
    tally.crawler, tally.pages_before = None, tally.pages_before + pages_fetched
    scored.sort(key=lambda s: (-s.combined, s.domain))
    seconds = time.perf_counter() - started
    log.info(
        "discovery_done",
        provider=provider.name,
        results=min(len(scored), max_results),
        sites=len(crawled),
        pages=pages_fetched,
        seconds=round(seconds, 2),
    )
    return Discovery(
        provider.name, scored[:max_results], len(queries), len(crawled), pages_fetched, seconds
    )


def to_result(item: Scored) -> DiscoveryResult:
    return DiscoveryResult(
        website_url=item.website_url,
        domain=item.domain,
        website_title=item.website_title,
        guest_post_page=item.guest_post_page,
        contact_email=item.contact_email,
        contact_page=item.contact_page,
        quality_score=item.quality_score,
        relevance_score=item.relevance_score,
        guest_post_likelihood=item.guest_post_likelihood,
        score=item.combined,
        signals=item.signals,
    )


async def save_results(
    session: AsyncSession, campaign: Campaign, found: Discovery, keyword: str
) -> tuple[int, int, int]:
    """Add the results as leads; returns (saved, skipped as already there, failed)."""
    entries: list[Any] = []
    for item in found.results:
        notes = f'Found by deep discovery for "{keyword}".'
        if item.contact_page:
            notes += f" Contact page: {item.contact_page}."
        notes += " Signals: " + "; ".join(item.signals)
        entries.append(
            {
                "website_url": item.website_url,
                "website_title": item.website_title,
                "contact_email": item.contact_email,
                "quality_score": item.quality_score,
                "relevance_score": item.relevance_score,
                "guest_post_likelihood": item.guest_post_likelihood,
                "source": f"discovery:{found.provider}",
                "notes": notes[:5000],
            }
        )
    outcome = await leads.bulk_add(session, campaign, entries)
    if outcome.failed:
        log.warning("discovery_save_failed", failed=len(outcome.failed))
    return outcome.added, outcome.skipped, len(outcome.failed)


@dataclass
class DeepDiscovery:
    """What one deep discovery found, and what saving it to the campaign did."""

    found: Discovery
    saved: int = 0
    skipped: int = 0
    failed: int = 0


async def run_deep_discovery(
    db: Database,
    principal: Principal,
    settings: Settings,
    data: DeepDiscoveryRequest,
    progress: Progress | None = None,
) -> DeepDiscovery:
    """Look the campaign up, search and crawl, then save: each database step is its own short
    unit of work, so no transaction (nor, on SQLite, the write lock) is held for the crawl."""
    provider = select_provider(settings)  # 422 before any work when nothing is configured
    campaign_keywords: list[str] = []
    if data.campaign_id:
        async with db.read() as session:
            campaign = await get_campaign(session, principal, data.campaign_id)
            campaign_keywords = list(campaign.keywords or [])
    found = await discover(
        settings,
        data.keyword,
        max_results=data.max_results,
        campaign_keywords=campaign_keywords,
        provider=provider,
        progress=progress,
    )
    done = DeepDiscovery(found)
    if data.save_to_campaign and data.campaign_id:
        async with db.write() as session:
            # Looked up again: it may have been deleted while we crawled (then 404).
            campaign = await get_campaign(session, principal, data.campaign_id)
            done.saved, done.skipped, done.failed = await save_results(
                session, campaign, found, data.keyword
            )
    return done


async def deep_discovery(
    db: Database,
    principal: Principal,
    settings: Settings,
    data: DeepDiscoveryRequest,
    progress: Progress | None = None,
) -> DeepDiscoveryResponse:
    done = await run_deep_discovery(db, principal, settings, data, progress)
    return DeepDiscoveryResponse(
        results=[to_result(r) for r in done.found.results],
        saved_to_campaign=done.saved,
        save_failed=done.failed,
    )
