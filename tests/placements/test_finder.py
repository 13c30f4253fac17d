"""The link finder's rules, without the network."""

from __future__ import annotations

import pytest

from backlink_outreach.placements.finder import find_link, header_noindex, normalize_url

TARGET = "https://ours.example/guides/composting"


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTPS://WWW.Ours.Example:443/a/b/", "https://ours.example/a/b"),
        ("http://ours.example:80", "http://ours.example"),
        ("http://ours.example:8080/", "http://ours.example:8080"),
        ("https://ours.example/a?b=2&a=1&utm_x=3&GCLID=4#f", "https://ours.example/a?a=1&b=2"),
        ("https://ours.example/%7euser", "https://ours.example/%7Euser"),
        ("mailto:someone@ours.example", None),
        ("javascript:void(0)", None),
        ("https://[::1", None),
    ],
)
def test_normalize_url(url: str, normal: str | None) -> None:
    assert normalize_url(url) == normal


def test_upper_case_hosts_and_nul_characters_in_pages() -> None:
    html = '<p><a href="HTTPS://OURS.EXAMPLE/guides/composting">guide\x00 text</a></p>'
    found = find_link(html, "https://blog.example/post", TARGET)
    assert found.link is not None and found.link.anchor_text == "guide text"


def test_relative_links_elsewhere_never_match() -> None:
    html = '<a href="/guides/composting">ours?</a>'
    assert find_link(html, "https://blog.example/post", TARGET).link is None
    assert find_link(html, "https://www.ours.example/post", TARGET).link is not None


def test_a_followed_link_wins_over_a_nofollow_one_in_the_content() -> None:
    html = f'<p><a rel="nofollow" href="{TARGET}">one</a> <a href="{TARGET}">two</a></p>'
    found = find_link(html, "https://blog.example/post", TARGET)
    assert found.link is not None and found.link.anchor_text == "two" and found.link.rel == []


@pytest.mark.parametrize(
    ("values", "noindex"),
    [
        (["noindex"], True),
        (["NONE"], True),
        (["nofollow", "noarchive"], False),
        (["otherbot: noindex"], False),
        (["otherbot: nofollow", "noindex"], True),
        (["googlebot: noindex"], True),
        (["unavailable_after: 25 Jun 2010 15:00:00 PST"], False),
        (["BacklinkOutreachBot: noindex"], True),
    ],
)
def test_x_robots_tag(values: list[str], noindex: bool) -> None:
    assert header_noindex(values, ("googlebot", "BacklinkOutreachBot")) is noindex
