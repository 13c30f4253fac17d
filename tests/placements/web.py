"""Sites for the placement checks, served by discovery's fixture web (`FixtureWeb`) on loopback.

A `LinkSite` answers from `routes` (path -> Reply), which a test may change between checks (the
link removed, a 503, the link back); robots.txt is a 404 unless a route says otherwise. The
checker reaches every site by name through the fixture web as its proxy, as discovery does.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from tests.discovery.fixture_server import FixtureWeb, Reply
from tests.discovery.fixture_sites import Site

TARGET = "https://ours.example/guides/composting"


@dataclass
class LinkSite(Site):
    routes: dict[str, Reply] = field(default_factory=dict)

    def reply(self, path: str, web: FixtureWeb) -> Reply:
        found = self.routes.get(path)
        if found is not None:
            if "{port}" in found.headers.get("Location", ""):
                location = found.headers["Location"].replace("{port}", str(web.port))
                return Reply(found.status, found.body, found.content_type, {"Location": location})
            return found
        if path == "/robots.txt":
            return Reply(404, b"no robots", "text/plain")
        return Reply(404, b"<html><title>Not found</title></html>")


def site(host: str, **routes: Reply) -> LinkSite:
    return LinkSite(host=host, topic="", kind="special", search_keywords=set(), routes=routes)


def page(body: str, head: str = "", **headers: str) -> Reply:
    html = (
        f"<!doctype html><html><head><title>A post</title>{head}</head><body>{body}</body></html>"
    )
    return Reply(body=html.encode(), headers=dict(headers))


def article(link: str, *, before: str = "", after: str = "") -> str:
    """A blog post with the link in its text, site navigation, a sidebar and a footer."""
    return (
        '<header><a href="/">Home</a> <nav><a href="/about">About</a></nav></header>'
        f"<main><article><h1>Ten composting tips</h1>{before}<p>Start with greens and browns. "
        f"{link} Turn the heap weekly.</p>{after}</article></main>"
        '<aside class="sidebar"><a href="/archive">Archive</a></aside>'
        '<footer><a href="/privacy">Privacy</a></footer>'
    )


def link(href: str = TARGET, text: str = "composting guide", **attrs: str) -> str:
    extra = "".join(f' {name}="{value}"' for name, value in attrs.items())
    return f'<a href="{href}"{extra}>{text}</a>'


def redirect(location: str, status: int = 301) -> Reply:
    return Reply(status, b"", headers={"Location": location})


def big_page(total: int, at_end: str) -> Reply:
    """About `total` bytes of article text with many links to other sites, `at_end` last."""
    filler = "".join(
        f'<p>Harvest notes {i}: see <a href="https://site{i % 97}.example/p/{i}">notes</a> '
        "and seed catalogue entries for the season.</p>\n"
        for i in range(40)
    )
    head = "<!doctype html><html><head><title>Huge</title></head><body><article>"
    tail = f"{at_end}</article></body></html>"
    repeats = max(1, (total - len(head) - len(tail)) // len(filler))
    body = head + filler * repeats + tail
    return Reply(body=body.encode())


def bench_sites(hosts: int, per_host: int) -> list[Site]:
    """`hosts` sites with `per_host` posts each; post k of every site links to TARGET."""
    sites: list[Site] = []
    for h in range(hosts):
        routes = {
            f"/post-{k}": page(article(link(f"{TARGET}?utm_source=h{h}"), before="<p>Intro.</p>"))
            for k in range(per_host)
        }
        sites.append(site(f"bench-blog-{h:03d}.example", **routes))
    return sites


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.placements.web HOSTS PER_HOST DELAY`: the benchmark's web in its own
    process (so its CPU does not count against the checker); prints the port."""
    args: list[Any] = argv if argv is not None else sys.argv[1:]
    web = FixtureWeb(bench_sites(int(args[0]), int(args[1])), delay=float(args[2]))
    web.start()
    print(web.port, flush=True)
    try:
        while sys.stdin.readline():
            pass
    finally:
        web.stop()


if __name__ == "__main__":
    main()
