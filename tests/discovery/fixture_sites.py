"""The fixture web's sites and their ground truth.

Each site knows what it is (topic, whether it takes guest posts, whether it is spam), every
address written on it, and the address a person would pitch. Pages are realistic enough that
only reading them tells the kinds apart: search snippets look alike.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.discovery.fixture_text import ARTICLE_TITLES, SENTENCES, SPAM_LINK_ANCHORS

if TYPE_CHECKING:
    from tests.discovery.fixture_server import FixtureWeb, Reply

TODAY = datetime.now(UTC).date()


def cf_encode(address: str, key: int = 0x5A) -> str:
    """Cloudflare's data-cfemail: the key byte, then each byte XOR the key, in hex."""
    return f"{key:02x}" + "".join(f"{b ^ key:02x}" for b in address.encode())


def obfuscate(address: str, style: str) -> str:
    """How the address is written on the page (HTML)."""
    local, domain = address.split("@")
    if style == "mailto":
        return f'<a href="mailto:{address}?subject=Guest%20post">{address}</a>'
    if style == "plain":
        return address
    if style == "brackets":
        return f"{local} [at] {domain.replace('.', ' [dot] ')}"
    if style == "parens":
        return f"{local}(at){domain.replace('.', '(dot)')}"
    if style == "entities":
        return address.replace("@", "&#64;").replace(".", "&#46;")
    if style == "cloudflare":
        return (
            '<a href="/cdn-cgi/l/email-protection" class="__cf_email__" '
            f'data-cfemail="{cf_encode(address)}">[email&#160;protected]</a>'
        )
    if style == "cloudflare-href":
        return f'<a href="/cdn-cgi/l/email-protection#{cf_encode(address, 0x33)}">Email us</a>'
    raise ValueError(style)


@dataclass
class Site:
    host: str
    topic: str
    kind: str  # "guest" (takes guest posts), "no-guest", "spam", "platform", "special"
    search_keywords: set[str]
    name: str = ""
    guest_page: str | None = None  # path of the invitation page
    pitch_email: str | None = None  # what a person would pitch (None: contact form only)
    email_style: str = "mailto"
    email_on: str = "guest"  # "guest" page or "contact" page
    other_emails: list[str] = field(default_factory=list)
    refuses: bool = False  # says "we do not accept guest posts"
    with_form: bool = False
    age_days: int = 12
    robots: str | None = None
    redirect_to: str | None = None  # "/" answers a redirect here
    hang: bool = False
    huge_bytes: int = 0
    result_path: str = "/"
    pages: dict[str, str] = field(default_factory=dict)

    @property
    def accepts_guest_posts(self) -> bool:
        return self.kind == "guest" or (self.kind == "special" and self.guest_page is not None)

    @property
    def written_emails(self) -> set[str]:
        found = set(self.other_emails)
        if self.pitch_email:
            found.add(self.pitch_email)
        return found

    @property
    def result_title(self) -> str:
        if self.kind in ("guest", "spam") or self.guest_page:
            return f"Write for Us - {self.name}"
        return f"{self.name} - {self.topic.title()} tips"

    @property
    def snippet(self) -> str:
        # Query-biased like a real engine: every result "matches" the footprint.
        return f"{self.name}: write for us, guest post and contribute. Read our latest articles."

    def result_urls(self, phrase: str) -> list[str]:
        if self.kind == "platform":
            return [f"https://{self.host}/{phrase.replace(' ', '-')}"]
        path = self.guest_page if (self.guest_page and "guideline" in phrase) else self.result_path
        urls = [f"http://{self.host}{path}"]
        if phrase == "contribute" and not self.host.startswith("www."):
            # The same site under www. and another path: one candidate after dedupe.
            urls.append(f"http://www.{self.host}/about")
        return urls

    def reply(self, path: str, web: FixtureWeb) -> Reply:
        from tests.discovery.fixture_server import Reply

        if path == "/robots.txt":
            if self.robots is None:
                return Reply(404, b"no robots", "text/plain")
            return Reply(body=self.robots.encode(), content_type="text/plain")
        if self.hang:
            return Reply(hang=True)
        if self.redirect_to and path == "/":
            location = self.redirect_to.replace("{port}", str(web.port))
            return Reply(302, b"", headers={"Location": location})
        if self.huge_bytes and path == "/":
            return Reply(stream=lambda: _huge(self.pages["/"], self.huge_bytes))
        html = self.pages.get(path.rstrip("/") or "/")
        if html is None:
            return Reply(404, b"<html><title>Not found</title></html>")
        return Reply(body=html.encode())


async def _huge(head: str, total: int) -> AsyncIterator[bytes]:
    body = head.replace("</body></html>", "").encode()
    yield body
    filler = b"<p>" + b"Harvest notes and seed catalogue entries. " * 1500 + b"</p>\n"
    sent = len(body)
    while sent < total:
        yield filler
        sent += len(filler)
        await asyncio.sleep(0)
    yield b"</body></html>"


# -- page builders ---------------------------------------------------------------------------
def _paragraphs(rng: random.Random, topic: str, n: int) -> str:
    bank = SENTENCES[topic]
    return "\n".join(
        "<p>" + " ".join(rng.sample(bank, min(4, len(bank)))) + "</p>" for _ in range(n)
    )


