"""/docs and /redoc work with no network: every asset they reference is served by the app, and
the OpenAPI document declares the bearer scheme (the Authorize button)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Api


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_every_asset_from_the_app(api: Api, page: str) -> None:
    response = await api.client.get(page)
    assert response.status_code == 200
    html = response.text
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    refs += re.findall(r"""url:\s*['"]([^'"]+)['"]""", html)
    refs += re.findall(r"""spec-url=["']([^"']+)["']""", html)
    assert refs, html
    assert not [r for r in refs if r.startswith(("http:", "https:", "//"))], refs
    for ref in refs:
        asset = await api.client.get(ref)
        assert asset.status_code == 200, ref
        assert asset.content, ref
    assert "cdn" not in html.lower()


async def test_openapi_declares_the_bearer_scheme(api: Api) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A Clerk session token (RS256 JWT) or an API key (`blo_...`).",
    }
    campaigns = schema["paths"]["/api/v1/backlink-outreach/campaigns"]["post"]
    assert campaigns["security"] == [{"bearerAuth": []}]
    assert "security" not in schema["paths"]["/health"]["get"]
