"""The suppression screen: add (the API's own validation and its hint for a bare domain),
search, pages, remove; another workspace's entry is the 404 page."""

from __future__ import annotations

import re

from tests.web.client import WebClient, error_texts


def entries(html: str) -> list[str]:
    return re.findall(r'<td class="mono">([^<]+)</td>', html)


def entry_ids(html: str) -> list[str]:
    return re.findall(r'action="/app/suppression/([A-Za-z0-9_]+)/remove"', html)


async def test_an_empty_list_says_what_to_do(web: WebClient) -> None:
    page = await web.get("/app/suppression")
    assert page.status_code == 200
    assert "The list is empty" in page.text


async def test_add_an_address_and_a_domain_then_search_and_remove(web: WebClient) -> None:
    added = await web.post("/app/suppression", {"email": " Jane@Example.COM ", "reason": "asked"})
    assert added.status_code == 303
    shown = await web.get(added.headers["location"])
    assert "jane@example.com is suppressed" in shown.text
    assert (await web.post("/app/suppression", {"email": "*@spam.example"})).status_code == 303
    everything = await web.get("/app/suppression")
    assert entries(everything.text) == ["jane@example.com", "*@spam.example"]
    found = await web.get("/app/suppression?q=SPAM")
    assert entries(found.text) == ["*@spam.example"]
    none = await web.get("/app/suppression?q=nobody")
    assert "Nothing on the list matches" in none.text
    manual = await web.get("/app/suppression?source=bounce")
    assert entry_ids(manual.text) == []
    (first, second) = entry_ids(everything.text)
    removed = await web.post(f"/app/suppression/{first}/remove")
    assert removed.status_code == 303
    assert entry_ids((await web.get("/app/suppression")).text) == [second]


async def test_a_bare_domain_gets_the_apis_hint_and_bad_input_its_words(web: WebClient) -> None:
    bare = await web.post("/app/suppression", {"email": "example.com"})
    assert bare.status_code == 422
    assert any("*@example.com" in text for text in error_texts(bare.text)), bare.text
    assert 'value="example.com"' in bare.text  # the form keeps what was typed
    for junk in ("", "not an address", "a@" + "b" * 400, "x\x00@y.example"):
        response = await web.post("/app/suppression", {"email": junk})
        assert response.status_code == 422, junk
        assert 'id="f-email-error"' in response.text
    assert "The list is empty" in (await web.get("/app/suppression")).text


async def test_pages_and_bad_queries(web: WebClient) -> None:
    for n in range(53):
        assert (
            await web.post("/app/suppression", {"email": f"p{n:02d}@pages.example"})
        ).status_code == 303
    first = await web.get("/app/suppression")
    assert len(entry_ids(first.text)) == 50
    following = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert following
    second = await web.get(following.group(1).replace("&amp;", "&"))
    assert len(entry_ids(second.text)) == 3
    assert set(entry_ids(second.text)).isdisjoint(entry_ids(first.text))
    assert (await web.get("/app/suppression?cursor=bm90LWEtY3Vyc29y")).status_code == 422
    assert (await web.get("/app/suppression?cursor=%00")).status_code == 422


async def test_another_workspaces_entry_is_the_404_page(web: WebClient) -> None:
    await web.post("/app/suppression", {"email": "mine@example.com"})
    (mine,) = entry_ids((await web.get("/app/suppression")).text)
    web.sign_in("user_b")
    page = await web.get("/app/suppression")
    assert entries(page.text) == []
    assert (await web.post(f"/app/suppression/{mine}/remove")).status_code == 404
    web.sign_in("user_a")
    assert entry_ids((await web.get("/app/suppression")).text) == [mine]
