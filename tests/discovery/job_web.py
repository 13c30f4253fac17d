"""A small fixture web for discovery jobs: six vegan sites whose names are known, written the
ways sites write them (og:site_name, "Home | Name", "Welcome to Name – Blog", "Name :: Home"),
found by searching "vegan recipes" on their guest-post pages."""

from __future__ import annotations

from dataclasses import dataclass

from tests.discovery.fixture_sites import Site, finish

KEYWORD = "vegan recipes"
K = {KEYWORD}


@dataclass(frozen=True)
class Named:
    host: str
    name: str  # what the site calls itself in its pages
    home_title: str  # its home page's <title> (HTML, as written)
    og_site_name: str | None  # its home page's og:site_name (HTML attribute, as written)
    expected: str  # the website_title a result must carry
    guest: bool = True


NAMED = (
    Named(
        "cashewcreamery.com",
        "Cashew Creamery",
        "Home | Cashew Creamery",
        "The Cashew Creamery &amp; Co",
        "The Cashew Creamery & Co",
    ),
    Named(
        "tempehtuesday.net",
        "Tempeh Tuesday",
        "Welcome to Tempeh Tuesday – Vegan Blog",
        None,
        "Tempeh Tuesday",
    ),
    Named("beanbox.org", "Bean Box", "Bean Box | Vegan", None, "Bean Box"),
    Named(
        "seitanstories.com",
        "Seitan Stories",
        "Seitan Stories :: Home",
        "&lt;b&gt;Seitan\u202e Stories&lt;/b&gt;",  # markup and a bidi override, from the site
        "<b>Seitan Stories</b>",
    ),
    Named("plainplates.com", "Plain Plates", "Plain Plates - Home", None, "Plain Plates", False),
    Named("greenladle.com", "Green Ladle", "Green Ladle", None, "Green Ladle", False),
)


def _site(named: Named) -> Site:
    if not named.guest:
        return Site(named.host, "vegan", "no-guest", K, name=named.name, refuses=True)
    return Site(
        host=named.host,
        topic="vegan",
        kind="guest",
        search_keywords=K,
        name=named.name,
        guest_page="/write-for-us",
        pitch_email=f"editor@{named.host}",
        email_style="mailto",
        # The search result is the invitation page, titled "Write for Us - <name>": the
        # site's name must come from the home page all the same.
        result_path="/write-for-us",
    )


def job_sites() -> list[Site]:
    sites = finish([_site(n) for n in NAMED])
    for site, named in zip(sites, NAMED, strict=True):
        home = site.pages["/"]
        generated = f"<title>{site.name} | Vegan</title>"
        assert generated in home
        og = (
            f'<meta property="og:site_name" content="{named.og_site_name}">'
            if named.og_site_name is not None
            else ""
        )
        site.pages["/"] = home.replace(generated, f"<title>{named.home_title}</title>{og}")
    return sites


EXPECTED_NAMES = {n.host: n.expected for n in NAMED}
GUEST_HOSTS = {n.host for n in NAMED if n.guest}
