"""Send windows in the campaign's time zone, across daylight-saving changes, and the forecast's
arithmetic (pure functions: no database)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from backlink_outreach.sequences import forecast, windows
from backlink_outreach.sequences.windows import Window

BERLIN_WEEKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_nine_in_berlin_is_eight_utc_in_winter_and_seven_in_summer() -> None:
    window = Window.of(BERLIN_WEEKDAYS, "Europe/Berlin")
    # Friday 27 March 2026, 18:00 UTC: closed; the clocks go forward on Sunday 29 March.
    opens, closes = window.next_open(_utc("2026-03-27T18:00:00+00:00"))
    assert opens == _utc("2026-03-30T07:00:00+00:00")  # Monday, CEST (UTC+2)
    assert closes == _utc("2026-03-30T15:00:00+00:00")
    # The Friday before: still CET (UTC+1).
    assert window.next_open(_utc("2026-03-27T06:00:00+00:00"))[0] == _utc(
        "2026-03-27T08:00:00+00:00"
    )
    # The clocks go back on Sunday 25 October 2026.
    assert window.next_open(_utc("2026-10-23T16:00:00+00:00"))[0] == _utc(
        "2026-10-26T08:00:00+00:00"
    )


def test_inside_the_window_is_now_and_an_end_of_24_00_is_midnight() -> None:
    window = Window.of({"days": ["sat"], "start": "22:00", "end": "24:00"}, "UTC")
    inside = _utc("2031-05-10T23:30:00+00:00")
    assert window.is_open(inside)
    assert window.next_open(inside) == (inside, _utc("2031-05-11T00:00:00+00:00"))
    assert not window.is_open(_utc("2031-05-11T00:00:00+00:00"))
    assert window.next_open(_utc("2031-05-11T00:00:00+00:00"))[0] == _utc(
        "2031-05-17T22:00:00+00:00"
    )


def test_jitter_spreads_sends_but_never_past_the_window() -> None:
    window = Window.of({"days": ["mon"], "start": "09:00", "end": "09:05"}, "UTC")
    monday = _utc("2031-05-12T09:00:00+00:00")
    placed = [window_place(window, monday, 3600, seed) for seed in range(50)]
    assert all(monday <= at < monday + timedelta(minutes=5) for at in placed)
    assert len(set(placed)) > 1
    assert window_place(window, monday, 0, 1) == monday


def window_place(window: Window, after: datetime, jitter: int, seed: int) -> datetime:
    return windows.place(window, after, jitter, random.Random(seed))


@pytest.mark.parametrize("name", ["Mars/Base", "../../etc/passwd", ""])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        windows.zone(name)


def test_the_forecast_follows_caps_spacing_windows_and_delays() -> None:
    window = Window.of(BERLIN_WEEKDAYS, "UTC")
    monday = _utc("2031-05-12T09:00:00+00:00")
    pending = [forecast.Pending(monday, "mbx_a", (2,)) for _ in range(5)]
    paces = {"mbx_a": forecast.MailboxPace(cap=2, sent_today=0, interval_seconds=3600)}
    result = forecast.forecast(window, pending, paces, 500, 0, monday)
    # Two a day (the cap), an hour apart; each lead's second step two days after its first.
    assert [(d.date, d.count) for d in result.per_day] == [
        ("2031-05-12", 2),
        ("2031-05-13", 2),
        ("2031-05-14", 2),
        ("2031-05-15", 2),
        ("2031-05-16", 2),
    ]
    assert result.last_send_at == _utc("2031-05-16T10:00:00+00:00")


def test_the_forecast_counts_todays_sends_and_the_workspace_cap() -> None:
    window = Window.of(BERLIN_WEEKDAYS, "UTC")
    monday = _utc("2031-05-12T12:00:00+00:00")
    pending = [forecast.Pending(monday, box, ()) for box in ("mbx_a", "mbx_b") for _ in range(3)]
    paces = {
        "mbx_a": forecast.MailboxPace(cap=3, sent_today=2, interval_seconds=0),
        "mbx_b": forecast.MailboxPace(cap=3, sent_today=0, interval_seconds=0),
    }
    result = forecast.forecast(window, pending, paces, 3, 0, monday)
    assert [(d.date, d.count) for d in result.per_day] == [
        ("2031-05-12", 3),
        ("2031-05-13", 3),
    ]
