"""Checking a placement over the fixture web on loopback: what counts as our link, its rel,
anchor and position, indexability, redirects, robots.txt, failures, and the two-miss rule."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Api
from tests.discovery.conftest import crawl_settings
from tests.discovery.fixture_server import FixtureWeb, Reply
from tests.placements.conftest import ApiFactory, place, placed_lead, recheck
from tests.placements.web import TARGET, LinkSite, article, big_page, link, page, redirect, site

AddSite = Callable[..., LinkSite]


async def _check(papi: Api, add_site: AddSite, body: str, **kw: Any) -> dict[str, Any]:
    blog = add_site(**{"/post": page(body, kw.pop("head", ""), **kw.pop("headers", {}))})
    campaign_id, lead_id = await placed_lead(papi, kw.pop("target_url", TARGET))
    return await place(papi, campaign_id, lead_id, f"http://{blog.host}/post", **kw)


async def _lead_status(api: Api, campaign_id: str, lead_id: str) -> str:
    response = await api.get(f"/campaigns/{campaign_id}")
    status: str = next(x["status"] for x in response.json()["leads"] if x["id"] == lead_id)
    return status


async def test_a_live_link_in_the_text_places_the_lead(papi: Api, add_site: AddSite) -> None:
    blog = add_site(**{"/post": page(article(link(text="our  composting\n guide")))})
    campaign_id, lead_id = await placed_lead(papi)
    assert await _lead_status(papi, campaign_id, lead_id) == "discovered"
    found = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    assert found["status"] == "live"
    assert found["link"] == {
        "href": TARGET,
        "anchor_text": "our composting guide",
        "rel": [],
        "in_content": True,
        "anchor_matches": None,
    }
    assert found["http_status"] == 200 and found["final_url"] == f"http://{blog.host}/post"
    assert found["noindex"] is False and found["robots_blocked"] is False
    assert found["first_seen_at"] == found["last_seen_at"] == found["checked_at"]
    assert found["consecutive_misses"] == 0
    assert [(h["status"], h["http_status"]) for h in found["history"]] == [("live", 200)]
    assert found["next_check_at"] > found["checked_at"]
    assert await _lead_status(papi, campaign_id, lead_id) == "placed"


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("nofollow", ["nofollow"]),
        ("sponsored", ["sponsored"]),
        ("ugc", ["ugc"]),
        ("noopener UGC nofollow", ["ugc", "nofollow"]),
        ("noopener noreferrer", []),
    ],
)
async def test_rel_values_are_listed_as_found(
    papi: Api, add_site: AddSite, rel: str, expected: list[str]
) -> None:
    found = await _check(papi, add_site, article(link(rel=rel)))
    assert found["status"] == "live"
    assert found["link"]["rel"] == expected


@pytest.mark.parametrize(
    "wrap",
    [
        "<footer><p>Partners: {}</p></footer>",
        "<nav>{}</nav>",
        "<header>{}</header>",
        "<aside>{}</aside>",
        '<div class="widget-area primary-sidebar"><div>{}</div></div>',
        '<section id="comments"><ol class="comment-list"><li>{}</li></ol></section>',
        '<div role="contentinfo">{}</div>',
    ],
)
async def test_links_outside_the_content_are_not_in_content(
    papi: Api, add_site: AddSite, wrap: str
) -> None:
    found = await _check(papi, add_site, article("") + wrap.format(link()))
    assert found["status"] == "live"
    assert found["link"]["in_content"] is False


async def test_the_in_content_link_wins_over_a_footer_one(papi: Api, add_site: AddSite) -> None:
    body = f"<footer>{link(text='footer')}</footer>" + article(link(text="in text"))
    found = await _check(papi, add_site, body)
    assert found["link"]["anchor_text"] == "in text" and found["link"]["in_content"] is True


@pytest.mark.parametrize(
    "href",
    [
        "https://WWW.Ours.Example/guides/composting/",
        "https://ours.example/guides/composting#step-2",
        "https://ours.example/guides/composting?utm_source=blog&utm_medium=post&UTM_Campaign=x",
        "HTTPS://ours.example:443/guides/composting?gclid=abc&fbclid=def",
        "https://www.ours.example/guides/composting/?utm_content=a#top",
    ],
)
async def test_variants_of_the_target_count(papi: Api, add_site: AddSite, href: str) -> None:
    found = await _check(papi, add_site, article(link(href=href)))
    assert found["status"] == "live"
    assert found["link"]["href"] == href


@pytest.mark.parametrize(
    "href",
    [
        "https://ours.example/guides/compost",  # a different path
        "https://ours.example/Guides/Composting",  # paths are case-sensitive
        "https://ours.example/guides/composting?page=2",  # not a tracking parameter
        "https://ours.example/guides/composting/more",
        "https://other.example/guides/composting",
        "https://ours.example:8443/guides/composting",
    ],
)
async def test_other_urls_do_not_count(papi: Api, add_site: AddSite, href: str) -> None:
    campaign_body = article(link(href=href))
    blog = add_site(**{"/post": page(campaign_body)})
    campaign_id, lead_id = await placed_lead(papi)
    found = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    assert found["status"] == "missing"
    assert found["link"] is None and found["consecutive_misses"] == 1
    assert found["first_seen_at"] is None
    assert await _lead_status(papi, campaign_id, lead_id) == "discovered"


async def test_relative_links_resolve_against_the_page_and_its_base(
    papi: Api, add_site: AddSite
) -> None:
    own = add_site("ours")
    own.routes["/post"] = page(article(link(href="../guides/composting")))
    campaign_id, lead_id = await placed_lead(papi, f"http://{own.host}/guides/composting")
    on_same_site = await place(papi, campaign_id, lead_id, f"http://{own.host}/blog/post")
    assert on_same_site["status"] == "missing"  # /blog/post is a 404 on that site
    own.routes["/blog/post"] = own.routes["/post"]
    assert (await recheck(papi, on_same_site["id"]))["status"] == "live"
    # A <base href> elsewhere, and a protocol-relative href.
    based = await _check(
        papi,
        add_site,
        article(link(href="guides/composting")),
        head='<base href="http://ours.example/">',
        target_url="http://ours.example/guides/composting",
    )
    assert based["status"] == "live" and based["link"]["href"] == "guides/composting"
    protocol_relative = await _check(
        papi,
        add_site,
        article(link(href="//ours.example/guides/composting")),
        target_url="http://ours.example/guides/composting",
    )
    assert protocol_relative["status"] == "live"


async def test_expected_anchor_text_is_compared(papi: Api, add_site: AddSite) -> None:
    found = await _check(
        papi, add_site, article(link(text="Composting  GUIDE")), anchor_text="composting guide"
    )
    assert found["link"]["anchor_matches"] is True
    assert found["expected_anchor_text"] == "composting guide"
    other = await _check(papi, add_site, article(link(text="click here")), anchor_text="guide")
    assert other["status"] == "live" and other["link"]["anchor_matches"] is False
    image = await _check(papi, add_site, article(link(text='<img src="/a.png" alt="Our logo">')))
    assert image["link"]["anchor_text"] == "Our logo"


async def test_a_301_chain_is_followed_to_the_final_page(papi: Api, add_site: AddSite) -> None:
    final = add_site(**{"/2024/post": page(article(link()))})
    blog = add_site(
        **{
            "/old": redirect("/older"),
            "/older": redirect(f"http://{final.host}/2024/post", 302),
        }
    )
    campaign_id, lead_id = await placed_lead(papi)
    found = await place(papi, campaign_id, lead_id, f"http://{blog.host}/old")
    assert found["status"] == "live"
    assert found["final_url"] == f"http://{final.host}/2024/post"


async def test_a_redirect_to_a_private_address_is_refused(
    papi: Api, add_site: AddSite, web: FixtureWeb
) -> None:
    blog = add_site(**{"/post": redirect("http://127.0.0.1:{port}/internal/admin")})
    campaign_id, lead_id = await placed_lead(papi)
    found = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    assert found["status"] == "unknown" and found["error"] == "blocked"
    assert found["consecutive_misses"] == 0 and found["link"] is None
    assert not web.requested("127.0.0.1", "/internal/admin")
    assert await _lead_status(papi, campaign_id, lead_id) == "discovered"


@pytest.mark.parametrize(
    ("head", "headers", "noindex"),
    [
        ('<meta name="robots" content="NOINDEX, follow">', {}, True),
        ('<meta name="googlebot" content="none">', {}, True),
        ("", {"X-Robots-Tag": "noindex"}, True),
        ("", {"X-Robots-Tag": "googlebot: noindex, nofollow"}, True),
        ("", {"X-Robots-Tag": "otherbot: noindex"}, False),
        ('<meta name="robots" content="index, follow">', {"X-Robots-Tag": "noarchive"}, False),
    ],
)
async def test_noindex_from_meta_robots_and_x_robots_tag(
    papi: Api, add_site: AddSite, head: str, headers: dict[str, str], noindex: bool
) -> None:
    found = await _check(papi, add_site, article(link()), head=head, headers=headers)
    assert found["status"] == "live"
    assert found["noindex"] is noindex


async def test_the_canonical_url_is_reported(papi: Api, add_site: AddSite) -> None:
    found = await _check(
        papi, add_site, article(link()), head='<link rel="canonical" href="/canonical-post">'
    )
    assert found["canonical_url"].endswith("/canonical-post")


@pytest.mark.parametrize(
    "robots",
    [
        "User-agent: *\nDisallow: /\n",
        "User-agent: BacklinkOutreachBot\nDisallow: /post\n\nUser-agent: *\nAllow: /\n",
    ],
)
async def test_robots_disallow_is_reported_and_respected(
    papi: Api, add_site: AddSite, web: FixtureWeb, robots: str
) -> None:
    blog = add_site(
        **{
            "/post": page(article(link())),
            "/robots.txt": Reply(body=robots.encode(), content_type="text/plain"),
        }
    )
    campaign_id, lead_id = await placed_lead(papi)
    found = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    assert found["status"] == "unknown" and found["robots_blocked"] is True
    assert found["consecutive_misses"] == 0
    assert web.requested(blog.host, "/robots.txt") and not web.requested(blog.host, "/post")


async def test_removal_then_lost_after_two_misses_and_back(papi: Api, add_site: AddSite) -> None:
    blog = add_site(**{"/post": page(article(link()))})
    campaign_id, lead_id = await placed_lead(papi)
    live = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    assert live["status"] == "live"
    blog.routes["/post"] = page(article("The link was taken out."))
    missing = await recheck(papi, live["id"])
    assert (missing["status"], missing["consecutive_misses"]) == ("missing", 1)
    assert missing["link"] is None and missing["first_seen_at"] == live["first_seen_at"]
    blog.routes["/post"] = Reply(503, b"busy")
    unknown = await recheck(papi, live["id"])
    assert (unknown["status"], unknown["consecutive_misses"]) == ("unknown", 1)
    assert unknown["http_status"] == 503 and unknown["error"] == "status:503"
    blog.routes["/post"] = page(article("Still gone."))
    lost = await recheck(papi, live["id"])
    assert (lost["status"], lost["consecutive_misses"]) == ("lost", 2)
    assert lost["lost_at"] == lost["checked_at"]
    assert await _lead_status(papi, campaign_id, lead_id) == "placed"  # a lost link is an event
    assert (await recheck(papi, live["id"]))["lost_at"] == lost["lost_at"]
    blog.routes["/post"] = page(article(link()))
    back = await recheck(papi, live["id"])
    assert (back["status"], back["consecutive_misses"], back["lost_at"]) == ("live", 0, None)
    assert back["first_seen_at"] == live["first_seen_at"]
    assert [(h["status"], h["http_status"]) for h in back["history"]] == [
        ("live", 200),
        ("missing", 200),
        ("unknown", 503),
        ("lost", 200),
        ("lost", 200),
        ("live", 200),
    ]


async def test_a_page_never_found_stays_missing(papi: Api, add_site: AddSite) -> None:
    found = await _check(papi, add_site, article("no link here"))
    again = await recheck(papi, found["id"])
    third = await recheck(papi, found["id"])
    assert (again["status"], third["status"], third["consecutive_misses"]) == (
        "missing",
        "missing",
        3,
    )


@pytest.mark.parametrize(
    ("reply", "status", "http_status"),
    [
        (Reply(404, b"gone"), "missing", 404),
        (Reply(410, b"gone"), "missing", 410),
        (Reply(429, b"slow down"), "unknown", 429),
        (Reply(500, b"oops"), "unknown", 500),
        (Reply(403, b"bots go away"), "unknown", 403),
        (Reply(body=b"%PDF-1.4", content_type="application/pdf"), "missing", 200),
    ],
)
async def test_answers_that_are_and_are_not_evidence(
    papi: Api, add_site: AddSite, reply: Reply, status: str, http_status: int
) -> None:
    blog = add_site(**{"/post": reply})
    campaign_id, lead_id = await placed_lead(papi)
    found = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    assert (found["status"], found["http_status"]) == (status, http_status)
    assert found["consecutive_misses"] == (1 if status == "missing" else 0)


async def test_a_timeout_is_unknown(papi: Api, add_site: AddSite) -> None:
    blog = add_site(**{"/post": Reply(hang=True)})
    campaign_id, lead_id = await placed_lead(papi)
    found = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    assert (found["status"], found["error"], found["http_status"]) == ("unknown", "timeout", None)


async def test_a_refused_connection_is_unknown(make_api: ApiFactory, web: FixtureWeb) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    async with make_api(**crawl_settings(web, discovery_http_proxy=closed)) as api:
        campaign_id, lead_id = await placed_lead(api)
        found = await place(api, campaign_id, lead_id, "http://refused.example/post")
    # Its robots.txt could not be fetched either: the crawler stays away, nothing forbade us.
    assert (found["status"], found["error"]) == ("unknown", "robots_unreachable")
    assert found["robots_blocked"] is False and found["consecutive_misses"] == 0


async def test_a_site_down_entirely_is_unknown_not_robots_blocked(
    papi: Api, add_site: AddSite
) -> None:
    blog = add_site(**{"/post": Reply(503, b"down"), "/robots.txt": Reply(503, b"down")})
    campaign_id, lead_id = await placed_lead(papi)
    found = await place(papi, campaign_id, lead_id, f"http://{blog.host}/post")
    assert (found["status"], found["robots_blocked"]) == ("unknown", False)


async def test_a_2_mb_page(make_api: ApiFactory) -> None:
    # Its own fixture web: in the shared one, earlier tests' sites made this result depend on
    # the order tests ran in (the 3 MB page was read as complete after a full directory run).
    blog = site(
        "blog-huge.example",
        **{"/big": big_page(2_000_000, link()), "/huge": big_page(3_000_000, link())},
    )
    web = FixtureWeb([]).start()
    web.sites[blog.host] = blog
    # A page deadline that a busy test machine cannot miss: this test is about size.
    patient = crawl_settings(web, discovery_page_timeout_seconds=30)
    try:
        await _check_the_size_cap(make_api, patient, blog)
    finally:
        web.stop()


async def _check_the_size_cap(
    make_api: ApiFactory, patient: dict[str, Any], blog: LinkSite
) -> None:
    async with make_api(**patient) as api:
        campaign_id, lead_id = await placed_lead(api)
        found = await place(api, campaign_id, lead_id, f"http://{blog.host}/big")
        assert found["status"] == "live" and found["link"]["in_content"] is True
        # Beyond the 2 MiB cap the link may be in the part not read: not a miss.
        cut = await place(api, campaign_id, lead_id, f"http://{blog.host}/huge")
    assert (cut["status"], cut["error"], cut["consecutive_misses"]) == (
        "unknown",
        "page_too_large",
        0,
    )
