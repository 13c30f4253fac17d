"""`web/charts.py`: SVG from numbers, with a title and the numbers in words, escaped labels,
and an empty chart that says there is no data yet."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from markupsafe import Markup

from backlink_outreach.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: Markup) -> ET.Element:
    return ET.fromstring(str(svg))


def heights(root: ET.Element) -> list[float]:
    return [
        float(r.get("height", "0"))
        for r in root.iter(f"{SVG}rect")
        if r.get("class") == "chart-bar"
    ]


def test_columns_scale_to_the_peak_and_say_their_numbers() -> None:
    svg = charts.columns("Sent per day", [("2026-12-01", 2), ("2026-12-02", 0), ("2026-12-03", 4)])
    root = parse(svg)
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text == "Sent per day"
    assert desc is not None and desc.text == "2026-12-01: 2; 2026-12-02: 0; 2026-12-03: 4."
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    first, zero, peak = heights(root)
    assert zero == 0 and peak == 2 * first > 0


def test_bars_and_funnel() -> None:
    root = parse(charts.bars("Replies", [("Interested", 3), ("Other", 1)]))
    assert heights(root)[0] > 0
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert abs(widths[0] - 3 * widths[1]) < 0.5
    funnel = parse(charts.funnel("Funnel", [("Leads", 10), ("Contacted", 5), ("Placed", 1)]))
    stage_widths = [float(r.get("width", "0")) for r in funnel.iter(f"{SVG}rect")]
    assert stage_widths == sorted(stage_widths, reverse=True) and stage_widths[0] == charts.WIDTH
    desc = funnel.find(f"{SVG}desc")
    assert (
        desc is not None and desc.text == "Leads: 10 (100%); Contacted: 5 (50%); Placed: 1 (10%)."
    )


def test_an_empty_chart_says_there_is_no_data_yet() -> None:
    for svg in (
        charts.columns("Sent", [("2026-12-01", 0), ("2026-12-02", 0)]),
        charts.columns("Sent", []),
        charts.bars("Replies", [("Interested", 0)]),
        charts.funnel("Funnel", [("Leads", 0), ("Placed", 0)]),
    ):
        root = parse(svg)
        desc = root.find(f"{SVG}desc")
        assert desc is not None and desc.text == "No data yet."
        assert any(t.text == "No data yet" for t in root.iter(f"{SVG}text"))
        assert not heights(root)


def test_labels_are_escaped_and_each_chart_has_its_own_ids() -> None:
    one = charts.bars("<script>", [("<img src=x>", 1)])
    assert "<script>" not in one and "<img" not in one
    assert "&lt;script&gt;" in one and "&lt;img src=x&gt;" in one
    two = charts.bars("t", [("a", 1)])
    ids = re.findall(r'<title id="([^"]+)"', one + two)
    assert len(ids) == 2 and ids[0] != ids[1]
