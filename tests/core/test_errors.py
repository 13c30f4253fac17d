"""The error contract: exact bodies, 413 for big bodies, 422 (never 400) for bad JSON, no leaks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import httpx
from fastapi import APIRouter

from tests.conftest import Api, create_campaign

MakeApi = Callable[..., AbstractAsyncContextManager[Api]]


async def test_unknown_route_and_id_are_the_404_body(api: Api) -> None:
    for response in (await api.get("/campaigns/cmp_nope"), await api.get("/no/such/route")):
        assert (response.status_code, response.json()) == (404, {"detail": "Resource not found"})


async def test_nul_bytes_in_paths_and_queries_never_reach_the_database(api: Api) -> None:
    """PostgreSQL refuses NUL in text: without the guard these were 500s there."""
    campaign = await create_campaign(api)
    for path in (
        "/campaigns/%00",
        f"/campaigns/{campaign['id']}%00",
        f"/campaigns/{campaign['id']}/leads/x%00/status",
        "/emails/templates/%00",
    ):
        response = await api.get(path)
        assert (response.status_code, response.json()) == (404, {"detail": "Resource not found"})
    response = await api.get("/campaigns", params={"workspace_id": "a\x00b"})
    assert response.status_code == 422
    assert (await api.get(f"/campaigns/{campaign['id']}")).status_code == 200


async def test_body_over_limit_is_413_and_writes_nothing(make_api: MakeApi) -> None:
    async with make_api(max_body_bytes=2000) as api:
        campaign = await create_campaign(api)
        big = [{"website_url": f"https://s{i}.test"} for i in range(200)]
        response = await api.post(f"/campaigns/{campaign['id']}/leads/bulk", json=big)
        assert (response.status_code, response.json()) == (413, {"detail": "Request too large"})

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
            for _ in range(10):
                yield b" " * 500

        streamed = await api.post(
            f"/campaigns/{campaign['id']}/leads/bulk",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        assert (streamed.status_code, streamed.json()) == (413, {"detail": "Request too large"})
        assert (await api.get(f"/campaigns/{campaign['id']}")).json()["lead_count"] == 0


async def test_unparsable_bodies_are_422(api: Api) -> None:
    deep = b"[" * 10_000 + b"]" * 10_000
    for content in (b"{not json", deep, b'{"name": "\xff\xfe"}', b""):
        response = await api.post(
            "/campaigns", content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, content[:20]
        assert isinstance(response.json()["detail"], list)
    assert (await api.get("/campaigns")).json() == []


async def test_validation_errors_do_not_echo_input(api: Api) -> None:
    secret = "x" * 300
    response = await api.post("/campaigns", json={"name": secret})
    assert response.status_code == 422
    assert secret not in response.text


async def test_unexpected_error_is_generic_500(api: Api) -> None:
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    app = api.app
    app.include_router(router)
    response = await api.client.get("/boom")
    assert (response.status_code, response.json()) == (
        500,
        {"detail": "An internal error occurred"},
    )
    assert "hunter2" not in response.text


async def test_health_and_metrics_need_no_token(api: Api) -> None:
    health = await api.client.get("/health")
    assert (health.status_code, health.json()) == (200, {"status": "ok", "database": "ok"})
    metrics = await api.client.get("/metrics")
    assert metrics.status_code == 200 and "bo_http_requests_total" in metrics.text
    assert health.headers["x-request-id"]


async def test_request_id_is_echoed_when_safe(api: Api) -> None:
    response = await api.client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    response = await api.client.get("/health", headers={"X-Request-ID": "bad id\r\n"})
    assert response.headers["x-request-id"] != "bad id"


def test_openapi_lists_every_endpoint_of_the_foundation() -> None:
    from backlink_outreach.app import create_app
    from backlink_outreach.config import Settings

    app = create_app(Settings(_env_file=None, auth_mode="dev", database_url="sqlite://"))
    paths = app.openapi()["paths"]
    prefix = "/api/v1/backlink-outreach"
    for path in (
        "/campaigns",
        "/campaigns/{campaign_id}",
        "/campaigns/{campaign_id}/leads",
        "/campaigns/{campaign_id}/leads/bulk",
        "/campaigns/{campaign_id}/leads/bulk-status",
        "/campaigns/{campaign_id}/leads/{lead_id}/status",
        "/suppression",
        "/emails/templates",
        "/emails/templates/{template_id}",
    ):
        assert prefix + path in paths, path
    assert isinstance(httpx.URL("http://x"), httpx.URL)
