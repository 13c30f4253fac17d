"""Page analysis: addresses as people hide them, guest-post evidence, spam, dates, language."""

from __future__ import annotations

from datetime import date

from selectolax.lexbor import LexborHTMLParser

from backlink_outreach.discovery.analysis import analyse_page, pick_links, spam_signals
from backlink_outreach.discovery.contacts import best_contact, decode_cfemail, extract_emails
from backlink_outreach.discovery.dates import newest_date
from tests.discovery.fixture_sites import cf_encode


def _emails(html: str) -> list[str]:
    tree = LexborHTMLParser(html)
    return extract_emails(tree, tree.body.text(separator="\n") if tree.body else "")


def test_addresses_in_every_disguise() -> None:
    assert decode_cfemail(cf_encode("ed@site.com")) == "ed@site.com"
    assert decode_cfemail("zz") is None
    html = (
        '<a href="mailto:Editor@Site.com?subject=Hi">mail</a>'
        f'<span data-cfemail="{cf_encode("cf@site.com")}">[email protected]</span>'
        f'<a href="/cdn-cgi/l/email-protection#{cf_encode("href@site.com", 0x21)}">x</a>'
        "<p>pitch [at] site [dot] co [dot] uk, tips(at)site(dot)com, ops AT site DOT com</p>"
        "<p>plain@site.com. &#104;i&#64;site&#46;com</p>"
    )
    assert _emails(html) == [
        "cf@site.com", "editor@site.com", "href@site.com", "plain@site.com", "hi@site.com",
        "pitch@site.co.uk", "tips@site.com", "ops@site.com",
    ]  # fmt: skip


def test_lookalikes_are_not_addresses() -> None:
    html = (
        '<img src="logo@2x.png"><p>logo@2x.png you@example.com noreply@site.com '
        "meet me at the garden dot com store; name@domain.com</p>"
    )
    assert _emails(html) == []


def test_best_contact_prefers_the_site_and_pitch_boxes() -> None:
    emails = ["ads@network.com", "info@site.com", "editor@site.com"]
    assert best_contact(emails, "site.com") == "editor@site.com"
    assert best_contact(["someone@gmail.com"], "site.com") == "someone@gmail.com"
    assert best_contact([], "site.com") is None


def test_guest_post_page_evidence_and_refusal() -> None:
    page = analyse_page(
        "<html lang='en-GB'><title>Write for Us | Leaf</title><body><h1>Write for us</h1>"
        "<h2>Submission guidelines</h2><form><input name='headline'><textarea name='pitch'>"
        "</textarea></form></body></html>",
        "https://leaf.com/write-for-us",
    )
    assert page.guest_slug == "write-for-us" and page.guest_title == "write for us"
    assert page.guideline_heading == "Submission guidelines" and page.has_submission_form
    assert page.lang == "en" and not page.refuses_guest_posts
    refusing = analyse_page(
        "<body><p>We do not accept guest posts. Thanks for reading about roses.</p></body>",
        "https://rose.com/about",
    )
    assert refusing.refuses_guest_posts and refusing.guest_phrase is None


def test_spam_offers_count_and_refusals_do_not() -> None:
    assert spam_signals("We never accept casino or CBD oil posts; no link insertion.") == []
    assert spam_signals("Socialisation for puppies.") == []
    found = spam_signals("Best online casino bonus. Sponsored post price: $50 per post.")
    assert "gambling: casino" in found and "paid-post price list" in found


def test_links_worth_reading() -> None:
    page = analyse_page(
        '<body><a href="/about">About</a><a href="/contact-us">Say hi</a>'
        '<a href="/write-for-us">Write for us</a><a href="/guidelines">Guidelines</a>'
        '<a href="https://other.com/x">x</a><a href="/blog">Blog</a></body>',
        "https://leaf.com/",
    )
    assert pick_links(page, {"https://leaf.com/"}) == [
        "https://leaf.com/write-for-us",
        "https://leaf.com/contact-us",
        "https://leaf.com/about",
    ]
    assert page.outbound_links == 1 and page.contact_page == "https://leaf.com/contact-us"


def test_newest_date_ignores_the_future() -> None:
    tree = LexborHTMLParser(
        '<time datetime="2024-05-01">x</time><meta property="article:modified_time" '
        'content="2025-01-02T10:00:00Z"><p>Event on March 3, 2031. Posted 4th June 2024.</p>'
    )
    text = tree.body.text() if tree.body else ""
    assert newest_date(tree, text, today=date(2025, 6, 1)) == date(2025, 1, 2)
    assert newest_date(LexborHTMLParser("<p>nothing</p>"), "nothing") is None
