"""One check of a placement: fetch the page as the discovery crawler does (its user agent, proxy
setting, robots.txt, page-size cap, and the SSRF guard on every redirect hop), then look for the
link. The result is an `Outcome`; what it does to the placement is `state.advance`'s business.

A miss needs evidence: the page was read whole (or answered 4xx) and the link is not on it.
Anything that stops us reading the page (a timeout, a refused connection, 5xx, 429, 401/403, a
robots.txt that forbids us, the SSRF guard, a page cut at the size cap without the link) is
`unknown`, which never counts as a miss.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import structlog

from ..config import Settings
from ..db import utcnow
from ..discovery.crawler import USER_AGENT_TOKEN, Crawler, Failure
from .finder import MAX_URL, Finding, find_link, header_noindex

log = structlog.get_logger(__name__)

OutcomeKind = Literal["found", "not_found", "unknown"]
# Statuses that say nothing about whether the link is there: the site is struggling, limits
# us, or refuses our bot (never a miss).
_NOT_EVIDENCE = {401, 403, 408, 425, 429}


@dataclass(frozen=True)
class Job:
    placement_id: str
    placement_url: str
    target_url: str
    expected_anchor_text: str | None


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    at: datetime
    http_status: int | None = None
    final_url: str | None = None
    error: str | None = None
    robots_blocked: bool = False
    finding: Finding | None = None  # when the page was read
    noindex: bool | None = None  # meta robots or X-Robots-Tag, when the page was read


def crawler_settings(settings: Settings) -> Settings:
    """The crawler's settings with the checker's own overall concurrency."""
    return settings.model_copy(update={"discovery_concurrency": settings.link_check_concurrency})


def _failure(crawler: Crawler, result: Failure) -> Outcome:
    final_url = result.url[:MAX_URL]
    status = result.status
    if status is not None and result.reason != "not_html":
        if status >= 500 or status in _NOT_EVIDENCE:
            return Outcome("unknown", utcnow(), status, final_url, result.reason[:100])
        return Outcome("not_found", utcnow(), status, final_url, None)
    if result.reason == "not_html":
        return Outcome("not_found", utcnow(), 200, final_url, "not_html")
    reason = result.reason[:100]
    robots = reason == "robots"
    if robots and crawler.robots_unreachable(result.url):
        # robots.txt could not be read (5xx, refused, timeout): the crawler stays away, but
        # the site did not forbid us.
        robots, reason = False, "robots_unreachable"
    return Outcome("unknown", utcnow(), None, final_url, reason, robots_blocked=robots)


async def check(crawler: Crawler, job: Job) -> tuple[Job, Outcome]:
    """Never raises: a page that cannot be judged is an `unknown` outcome."""
    result = await crawler.fetch(job.placement_url)
    if isinstance(result, Failure):
        return job, _failure(crawler, result)
    try:
        finding = find_link(result.html, result.url, job.target_url, job.expected_anchor_text)
    except Exception as exc:  # a parser surprise must not fail the whole pass
        log.warning("placement_parse_failed", error_type=type(exc).__name__, exc_info=exc)
        return job, Outcome("unknown", utcnow(), 200, result.url[:MAX_URL], "parse_error")
    noindex = finding.noindex or header_noindex(
        result.headers.get_list("x-robots-tag"), ("googlebot", USER_AGENT_TOKEN)
    )
    at = utcnow()
    final_url = result.url[:MAX_URL]
    if finding.link is not None:
        return job, Outcome("found", at, 200, final_url, None, False, finding, noindex)
    if result.truncated:
        # The link may be in the part beyond the size cap: no evidence either way.
        return job, Outcome(
            "unknown", at, 200, final_url, "page_too_large", False, finding, noindex
        )
    return job, Outcome("not_found", at, 200, final_url, None, False, finding, noindex)
