"""Send windows: the days and hours, in the campaign's time zone, when its steps may go out.

Computed with `zoneinfo` on local dates, so a daylight-saving change moves no send outside its
window: 09:00 in Europe/Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WINDOW: dict[str, Any] = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "start": "09:00",
    "end": "17:00",
}
# Far enough to cross any run of closed days a window can have (at least one day is open).
_SEARCH_DAYS = 9


def zone(name: str) -> ZoneInfo:
    """The IANA zone; `ValueError` with the name when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin"
        ) from None


def parse_clock(text: str) -> time:
    """`HH:MM`, 00:00..23:59, or `24:00` (the end of the day)."""
    hours, _, minutes = text.partition(":")
    if not (len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"{text!r} is not a time of day as HH:MM")
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0):
        return time.max
    if h > 23 or m > 59:
        raise ValueError(f"{text!r} is not a time of day as HH:MM")
    return time(h, m)


@dataclass(frozen=True)
class Window:
    weekdays: frozenset[int]  # 0 = Monday
    start: time
    end: time
    tz: ZoneInfo

    @classmethod
    def of(cls, send_window: Mapping[str, Any] | None, timezone: str) -> Window:
        spec = send_window or DEFAULT_WINDOW
        return cls(
            frozenset(DAYS.index(day) for day in spec["days"]),
            parse_clock(spec["start"]),
            parse_clock(spec["end"]),
            zone(timezone),
        )

    def _bounds(self, day: date) -> tuple[datetime, datetime]:
        """The window of one local day, in UTC."""
        opens = datetime.combine(day, self.start, tzinfo=self.tz).astimezone(UTC)
        if self.end == time.max:
            closes = datetime.combine(day + timedelta(days=1), time(), tzinfo=self.tz)
        else:
            closes = datetime.combine(day, self.end, tzinfo=self.tz)
        return opens, closes.astimezone(UTC)

    def openings(self, after: datetime) -> list[tuple[datetime, datetime]]:
        """The windows (opens, closes) in UTC that end after `after`, soonest first, over the
        next days: the local day `after` falls on and the ones following it."""
        first = after.astimezone(self.tz).date()
        spans = []
        for offset in range(_SEARCH_DAYS):
            day = first + timedelta(days=offset)
            if day.weekday() in self.weekdays:
                opens, closes = self._bounds(day)
                if closes > after:
                    spans.append((opens, closes))
        return spans

    def next_open(self, after: datetime) -> tuple[datetime, datetime]:
        """The earliest instant at or after `after` inside the window, and when that window
        closes."""
        opens, closes = self.openings(after)[0]
        return max(opens, after), closes

    def is_open(self, at: datetime) -> bool:
        return self.next_open(at)[0] == at


def place(window: Window, after: datetime, jitter_seconds: int, rng: random.Random) -> datetime:
    """When a step due at `after` should go: the window's first instant at or after it, spread
    by up to `jitter_seconds` but never past that window's close."""
    at, closes = window.next_open(after)
    room = (closes - at).total_seconds() - 1
    spread = min(float(jitter_seconds), max(room, 0.0))
    return at + timedelta(seconds=rng.uniform(0, spread)) if spread > 0 else at
