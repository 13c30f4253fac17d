"""The app's sign-in, CSRF, headers and escaping, on both backends (no browser needed)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from backlink_outreach.auth import mint_dev_token
from backlink_outreach.web import cookies
from tests.web.client import WebClient, error_texts

WebFactory = Callable[..., contextlib.AbstractAsyncContextManager[WebClient]]


async def test_pages_need_a_session_and_say_where_to_sign_in(make_web: WebFactory) -> None:
    async with make_web() as web:
        response = await web.get("/app/campaigns?x=1")
        assert response.status_code == 303
        assert response.headers["location"] == "/app/sign-in?next=/app/campaigns%3Fx%3D1"
        web.client.cookies.set(cookies.SESSION, "not-a-token")
        assert (await web.get("/app/campaigns")).status_code == 303
        # An API key is for scripts: as a cookie it signs nobody in (and is not looked up).
        web.client.cookies.set(cookies.SESSION, "blo_" + "a" * 40)
        assert (await web.get("/app/campaigns")).status_code == 303


async def test_the_session_cookie_is_verified_like_a_bearer_token(make_web: WebFactory) -> None:
    async with make_web() as web:
        web.sign_in("user_a")
        assert (await web.get("/app/campaigns")).status_code == 200
        # A token signed by another key (here: the dev key) is refused in clerk mode.
        settings = web.client._transport.app.state.settings  # type: ignore[attr-defined]
        web.client.cookies.set(cookies.SESSION, mint_dev_token(settings, "user_a"))
        assert (await web.get("/app/campaigns")).status_code == 303


async def test_dev_login_exists_only_in_dev_mode(make_web: WebFactory) -> None:
    async with make_web() as web:
        assert (await web.get("/app/dev-login")).status_code == 404
        assert (await web.post("/app/dev-login", {"user_id": "x"})).status_code == 404
    async with make_web(auth_mode="dev", clerk_jwt_key=None) as web:
        form = await web.get("/app/dev-login")
        assert form.status_code == 200
        signed = await web.post("/app/dev-login", {"user_id": "user_dev", "next": "/app/inbox"})
        assert signed.status_code == 303 and signed.headers["location"] == "/app/inbox"
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith(f"{cookies.SESSION}=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        assert (await web.get("/app/campaigns")).status_code == 200
        # Never a redirect to another site after signing in.
        away = await web.post("/app/dev-login", {"user_id": "u", "next": "//evil.example/"})
        assert away.headers["location"] == "/app"
        blank = await web.post("/app/dev-login", {"user_id": ""})
        assert blank.status_code == 422 and error_texts(blank.text)


async def test_cookies_are_secure_behind_https(make_web: WebFactory) -> None:
    async with make_web(
        auth_mode="dev", clerk_jwt_key=None, public_base_url="https://outreach.example"
    ) as web:
        response = await web.get("/app/dev-login")
        assert "Secure" in response.headers["set-cookie"]  # the CSRF cookie
        signed = await web.post("/app/dev-login", {"user_id": "user_dev"})
        assert "Secure" in signed.headers["set-cookie"]


async def test_a_form_without_this_browsers_token_changes_nothing(web: WebClient) -> None:
    missing = await web.post("/app/campaigns/new", {"name": "Forged"}, csrf=False)
    assert missing.status_code == 403
    await web.get("/app/campaigns")
    wrong = await web.client.post(
        "/app/campaigns/new", data={"name": "Forged", "csrf_token": "x" * 43}
    )
    assert wrong.status_code == 403
    assert "Forged" not in (await web.get("/app/campaigns")).text


async def test_every_page_sends_a_csp_without_inline_script(web: WebClient) -> None:
    response = await web.get("/app/campaigns")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in response.text  # only <script src=...>


async def test_clerk_mode_allows_only_clerks_origin_besides_ours(make_web: WebFactory) -> None:
    async with make_web(
        clerk_frontend_api="clerk.example.accounts.dev", clerk_publishable_key="pk_test_x"
    ) as web:
        page = await web.get("/app/sign-in?next=/app/inbox")
        assert page.status_code == 200
        assert 'data-publishable-key="pk_test_x"' in page.text
        assert "https://clerk.example.accounts.dev/npm/" in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self' https://clerk.example.accounts.dev" in policy


async def test_user_text_is_escaped_and_forms_show_errors_by_the_field(web: WebClient) -> None:
    bad = await web.post("/app/campaigns/new", {"name": "   "})
    assert bad.status_code == 422
    assert 'id="f-name-error"' in bad.text
    made = await web.post("/app/campaigns/new", {"name": "<img src=x onerror=alert(1)>"})
    assert made.status_code == 303
    listing = await web.get("/app/campaigns")
    assert "&lt;img src=x onerror=alert(1)&gt;" in listing.text
    assert "<img src=x" not in listing.text


async def test_unknown_pages_are_pages_and_the_app_stays_out_of_openapi(web: WebClient) -> None:
    missing = await web.get("/app/no-such-screen")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    for typed, page in (("/app/", "/app"), ("/app/campaigns/?x=1", "/app/campaigns?x=1")):
        slashed = await web.client.get(typed)
        assert slashed.status_code == 308 and slashed.headers["location"] == page
    schema = (await web.client.get("/openapi.json")).json()
    assert not [path for path in schema["paths"] if path.startswith("/app")]
