"""The CSV import screen: upload, the importer's dry run with the detected mapping and a sample,
changing the mapping, importing; on both backends."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Callable

import httpx

from tests.conftest import Api, create_campaign
from tests.web.client import WebClient

WebFactory = Callable[..., contextlib.AbstractAsyncContextManager[WebClient]]

AHREFS = (
    "Referring page URL,Referring page title,DR,Contact,E-mail,Junk\r\n"
    "https://green.example/write-for-us,Green <b>blog</b>,45.4,Ann,ann@green.example,x\r\n"
    "https://blue.example/,Blue,12,Bob,not-an-address,y\r\n"
    "https://green.example/other,Green again,45,Ann,ann@green.example,z\r\n"
)


async def upload(
    web: WebClient, campaign_id: str, content: str | bytes, name: str = "leads.csv"
) -> httpx.Response:
    if not web.csrf_token:
        await web.get("/app/campaigns")
    return await web.client.post(
        f"/app/campaigns/{campaign_id}/import",
        data={"csrf_token": web.csrf_token},
        files={"file": (name, content, "text/csv")},
    )


def selected(page: str) -> dict[str, str]:
    """Column header -> the field its select has chosen ('' for ignored)."""
    out: dict[str, str] = {}
    for label, body in re.findall(
        r'<label for="col-\d+">([^<]*)</label></th>\s*<td>\s*<select[^>]*>(.*?)</select>',
        page,
        flags=re.S,
    ):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        out[html.unescape(label)] = chosen.group(1) if chosen else ""
    return out


def columns_of(page: str) -> dict[str, int]:
    """Column header -> the index of its select (`col-<index>`)."""
    return {
        html.unescape(label): int(index)
        for index, label in re.findall(r'<label for="col-(\d+)">([^<]*)</label>', page)
    }


async def test_the_mapping_and_a_dry_run_come_before_the_import(web: WebClient, api: Api) -> None:
    made = await create_campaign(api)
    form = await web.get(f"/app/campaigns/{made['id']}/import")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    sent = await upload(web, made["id"], AHREFS)
    assert sent.status_code == 303
    check_url = sent.headers["location"]
    assert check_url.startswith(f"/app/campaigns/{made['id']}/import/")
    page = await web.get(check_url)
    assert page.status_code == 200
    assert selected(page.text) == {
        "Referring page URL": "website_url",
        "Referring page title": "website_title",
        "DR": "authority",
        "Contact": "contact_name",
        "E-mail": "contact_email",
        "Junk": "",
    }
    text = html.unescape(page.text)
    # The dry run's answer and its per-row error, and the sample (escaped) beside each column.
    assert "1 lead added, 1 skipped" in re.sub(r"</?strong>", "", text)
    assert "1: contact_email:" in text
    assert "Green &lt;b&gt;blog&lt;/b&gt;" in page.text and "<b>blog</b>" not in page.text
    # Nothing was written yet.
    assert (await api.get(f"/campaigns/{made['id']}/leads")).json() == []

    # Ignore the e-mail column: the row that failed now passes.
    index = columns_of(page.text)
    mapping = {
        f"col-{index['Referring page URL']}": "website_url",
        f"col-{index['DR']}": "authority",
        f"col-{index['E-mail']}": "",
    }
    checked = await web.post(check_url, {**mapping, "action": "check"})
    assert checked.status_code == 303
    again = await web.get(check_url)
    assert selected(again.text)["E-mail"] == "" and selected(again.text)["DR"] == "authority"
    assert "2 leads added, 1 skipped" in re.sub(r"</?strong>", "", html.unescape(again.text))
    assert (await api.get(f"/campaigns/{made['id']}/leads")).json() == []

    imported = await web.post(check_url, {**mapping, "action": "import"})
    assert imported.status_code == 303
    done = await web.get(check_url)
    assert "Imported leads.csv" in done.text
    leads = (await api.get(f"/campaigns/{made['id']}/leads")).json()
    assert [(x["domain"], x["authority"], x["contact_email"]) for x in leads] == [
        ("green.example", 45, None),
        ("blue.example", 12, None),
    ]
    # Posting again imports nothing twice.
    await web.post(check_url, {**mapping, "action": "import"})
    assert len((await api.get(f"/campaigns/{made['id']}/leads")).json()) == 2


async def test_a_file_without_a_url_column_asks_for_the_mapping(web: WebClient, api: Api) -> None:
    made = await create_campaign(api)
    sent = await upload(web, made["id"], "Address;Who\ngreen.example;Ann\nblue.example;Bob\n")
    assert sent.status_code == 303
    page = await web.get(sent.headers["location"])
    assert "No column gives website_url" in page.text
    assert "disabled>Import" in page.text
    index = columns_of(page.text)
    refused = await web.post(
        sent.headers["location"], {f"col-{index['Who']}": "contact_name", "action": "import"}
    )
    assert refused.status_code == 422 and "No column gives website_url" in refused.text
    bad_field = await web.post(
        sent.headers["location"], {f"col-{index['Who']}": "password", "action": "check"}
    )
    assert bad_field.status_code == 422 and "is not a lead field" in html.unescape(bad_field.text)
    imported = await web.post(
        sent.headers["location"],
        {f"col-{index['Address']}": "website_url", f"col-{index['Who']}": "contact_name",
         "action": "import"},
    )  # fmt: skip
    assert imported.status_code == 303
    leads = (await api.get(f"/campaigns/{made['id']}/leads")).json()
    assert [(x["domain"], x["contact_name"]) for x in leads] == [
        ("green.example", "Ann"),
        ("blue.example", "Bob"),
    ]


async def test_unreadable_uploads_are_errors_next_to_the_file_field(
    web: WebClient, api: Api
) -> None:
    made = await create_campaign(api)
    empty = await upload(web, made["id"], b"")
    assert empty.status_code == 422 and 'id="f-file-error"' in empty.text
    assert "The file is empty" in empty.text
    await web.get(f"/app/campaigns/{made['id']}/import")
    missing = await web.client.post(
        f"/app/campaigns/{made['id']}/import",
        data={"csrf_token": web.csrf_token},
        files={"other": ("x.csv", b"a,b\n", "text/csv")},
    )
    assert missing.status_code == 422 and "Choose a CSV file to import." in missing.text
    forged = await web.client.post(
        f"/app/campaigns/{made['id']}/import", files={"file": ("x.csv", AHREFS, "text/csv")}
    )
    assert forged.status_code == 403


async def test_another_workspace_cannot_see_or_finish_an_import(
    web: WebClient, api: Api, make_web: WebFactory
) -> None:
    made = await create_campaign(api)
    sent = await upload(web, made["id"], AHREFS)
    check_url = sent.headers["location"]
    token = check_url.rsplit("/", 1)[1]
    theirs = await create_campaign(api, user="user_b")
    async with make_web() as other:
        other.sign_in("user_b")
        assert (await other.get(check_url)).status_code == 404
        assert (await other.post(check_url, {"action": "import"})).status_code == 404
        # Their own campaign with my token: still not theirs.
        borrowed = f"/app/campaigns/{theirs['id']}/import/{token}"
        assert (await other.get(borrowed)).status_code == 404
        assert (await other.post(borrowed, {"action": "import"})).status_code == 404
    assert (await web.get(f"/app/campaigns/{made['id']}/import/{'x' * 43}")).status_code == 404
    assert (await web.get(f"/app/campaigns/{made['id']}/import/..%2F..")).status_code == 404
    assert (await api.get(f"/campaigns/{theirs['id']}/leads", user="user_b")).json() == []


async def test_the_upload_has_the_import_size_limit(make_web: WebFactory, api: Api) -> None:
    made = await create_campaign(api)
    big = "website_url\n" + "".join(f"site{i}.example\n" for i in range(3000))
    assert len(big) > 2000
    async with make_web(max_body_bytes=1000, max_import_bytes=len(big) + 4000) as web:
        web.sign_in()
        fits = await upload(web, made["id"], big)
        assert fits.status_code == 303, fits.text
    async with make_web(max_body_bytes=1000, max_import_bytes=1500) as web:
        web.sign_in()
        too_big = await upload(web, made["id"], big)
        assert too_big.status_code == 413
        assert too_big.headers["content-type"].startswith("text/html")
        assert "<h1>Too large</h1>" in too_big.text and "Split the file" in too_big.text
