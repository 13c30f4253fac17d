"""What a check's outcome does to a placement: a pure function of the stored row and the outcome.

- found: `live`, misses back to 0. The first find (or a find after `lost`) is a `placed` event.
- not found: one more miss; `missing`, or `lost` from the second miss in a row of a placement
  that was live once (one never found stays `missing`). Becoming `lost` is a `link_lost` event.
- unknown: `unknown`, misses as they were; the last readable check's link, noindex and
  canonical URL are kept.
Every check goes into `history` (the last HISTORY_KEPT, oldest first).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ..leads.lifecycle import EventKind
from ..models.placements import HISTORY_KEPT, PlacementStatus
from .checker import Outcome

LOST_AFTER_MISSES = 2
JITTER = 0.1  # at most 10 % of the interval, either way


def next_check_at(
    now: datetime, interval_hours: float, rng: random.Random | None = None
) -> datetime:
    spread = (rng or random).uniform(-JITTER, JITTER)
    return now + timedelta(hours=interval_hours * (1 + spread))


def _cleared_link() -> dict[str, Any]:
    return {
        "link_href": None,
        "link_anchor_text": None,
        "link_rel": None,
        "link_in_content": None,
        "link_anchor_matches": None,
        "link_nofollow": False,
    }


def advance(
    row: Mapping[str, Any], outcome: Outcome, next_at: datetime
) -> tuple[dict[str, Any], EventKind | None]:
    """The new values of the row's check columns, and the lifecycle event to report (if any)."""
    misses: int = row["consecutive_misses"]
    first_seen: datetime | None = row["first_seen_at"]
    lost_at: datetime | None = row["lost_at"]
    values: dict[str, Any] = {
        "checked_at": outcome.at,
        "next_check_at": next_at,
        "http_status": outcome.http_status,
        "final_url": outcome.final_url,
        "error": outcome.error,
        "robots_blocked": outcome.robots_blocked,
        "updated_at": outcome.at,
    }
    event: EventKind | None = None
    status: PlacementStatus
    if outcome.kind == "found":
        link = outcome.finding.link if outcome.finding else None
        assert link is not None
        status = "live"
        if first_seen is None or lost_at is not None:
            event = "placed"
        values |= {
            "consecutive_misses": 0,
            "first_seen_at": first_seen or outcome.at,
            "last_seen_at": outcome.at,
            "lost_at": None,
            "link_href": link.href,
            "link_anchor_text": link.anchor_text,
            "link_rel": link.rel,
            "link_in_content": link.in_content,
            "link_anchor_matches": link.anchor_matches,
            "link_nofollow": link.nofollow,
        }
    elif outcome.kind == "not_found":
        misses += 1
        status = "missing"
        if first_seen is not None and misses >= LOST_AFTER_MISSES:
            status = "lost"
            if lost_at is None:
                event = "link_lost"
                values["lost_at"] = outcome.at
        values |= {"consecutive_misses": misses, **_cleared_link()}
    else:
        status = "unknown"
    if outcome.kind != "unknown":
        read = outcome.finding
        values["noindex"] = outcome.noindex if read is not None else None
        values["canonical_url"] = read.canonical_url if read is not None else None
    values["status"] = status
    entry = {"at": outcome.at.isoformat(), "status": status, "http_status": outcome.http_status}
    values["history"] = [*(row["history"] or []), entry][-HISTORY_KEPT:]
    return values, event
