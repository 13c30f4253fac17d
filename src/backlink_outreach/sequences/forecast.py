"""When a campaign's queue should go out: a simulation of the scheduler over the coming days,
from the caps, the windows and each mailbox's spacing (jitter left out: it moves sends inside
the window, not between days).

Each mailbox sends at most its cap a day (the warm-up ramp read as today's, the day's sends so
far counted for today) and no two closer than its interval, inside the window; the workspace's
day cap bounds them all together. A later step is ready `delay_days` after the forecast send of
the one before. Days are the campaign's local days (the caps count UTC days: the two differ
by at most the zone's offset).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .schemas import DayCount, Forecast
from .windows import Window

HORIZON_DAYS = 366  # a queue that needs longer is reported up to here


@dataclass(frozen=True)
class Pending:
    """A lead's next pending step: ready at `ready`, from `mailbox_id`, with `later` more steps
    after it (their delays, in order)."""

    ready: datetime
    mailbox_id: str
    delays: tuple[int, ...] = ()


@dataclass(frozen=True)
class MailboxPace:
    cap: int  # per day
    sent_today: int
    interval_seconds: int


def forecast(
    window: Window,
    pending: Sequence[Pending],
    paces: dict[str, MailboxPace],
    workspace_cap: int,
    workspace_sent_today: int,
    now: datetime,
) -> Forecast:
    queues: dict[str, list[tuple[datetime, int, tuple[int, ...]]]] = defaultdict(list)
    for order, item in enumerate(pending):
        queues[item.mailbox_id].append((max(item.ready, now), order, item.delays))
    for queue in queues.values():
        heapq.heapify(queue)
    per_day: dict[str, int] = {}
    last: datetime | None = None
    counter = len(pending)
    today = now.astimezone(window.tz).date()
    for opens, closes in _days(window, now):
        if not any(queues.values()):
            break
        local_day = opens.astimezone(window.tz).date()
        is_today = local_day == today
        room_all = workspace_cap - (workspace_sent_today if is_today else 0)
        day = local_day.isoformat()
        for mailbox_id, queue in queues.items():
            pace = paces.get(mailbox_id, MailboxPace(0, 0, 0))
            room = pace.cap - (pace.sent_today if is_today else 0)
            at = max(opens, now)
            step = timedelta(seconds=pace.interval_seconds)
            while queue and room > 0 and room_all > 0:
                ready, _, delays = queue[0]
                send_at = max(ready, at)
                if send_at >= closes:
                    break
                heapq.heappop(queue)
                room -= 1
                room_all -= 1
                per_day[day] = per_day.get(day, 0) + 1
                last = send_at if last is None or send_at > last else last
                at = send_at + step
                if delays:
                    counter += 1
                    follow = (send_at + timedelta(days=delays[0]), counter, delays[1:])
                    heapq.heappush(queue, follow)
    return Forecast(
        last_send_at=last,
        per_day=[DayCount(date=day, count=count) for day, count in sorted(per_day.items())],
    )


def _days(window: Window, now: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The window's openings from now, one per open local day, up to the horizon."""
    after = now
    for _ in range(HORIZON_DAYS):
        opens, closes = window.openings(after)[0]
        yield opens, closes
        after = closes