def _layout(site: Site, title: str, body: str, nav: list[tuple[str, str]]) -> str:
    links = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in nav)
    published = (TODAY - timedelta(days=site.age_days)).isoformat()
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:modified_time" content="{published}T09:00:00+00:00">'
        f'</head><body><header><a href="/">{site.name}</a><nav><ul>{links}</ul></nav></header>'
        f"<main>{body}</main><footer><p>&copy; {TODAY.year} {site.name}. "
        f'<a href="/privacy">Privacy</a></p></footer></body></html>'
    )


def build_pages(site: Site) -> None:
    rng = random.Random(site.host)
    topic = site.topic
    nav = [("/", "Home"), ("/blog", "Blog"), ("/about", "About us"), ("/contact", "Contact")]
    if site.guest_page:
        nav.insert(3, (site.guest_page, rng.choice(["Write for Us", "Contribute", "Guest posts"])))
    email_html = obfuscate(site.pitch_email, site.email_style) if site.pitch_email else ""
    articles = []
    for i, art in enumerate(rng.sample(ARTICLE_TITLES[topic], 3)):
        day = TODAY - timedelta(days=site.age_days + 9 * i)
        articles.append(
            f'<article><h2><a href="/blog/post-{i}">{art}</a></h2>'
            f'<time datetime="{day.isoformat()}">{day.strftime("%B %d, %Y")}</time>'
            f"{_paragraphs(rng, topic, 2)}</article>"
        )
    spam_links = ""
    if site.kind == "spam":
        spam_links = (
            "<aside><h3>Partners</h3><ul>"
            + "".join(
                f'<li><a href="http://{anchor.replace(" ", "-")}-{n}.biz/">{anchor}</a></li>'
                for n, anchor in enumerate(SPAM_LINK_ANCHORS * 6)
            )
            + "</ul></aside>"
        )
    home = f"<h1>{site.name}</h1>{_paragraphs(rng, topic, 2)}{''.join(articles)}{spam_links}"
    site.pages["/"] = _layout(site, f"{site.name} | {topic.title()}", home, nav)
    site.pages["/blog"] = _layout(site, f"Blog - {site.name}", "".join(articles), nav)
    about = f"<h1>About {site.name}</h1>{_paragraphs(rng, topic, 3)}"
    if site.refuses:
        about += "<p>Please note: we do not accept guest posts or sponsored content.</p>"
    site.pages["/about"] = _layout(site, f"About - {site.name}", about, nav)
    contact = f"<h1>Contact</h1><p>Questions about {topic}? We read every message.</p>"
    if site.email_on == "contact" and email_html:
        contact += f"<p>Email: {email_html}</p>"
    for other in site.other_emails:
        contact += f"<p>Advertising: {obfuscate(other, 'mailto')}</p>"
    contact += '<form action="/contact" method="post"><input name="name"><input name="email">'
    contact += "<textarea name='message'></textarea><button>Send</button></form>"
    site.pages["/contact"] = _layout(site, f"Contact - {site.name}", contact, nav)
    if site.guest_page:
        site.pages[site.guest_page] = _layout(
            site, f"Write for Us - {site.name}", _guest_body(site, rng, email_html), nav
        )


def _guest_body(site: Site, rng: random.Random, email_html: str) -> str:
    topic = site.topic
    body = (
        f"<h1>Write for {site.name}</h1><p>We accept guest posts from writers who know "
        f"{topic}. {' '.join(rng.sample(SENTENCES[topic], 3))}</p>"
        "<h2>Guest post guidelines</h2><ul><li>Original, unpublished articles of 1,200 words "
        "or more.</li><li>One author bio with up to two links.</li><li>Practical advice "
        "backed by your own experience.</li><li>We do not accept casino, CBD or payday loan "
        "content, and we never sell links.</li></ul><h2>How to submit</h2>"
    )
    if site.kind == "spam":
        body = (
            f"<h1>Write for us - guest post service</h1><p>Buy backlinks and guest posts on "
            f"{site.name}. Sponsored post price: $45 per post, dofollow link included. "
            "Casino and CBD niches accepted. Link insertion in old posts available.</p>"
            "<h2>Guest post guidelines</h2><p>Send us the article and pay by PayPal.</p>"
        )
    if email_html and site.email_on == "guest":
        body += f"<p>Send your pitch to {email_html} with three topic ideas.</p>"
    elif site.email_on == "contact":
        body += '<p>Pitch us through our <a href="/contact">contact page</a>.</p>'
    if site.with_form:
        body += (
            '<form action="/submit" method="post"><input name="author_name">'
            '<input name="email" type="email"><input name="article_title" placeholder="Headline">'
            '<textarea name="pitch" placeholder="Your pitch"></textarea>'
            '<button type="submit">Submit your article</button></form>'
        )
    return body


def finish(sites: list[Site]) -> list[Site]:
    for site in sites:
        if not site.name:
            site.name = " ".join(w.title() for w in site.host.split(".")[0].split("-"))
        if not site.pages:
            build_pages(site)
    return sites


def ground_truth(sites: list[Site], keyword_topic: str) -> dict[str, Any]:
    return {
        "good": {s.host for s in sites if s.topic == keyword_topic and s.accepts_guest_posts},
        "spam": {s.host for s in sites if s.kind == "spam"},
    }
