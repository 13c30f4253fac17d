"""Any other path under `/app`: a page that says so (the API's JSON 404 is for scripts). A
trailing slash typed by hand (`/app/`, `/app/campaigns/`) is sent to the page without it, as
this catch-all keeps Starlette's own slash redirect from running."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from .routing import error_page, web_router

router = web_router()


@router.api_route("/app/{rest:path}", methods=["GET", "POST"])
async def unknown_page(request: Request, rest: str) -> Response:
    if request.method == "GET" and (rest == "" or rest.endswith("/")):
        target = "/app/" + rest.strip("/") if rest.strip("/") else "/app"
        query = request.url.query
        return RedirectResponse(f"{target}?{query}" if query else target, status_code=308)
    return error_page(request, 404, "Not found", "There is no such page.")
