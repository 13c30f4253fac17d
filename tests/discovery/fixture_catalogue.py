# ruff: noqa: E501 - a table of sites reads best one per line
"""The fixture web: 60+ virtual hosts with known ground truth.

For "gardening": 13 readable gardening sites that take guest posts (different page slugs and
ways of writing the address), plus three that cannot be read (robots.txt, a hang, a 20 MB page
read in part); gardening sites that take no guest posts; guest-post sites on other topics that
the footprint queries also return; spam (a casino link farm, a PBN, a CBD shop, a link
marketplace); two redirects to internal addresses; and platforms that are never prospects.
"""

from __future__ import annotations

from typing import Any

from tests.discovery.fixture_sites import Site, finish

G = {"gardening"}
V = {"vegan recipes"}
BOTH = {"gardening", "vegan recipes"}


def _guest(host: str, topic: str, keywords: set[str], page: str, email: str | None, style: str,
           on: str = "guest", **kw: Any) -> Site:  # fmt: skip
    return Site(host=host, topic=topic, kind="guest", search_keywords=keywords, guest_page=page,
                pitch_email=email, email_style=style, email_on=on, **kw)  # fmt: skip


def catalogue() -> list[Site]:
    sites = [
        # Gardening, takes guest posts.
        _guest("greenthumbdaily.com", "gardening", G, "/write-for-us", "editor@greenthumbdaily.com", "mailto"),
        _guest("rootsandshoots.co.uk", "gardening", G, "/contribute", "pitches@rootsandshoots.co.uk", "brackets", with_form=True),
        _guest("backyardharvest.net", "gardening", G, "/guest-post-guidelines", "hello@backyardharvest.net", "cloudflare", on="contact"),
        _guest("theherbpatch.org", "gardening", G, "/become-a-contributor", "write@theherbpatch.org", "parens"),
        _guest("urbanallotment.com", "gardening", G, "/write-for-us", "submissions@urbanallotment.com", "entities", result_path="/write-for-us"),
        _guest("rosie-grows.blogspot.com", "gardening", G, "/p/write-for-us", "rosie.grows@gmail.com", "plain"),
        _guest("soilsisters.com", "gardening", G, "/guest-posts", "team@soilsisters.com", "cloudflare-href", on="contact"),
        _guest("pollinatorpath.org", "gardening", G, "/write-for-us", "editors@pollinatorpath.org", "mailto", age_days=200),
        _guest("containergardenguru.com", "gardening", G, "/contribute", None, "mailto", with_form=True),
        _guest("shadegardenjournal.com", "gardening", G, "/write-for-us", "journal@shadegardenjournal.com", "plain", on="contact", other_emails=["ads@adnetwork-partners.com"]),
        _guest("veggieplotdiaries.com", "gardening", G, "/submit-a-guest-post", "plot@veggieplotdiaries.com", "brackets", result_path="/submit-a-guest-post"),
        _guest("wildflowermeadows.org", "gardening", G, "/guest-author-guidelines", "meadows@wildflowermeadows.org", "mailto", age_days=500),
        _guest("compostcorner.com", "gardening", G, "/write-for-us", "compost@compostcorner.com", "cloudflare"),
        # Gardening, no guest posts.
        Site("gardenersalmanac.com", "gardening", "no-guest", G, refuses=True, other_emails=["info@gardenersalmanac.com"]),
        Site("thepottingshed.co.uk", "gardening", "no-guest", G),
        Site("orchardkeeper.com", "gardening", "no-guest", G, refuses=True),
        Site("bonsaiandbeyond.com", "gardening", "no-guest", G, other_emails=["shop@bonsaiandbeyond.com"]),
        Site("greenhousegrower.net", "gardening", "no-guest", G),
        Site("lawnlovers.com", "gardening", "no-guest", G, refuses=True),
        # Vegan, takes guest posts / does not.
        _guest("plantplatekitchen.com", "vegan", V, "/write-for-us", "recipes@plantplatekitchen.com", "mailto"),
        _guest("veganweeknight.com", "vegan", V, "/contribute", "hi@veganweeknight.com", "brackets"),
        _guest("lentilandlime.com", "vegan", V, "/guest-post-guidelines", "lime@lentilandlime.com", "cloudflare", on="contact"),
        _guest("tofutales.net", "vegan", V, "/write-for-us", "tales@tofutales.net", "plain"),
        _guest("greenbowlrecipes.com", "vegan", V, "/become-a-contributor", "bowl@greenbowlrecipes.com", "parens"),
        _guest("chickpeachronicles.com", "vegan", V, "/write-for-us", "editor@chickpeachronicles.com", "mailto"),
        _guest("oatsandgreens.org", "vegan", V, "/submit-a-guest-post", None, "mailto", with_form=True),
        Site("veganpantrybasics.com", "vegan", "no-guest", V, refuses=True),
        Site("plantbasedpaula.com", "vegan", "no-guest", V),
        Site("meatlessmonday.org", "vegan", "no-guest", V),
        Site("herbivorehome.com", "vegan", "no-guest", V, refuses=True),
        # Other topics that take guest posts: footprint queries return them for any keyword.
        _guest("moneymapblog.com", "finance", BOTH, "/write-for-us", "editor@moneymapblog.com", "mailto"),
        _guest("frugalfutures.net", "finance", BOTH, "/contribute", "pitch@frugalfutures.net", "plain"),
        _guest("debtfreediaries.com", "finance", BOTH, "/write-for-us", "diaries@debtfreediaries.com", "brackets"),
        _guest("indexinvestor.org", "finance", G, "/guest-post-guidelines", "ii@indexinvestor.org", "mailto"),
        _guest("savvysaver.co.uk", "finance", V, "/write-for-us", "saver@savvysaver.co.uk", "mailto"),
        _guest("wanderlightly.com", "travel", BOTH, "/write-for-us", "trips@wanderlightly.com", "mailto"),
        _guest("railandtrail.net", "travel", BOTH, "/contribute", "rail@railandtrail.net", "cloudflare", on="contact"),
        _guest("carryonclub.com", "travel", G, "/guest-posts", "club@carryonclub.com", "plain"),
        _guest("slowtravelstories.org", "travel", BOTH, "/write-for-us", "stories@slowtravelstories.org", "parens"),
        _guest("nomadbudget.com", "travel", V, "/write-for-us", "nomad@nomadbudget.com", "mailto"),
        _guest("bytesizedreviews.com", "tech", BOTH, "/write-for-us", "reviews@bytesizedreviews.com", "mailto"),
        _guest("devtoolsweekly.io", "tech", G, "/contribute", "weekly@devtoolsweekly.io", "brackets"),
        _guest("gadgetgrounds.com", "tech", BOTH, "/guest-post-guidelines", "ground@gadgetgrounds.com", "plain"),
        _guest("happytailsblog.com", "pets", BOTH, "/write-for-us", "tails@happytailsblog.com", "mailto"),
        _guest("catcornercare.com", "pets", G, "/contribute", "care@catcornercare.com", "mailto"),
        _guest("bunnybasics.org", "pets", V, "/write-for-us", "hop@bunnybasics.org", "plain"),
        # Spam: link farm, PBN, CBD shop, link marketplace; they stuff the keyword.
        _spam("gardencasinobonus.com"),
        _spam("garden-tips-hub.net"),
        _spam("hempgardenshop.com"),
        _spam("guestpostlinksmarket.com"),
        # Specials.
        _guest("quietgardener.org", "gardening", G, "/write-for-us", "quiet@quietgardener.org", "mailto",
               robots="User-agent: BacklinkOutreachBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"),  # fmt: skip
        _guest("slowgrow.com", "gardening", G, "/write-for-us", "slow@slowgrow.com", "mailto", hang=True),
        _guest("bigharvestmagazine.com", "gardening", G, "/write-for-us", "big@bigharvestmagazine.com", "mailto", huge_bytes=20 * 1024 * 1024),
        Site("gardenlinkhub.com", "gardening", "special", G, redirect_to="http://127.0.0.1:{port}/internal/admin"),
        Site("cloudgardenhost.com", "gardening", "special", G, redirect_to="http://169.254.169.254/latest/meta-data/"),
        # Platforms: never prospects, never crawled.
        *(Site(h, "gardening", "platform", BOTH) for h in (
            "www.pinterest.com", "medium.com", "www.youtube.com", "www.quora.com", "www.reddit.com",
            "www.amazon.com", "gardening.stackexchange.com", "blogspot.com",
        )),
    ]  # fmt: skip
    return finish(sites)


def _spam(host: str) -> Site:
    return Site(host, "spam", "spam", BOTH, guest_page="/write-for-us",
                pitch_email=f"seo@{host}", email_style="mailto")  # fmt: skip


def bench_catalogue(n: int) -> list[Site]:
    """`n` generated sites for the benchmark, every one returned for "gardening"."""
    topics = ["gardening", "gardening", "vegan", "finance", "travel", "tech", "pets"]
    sites = []
    for i in range(n):
        topic = topics[i % len(topics)]
        host = f"{topic}-site-{i:03d}.com"
        if i % 3 == 0:
            sites.append(Site(host, topic, "no-guest", G))
        else:
            sites.append(_guest(host, topic, G, "/write-for-us", f"editor@{host}", "mailto"))
    return finish(sites)
