"""`website_url` may be a bare host: `https://` is assumed (API.md part 2)."""

from __future__ import annotations

import pytest

from backlink_outreach.domains import InvalidValue, normalize_website_url
from tests.conftest import Api, create_campaign


@pytest.mark.parametrize(
    ("given", "url", "domain"),
    [
        ("green.example", "https://green.example", "green.example"),
        ("green.example/write-for-us", "https://green.example/write-for-us", "green.example"),
        (" www.Blog.Example.co.uk/x?y=1 ", "https://www.Blog.Example.co.uk/x?y=1", "example.co.uk"),
        ("green.example:8080/a", "https://green.example:8080/a", "green.example"),
        ("//green.example/a", "https://green.example/a", "green.example"),
        ("192.0.2.7/page", "https://192.0.2.7/page", "192.0.2.7"),
        ("http://green.example", "http://green.example", "green.example"),
    ],
)
def test_bare_hosts_read_as_https(given: str, url: str, domain: str) -> None:
    assert normalize_website_url(given) == (url, domain)


@pytest.mark.parametrize(
    "given",
    [
        "ftp://green.example",
        "mailto:ed@green.example",
        "javascript:alert(1)",
        "ed@green.example",
        "green.example:port/x",
        "localhost",
        "n/a",
        "green..example",
        "green example",
    ],
)
def test_what_is_still_refused(given: str) -> None:
    with pytest.raises(InvalidValue):
        normalize_website_url(given)


async def test_lead_create_and_bulk_add_take_bare_hosts(api: Api) -> None:
    campaign = await create_campaign(api)
    path = f"/campaigns/{campaign['id']}/leads"
    response = await api.post(path, json={"website_url": "green.example/write-for-us"})
    assert response.status_code == 201, response.text
    lead = response.json()
    assert lead["website_url"] == "https://green.example/write-for-us"
    assert lead["domain"] == "green.example"
    again = await api.post(path, json={"website_url": "https://green.example"})
    assert again.status_code == 409  # the same site
    bulk = await api.post(
        f"{path}/bulk",
        json=[{"website_url": "blue.example"}, {"website_url": "ftp://red.example"}],
    )
    assert bulk.json() == {
        "added": 1,
        "skipped": 0,
        "failed": ["1: website_url: invalid URL: only http and https are accepted"],
    }
    refused = await api.post(path, json={"website_url": "gopher://x.example"})
    assert refused.status_code == 422
    listed = (await api.get(path, params={"q": "blue"})).json()
    assert [lead["website_url"] for lead in listed] == ["https://blue.example"]
