"""`planned_route.PlannedRoute` against FastAPI's own handler: the lead list answers every kind
of request with the same status, body and headers on both; the plan honours what FastAPI does
(inclusion dependencies, one call per dependency, overrides) and refuses what it cannot solve."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, BackgroundTasks, Body, Depends, FastAPI, Query, Request, Response
from fastapi.routing import APIRoute

from backlink_outreach import planned_route
from backlink_outreach.config import API_PREFIX
from backlink_outreach.leads.router import list_leads
from backlink_outreach.leads.schemas import LeadOut
from backlink_outreach.planned_route import PlannedRoute, planned_get
from tests.conftest import Api, create_campaign

GENERAL = "/general"


def _lead_list_requests(campaign_id: str, other_id: str) -> list[tuple[str, dict[str, Any], bool]]:
    """(path, query, authenticated): pages, filters, and every way to get them wrong."""
    path = f"/campaigns/{campaign_id}/leads"
    return [
        (path, {}, True),
        (path, {"status": "discovered", "q": "site", "sort": "-quality_score", "limit": "2"}, True),
        (path, {"limit": "1", "sort": "created_at", "foo": "bar"}, True),
        (path, {"limit": "1", "limit ": "2", "q": "a b&c"}, True),
        (path, {"limit": "0"}, True),
        (path, {"limit": "", "status": "", "cursor": ""}, True),
        (path, {"limit": "abc", "status": "bogus", "sort": "nope"}, True),
        (path, {"limit": "5000", "q": "x" * 201}, True),
        (path, {"cursor": "!!"}, True),
        (path, {"cursor": "WyJub3QiLCAiYSIsICJjdXJzb3IiXQ"}, True),
        (path, {}, False),
        (f"/campaigns/{other_id}/leads", {}, True),
        ("/campaigns/cmp_unknown/leads", {"limit": "0"}, True),
    ]


def _comparable(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {
        name: value.replace(GENERAL, "")
        for name, value in response.headers.items()
        if name != "x-request-id"
    }
    return response.status_code, response.content, headers


async def test_the_lead_list_answers_as_fastapis_handler_does(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = await create_campaign(api)
    other = await create_campaign(api, user="user_b")
    sites = [{"website_url": f"https://site{i}.test", "quality_score": i / 10} for i in range(5)]
    added = await api.post(f"/campaigns/{campaign['id']}/leads/bulk", json=sites)
    assert added.json()["added"] == 5
    general = APIRoute(
        API_PREFIX + GENERAL + "/campaigns/{campaign_id}/leads",
        list_leads,
        response_model=list[LeadOut],
    )
    api.app.router.routes.insert(0, general)
    planned = 0
    sub_response = planned_route._sub_response

    def counted() -> Response:  # made once per request the plan answers
        nonlocal planned
        planned += 1
        return sub_response()

    monkeypatch.setattr(planned_route, "_sub_response", counted)
    requests = _lead_list_requests(campaign["id"], other["id"])
    first = await api.get(f"/campaigns/{campaign['id']}/leads", params={"limit": "2"})
    requests.append((first.url.path[len(API_PREFIX) :], dict(first.url.params), True))
    requests.append(
        (requests[0][0], {"limit": "2", "cursor": first.headers["X-Next-Cursor"]}, True)
    )
    statuses = set()
    for path, query, authenticated in requests:
        asked = planned
        by_plan = await api.get(path, params=query, auth=authenticated)
        assert planned == asked + 1, path  # the plan answered, not FastAPI's handler
        by_fastapi = await api.get(GENERAL + path, params=query, auth=authenticated)
        assert _comparable(by_plan) == _comparable(by_fastapi), (path, query)
        statuses.add(by_plan.status_code)
    assert statuses == {200, 401, 404, 422}


async def _marker(request: Request) -> str:
    calls: list[str] = request.app.state.calls
    calls.append("marker")
    return "marked"


async def _needs_marker(mark: Annotated[str, Depends(_marker)], n: int = 1) -> int:
    return n


@pytest.fixture
async def small_app() -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app with a planned route under an included router that has a dependency of its own."""
    app = FastAPI()
    app.state.calls = []
    router = APIRouter()

    @planned_get(router, "/things/{thing_id}")
    async def thing(
        thing_id: int,
        first: Annotated[int, Depends(_needs_marker)],
        again: Annotated[str, Depends(_marker)],
        limit: Annotated[int, Query(ge=1)] = 10,
    ) -> Response:
        return Response(f"{thing_id} {first} {again} {limit}")

    app.include_router(router, prefix="/v1", dependencies=[Depends(_marker)])
    general = APIRouter()
    general.add_api_route("/things/{thing_id}", thing, methods=["GET"])
    app.include_router(general, prefix="/general", dependencies=[Depends(_marker)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield app, client


async def test_an_included_route_calls_each_dependency_once(
    small_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """The inclusion's dependency, the route's, and a shared sub-dependency: one call in all,
    as FastAPI caches it within a request."""
    app, client = small_app
    response = await client.get("/v1/things/7", params={"n": "3", "limit": "2"})
    assert response.text == "7 3 marked 2"
    assert app.state.calls == ["marker"]


async def test_errors_from_the_whole_tree_are_fastapis(
    small_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = small_app
    query = {"n": "many", "limit": "0"}
    planned = await client.get("/v1/things/x", params=query)
    general = await client.get("/general/things/x", params=query)
    assert planned.status_code == general.status_code == 422
    assert planned.json() == general.json()
    assert [error["loc"] for error in planned.json()["detail"]] == [
        ["query", "n"],
        ["path", "thing_id"],
        ["query", "limit"],
    ]


async def test_overrides_are_answered_by_fastapis_handler(
    small_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = small_app

    async def overridden() -> str:
        return "overridden"

    app.dependency_overrides[_marker] = overridden
    response = await client.get("/v1/things/7")
    assert response.text == "7 1 overridden 10" and app.state.calls == []


async def test_observed_requests_are_answered_by_fastapis_handler(
    small_app: tuple[FastAPI, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With FastAPI's telemetry on the request, its handler records what it records."""
    _, client = small_app
    planned = 0

    def counted() -> Response:
        nonlocal planned
        planned += 1
        return Response()

    monkeypatch.setattr(planned_route, "_sub_response", counted)
    assert (await client.get("/v1/things/7")).text == "7 1 marked 10" and planned == 1
    monkeypatch.setattr(planned_route, "get_telemetry_data", lambda: object())
    assert (await client.get("/v1/things/7")).text == "7 1 marked 10" and planned == 1


async def _with_yield() -> AsyncIterator[int]:
    yield 1


def _sync() -> int:
    return 1


class _Instance:
    def __call__(self) -> int:
        return 1


async def _body(data: Annotated[dict[str, Any], Body()]) -> Response:
    return Response()


async def _yields(value: Annotated[int, Depends(_with_yield)]) -> Response:
    return Response()


async def _sync_dependency(value: Annotated[int, Depends(_sync)]) -> Response:
    return Response()


async def _sync_instance(value: Annotated[int, Depends(_Instance())]) -> Response:
    return Response()


async def _background(tasks: BackgroundTasks) -> Response:
    return Response()


async def _model() -> dict[str, int]:
    return {"a": 1}


@pytest.mark.parametrize(
    "endpoint", [_body, _yields, _sync_dependency, _sync_instance, _background, _model]
)
def test_what_the_plan_cannot_solve_is_refused_when_the_route_is_made(endpoint: Any) -> None:
    with pytest.raises(TypeError, match="PlannedRoute"):
        PlannedRoute("/x", endpoint, methods=["POST"])
