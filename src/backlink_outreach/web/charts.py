"""Charts as SVG, drawn on the server from numbers: no script, nothing fetched, CSP-clean.

Each chart is an `<svg role="img">` whose `<title>` and `<desc>` say what it shows and its
numbers in words (what a screen reader reads); a template shows the same numbers in a table
beside it. A chart with nothing to show says so, in the picture and in the words.

Only numbers and our own labels go in, and every text is escaped all the same: the result is
`Markup`, so a template includes it without `|safe` on anything a user wrote.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

NO_DATA = "No data yet"
WIDTH = 420  # viewBox units; the picture scales to its box, text with it
_ids = itertools.count(1)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _svg(title: str, desc: str, height: int, body: list[str]) -> Markup:
    n = next(_ids)
    title_id, desc_id = f"chart-{n}-title", f"chart-{n}-desc"
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{title_id}" aria-describedby="{desc_id}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _empty(title: str, height: int) -> Markup:
    text = (
        f'<text class="chart-empty" x="{WIDTH / 2:.0f}" y="{height / 2:.0f}" '
        f'text-anchor="middle">{NO_DATA}</text>'
    )
    frame = f'<rect class="chart-frame" x="0.5" y="0.5" width="{WIDTH - 1}" height="{height - 1}"/>'
    return _svg(title, f"{NO_DATA}.", height, [frame, text])


def _words(items: Sequence[tuple[str, float]]) -> str:
    return "; ".join(f"{label}: {_fmt(value)}" for label, value in items) + "."


def columns(
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    tick: Callable[[str], str] = str,
    ticks: int = 6,
) -> Markup:
    """Vertical bars in order (a time series: one per day, oldest first). About `ticks`
    labels are written under the bars (`tick` shortens them; the title and the words keep
    them whole), the last one always."""
    height, top, bottom, left = 180, 16, 28, 30
    if not items or not any(value > 0 for _, value in items):
        return _empty(title, height)
    peak = max(value for _, value in items)
    plot_h = height - top - bottom
    slot = (WIDTH - left) / len(items)
    bar_w = max(slot * 0.7, 1.0)
    label_every = max(1, math.ceil(len(items) / ticks))
    body = [
        f'<line class="chart-axis" x1="{left}" y1="{top + plot_h}" '
        f'x2="{WIDTH}" y2="{top + plot_h}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{_fmt(peak)}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    for index, (label, value) in enumerate(items):
        h = plot_h * value / peak if peak else 0
        x = left + index * slot + (slot - bar_w) / 2
        body.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{bar_w:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {_fmt(value)}</title></rect>"
        )
        last = len(items) - 1
        # Every label_every-th, and the last, unless it would run into the last one.
        if index == last or (index % label_every == 0 and last - index >= label_every / 2):
            # The last label ends at its bar, so it is not cut off at the right edge.
            anchor, at = ("end", x + bar_w) if index == last else ("middle", x + bar_w / 2)
            body.append(
                f'<text x="{at:.1f}" y="{height - 8}" text-anchor="{anchor}">'
                f"{escape(tick(label))}</text>"
            )
    return _svg(title, _words(items), height, body)


def bars(title: str, items: Sequence[tuple[str, float]]) -> Markup:
    """Horizontal bars, one per category, labelled on the left and valued on the right."""
    row, label_w, value_w = 24, 118, 36
    height = max(len(items), 1) * row + 8
    if not items or not any(value > 0 for _, value in items):
        return _empty(title, max(height, 80))
    peak = max(value for _, value in items)
    span = WIDTH - label_w - value_w
    body: list[str] = []
    for index, (label, value) in enumerate(items):
        y = 4 + index * row
        w = span * value / peak if peak else 0
        body.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="chart-bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}">'
            f"<title>{escape(label)}: {_fmt(value)}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 16}">{_fmt(value)}</text>'
        )
    return _svg(title, _words(items), height, body)


def funnel(title: str, stages: Sequence[tuple[str, float]]) -> Markup:
    """Stages from the widest (all) to the narrowest, each centred, with its share of the
    first stage: how many of the leads got how far."""
    row, gap = 30, 5
    height = max(len(stages), 1) * (row + gap) + gap
    if not stages or not stages[0][1]:
        return _empty(title, max(height, 80))
    first = stages[0][1]
    body: list[str] = []
    words: list[str] = []
    for index, (label, value) in enumerate(stages):
        share = value / first if first else 0
        w = max(WIDTH * share, 2.0)
        x = (WIDTH - w) / 2
        y = gap + index * (row + gap)
        percent = f"{share * 100:.0f}%"
        words.append(f"{label}: {_fmt(value)} ({percent})")
        body.append(
            f'<rect class="chart-stage chart-stage-{index}" x="{x:.1f}" y="{y}" width="{w:.1f}" '
            f'height="{row}" rx="3"><title>{escape(label)}: {_fmt(value)}</title></rect>'
            f'<text class="chart-stage-label" x="{WIDTH / 2:.0f}" y="{y + row / 2 + 4:.0f}" '
            f'text-anchor="middle">{escape(label)}: {_fmt(value)} ({percent})</text>'
        )
    return _svg(title, "; ".join(words) + ".", height, body)
