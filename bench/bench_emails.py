"""Email writing throughput, in process (no network, no database).

- The template renderer (the one sending uses) against `str.format_map` on the same template:
  the raw baseline with the same `{name}`/`{{` syntax but none of our checks. Once with one
  text (a campaign's template: parsed once, cached) and once with a new text every call.
- The offline writer (a full pitch, with seeding and word limits) and the lint, against a plain
  mail merge of one fixed pitch per lead (`str.format_map`): what a writer costs over none.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from backlink_outreach.emails.lint import lint
from backlink_outreach.emails.offline_writer import write_pitch
from backlink_outreach.emails.templates import render
from backlink_outreach.emails.writer import PitchRequest, Prospect
from bench.report import Figure

TEMPLATE = (
    "Hi {first_name},\n\nI have been reading {website_title} ({domain}) and would like to write "
    "about {topic} for your readers. {{Literal braces}} stay.\n\nWould you be open to it?\n\n"
    "Best,\n{sender_name}\n{sender_site}"
)
LEADS = [Prospect(name=f"Lee {i}", domain=f"blog{i}.example") for i in range(2000)]


def _per_second(fn: Callable[[int], object], n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - started)


async def run() -> list[Figure]:
    values = {
        "first_name": "Jane",
        "website_title": "Green Thumb",
        "domain": "greenthumb.example",
        "topic": "home composting",
        "sender_name": "Ana",
        "sender_site": "ana.example",
    }
    n = 50_000
    ours = _per_second(lambda _i: render(TEMPLATE, values), n)
    raw = _per_second(lambda _i: TEMPLATE.format_map(values), n)
    # A different text every time defeats the parse cache: the parser's own cost.
    texts = [f"{TEMPLATE} {i}" for i in range(20_000)]
    fresh = _per_second(lambda i: render(texts[i], values), len(texts))
    fresh_raw = _per_second(lambda i: texts[i].format_map(values), len(texts))

    def pitch(i: int) -> object:
        draft = write_pitch(PitchRequest("home composting", "friendly", "Ana", LEADS[i]))
        return lint(draft.subject, draft.body)

    def merge(i: int) -> object:
        lead = LEADS[i]
        return TEMPLATE.format_map({**values, "first_name": lead.name, "domain": lead.domain})

    writer = _per_second(pitch, len(LEADS))
    merged = _per_second(merge, len(LEADS))
    return [
        Figure("template render, same text", "renders/s", ours, raw, "ratio <= 3",
               higher_is_better=True),
        Figure("template render, new text", "renders/s", fresh, fresh_raw, "> 20,000/s",
               higher_is_better=True),
        Figure("offline pitch + lint", "emails/s", writer, merged, "> 1,000 emails/s",
               higher_is_better=True),
    ]  # fmt: skip
