"""An in-process browser stand-in for page tests: the `__session` cookie and CSRF like a browser.

Page tests run on both backends through the shared `db` fixture; the Chromium tests in
`tests/web/browser/` drive the real thing.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from backlink_outreach.web import cookies
from tests.support.tokens import make_token

_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


class WebClient:
    def __init__(self, client: httpx.AsyncClient, key: rsa.RSAPrivateKey) -> None:
        self.client = client
        self.key = key
        self.csrf_token = ""

    def sign_in(self, user: str = "user_a", org: str | None = None) -> None:
        """A Clerk session cookie with a real RS256 token (clerk mode, as in production)."""
        self.client.cookies.set(cookies.SESSION, make_token(self.key, user, org=org, ttl=3600))

    def sign_out(self) -> None:
        self.client.cookies.delete(cookies.SESSION)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.get(path, **kwargs)
        found = _CSRF.search(response.text)
        if found:
            self.csrf_token = found.group(1)
        return response

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """A form post, with this browser's CSRF token (a page is fetched first if none yet)."""
        if csrf and not self.csrf_token:
            await self.get("/app/campaigns")
        fields = dict(data or {})
        if csrf:
            fields.setdefault("csrf_token", self.csrf_token)
        return await self.client.post(path, data=fields, **kwargs)


def error_texts(html: str) -> list[str]:
    """The words shown next to fields (`<p class="error" ...>`)."""
    return [text.strip() for text in re.findall(r'<p class="error[^"]*"[^>]*>([^<]+)</p>', html)]
