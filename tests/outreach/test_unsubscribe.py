"""One-click unsubscribe (RFC 8058): GET only shows a page, POST suppresses, the token is signed,
opaque, names the workspace and recipient, and lasts at least 60 days."""

from __future__ import annotations

import stat
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from backlink_outreach.config import Settings
from backlink_outreach.outreach import unsubscribe
from tests.conftest import Api
from tests.outreach.conftest import campaign_with_lead, send
from tests.outreach.mailserver import MailServer

PREFIX = "/api/v1/backlink-outreach"


def _link(server: MailServer) -> str:
    header: str = server.messages[-1].message["List-Unsubscribe"]
    url = header.split(",")[0].strip()[1:-1]
    assert url.startswith("http://testserver" + PREFIX)
    return url.removeprefix("http://testserver" + PREFIX)


async def test_get_changes_nothing_and_post_unsubscribes(
    mail_api: Api, mail_server: MailServer
) -> None:
    campaign, lead = await campaign_with_lead(mail_api, follow_up_days=[3, 6])
    assert (await send(mail_api, campaign, lead)).status_code == 200
    path = _link(mail_server)

    page = await mail_api.get(path, auth=False)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<form method="post">' in page.text and "editor@garden.test" not in page.text
    assert (await mail_api.get("/suppression")).json() == []
    lead_now = (await mail_api.get(f"/campaigns/{campaign['id']}")).json()["leads"][0]
    assert lead_now["status"] == "contacted"

    for _ in range(2):  # idempotent
        done = await mail_api.post(
            path,
            auth=False,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200
    bare = await mail_api.post(path, auth=False)  # no body, no content type
    assert bare.status_code == 200

    [entry] = (await mail_api.get("/suppression")).json()
    assert (entry["email"], entry["source"]) == ("editor@garden.test", "unsubscribe")
    assert (await mail_api.get("/suppression", user="user_b")).json() == []
    lead_now = (await mail_api.get(f"/campaigns/{campaign['id']}")).json()["leads"][0]
    assert lead_now["status"] == "lost"
    follow_ups = (await mail_api.get(f"/campaigns/{campaign['id']}/follow-ups")).json()
    assert [(f["status"], f["reason"]) for f in follow_ups] == [("cancelled", "unsubscribed")] * 2
    again = await send(mail_api, campaign, lead, subject="Something else")
    assert again.json()["reason"] == "suppressed"


@pytest.mark.parametrize("token", ["garbage", "A" * 80, "", "x" * 3000])
async def test_bad_tokens_are_404(mail_api: Api, token: str) -> None:
    for method in ("GET", "POST"):
        response = await mail_api.request(method, f"/unsubscribe/{token}", auth=False)
        assert response.status_code == 404
        if token:
            assert response.json() == {"detail": "Resource not found"}


async def test_tampered_or_foreign_tokens_are_404(
    mail_api: Api, mail_server: MailServer, make_settings: Any
) -> None:
    campaign, lead = await campaign_with_lead(mail_api)
    assert (await send(mail_api, campaign, lead)).status_code == 200
    path = _link(mail_server)
    token = path.rsplit("/", 1)[1]
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    assert (await mail_api.post(f"/unsubscribe/{flipped}", auth=False)).status_code == 404
    other: Settings = make_settings(unsubscribe_secret="another secret")
    forged = unsubscribe.make_token(other, "user_a", "editor@garden.test", date.today())
    assert (await mail_api.post(f"/unsubscribe/{forged}", auth=False)).status_code == 404
    assert (await mail_api.get("/suppression")).json() == []


def test_token_lifetime(make_settings: Any) -> None:
    settings: Settings = make_settings(unsubscribe_secret="s3cret")
    issued = date(2031, 1, 1)
    token = unsubscribe.make_token(settings, "org_1", "a@b.test", issued)
    assert "a@b.test" not in token and "org_1" not in token
    for later in (0, 60, 365):
        subject = unsubscribe.read_token(settings, token, issued + timedelta(days=later))
        assert subject == unsubscribe.Subject("org_1", "a@b.test")
    with pytest.raises(unsubscribe.BadToken):
        unsubscribe.read_token(settings, token, issued + timedelta(days=401))


def test_secret_without_setting_is_created_once(make_settings: Any, tmp_path: Path) -> None:
    settings: Settings = make_settings(data_dir=tmp_path / "d1")
    token = unsubscribe.make_token(settings, "w", "a@b.test", date(2031, 1, 1))
    path = tmp_path / "d1" / "unsubscribe-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    same_folder: Settings = make_settings(data_dir=tmp_path / "d1")
    assert unsubscribe.read_token(same_folder, token, date(2031, 1, 2)).recipient == "a@b.test"
    elsewhere: Settings = make_settings(data_dir=tmp_path / "d2")
    with pytest.raises(unsubscribe.BadToken):
        unsubscribe.read_token(elsewhere, token, date(2031, 1, 2))
