"""A result's `website_title` is the site's name, read from its home page as sites write it."""

from __future__ import annotations

import pytest

from backlink_outreach.discovery.sitename import clean_title, name_tags, plain, site_name


@pytest.mark.parametrize(
    ("title", "domain", "expected"),
    [
        ("Green Thumb | Home", "greenthumb.com", "Green Thumb"),
        ("Home | Green Thumb", "greenthumb.com", "Green Thumb"),
        ("Green Thumb – Blog", "greenthumb.com", "Green Thumb"),
        ("Blog — Green Thumb", "greenthumb.com", "Green Thumb"),
        ("Welcome to Green Thumb", "greenthumb.com", "Green Thumb"),
        ("Welcome to Green Thumb - Gardening for everyone", "gt.org", "Green Thumb"),
        ("Green Thumb :: Home", "greenthumb.com", "Green Thumb"),
        ("Green Thumb » Home", "greenthumb.com", "Green Thumb"),
        ("Gardening made simple | Green Thumb", "greenthumb.com", "Green Thumb"),
        ("Rosie-Grows", "rosie-grows.blogspot.com", "Rosie-Grows"),  # a hyphen is no separator
        ("Green Thumb: gardening for everyone", "example.org", "Green Thumb"),
        ("Home", "greenthumb.com", None),
        ("Write for Us | Home", "greenthumb.com", None),
        ("", "greenthumb.com", None),
    ],
)
def test_the_name_in_a_home_page_title(title: str, domain: str, expected: str | None) -> None:
    assert clean_title(title, domain, home=True) == expected


def test_another_pages_title_names_the_site_only_beside_a_separator() -> None:
    assert clean_title("Write for Us - Green Thumb", "gt.org", home=False) == "Green Thumb"
    assert clean_title("Ten tomato tips | Green Thumb", "gt.org", home=False) == "Green Thumb"
    assert clean_title("Ten tomato tips", "gt.org", home=False) is None


def test_og_site_name_wins_over_the_title() -> None:
    html = (
        '<html><head><title>Home | GT</title><meta property="og:site_name" '
        'content="  Green\n Thumb  "></head><body>x</body></html>'
    )
    og, title = name_tags(html)
    assert (og, title) == ("Green Thumb", "Home | GT")
    assert site_name(og, title, "gt.org") == "Green Thumb"
    assert site_name("", title, "gt.org") == "GT"


def test_names_are_plain_single_line_text() -> None:
    """Markup stays text (the web layer escapes it); NUL, line breaks and bidi overrides go."""
    assert plain("<b>Evil</b>\x00\r\nBcc: x@y.test\u202e") == "<b>Evil</b> Bcc: x@y.test"
    og, _ = name_tags('<meta property="og:site_name" content="&lt;script&gt;x&lt;/script&gt;">')
    assert site_name(og, "", "x.org") == "<script>x</script>"
    assert len(plain("a" * 10_000)) == 200
