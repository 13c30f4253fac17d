"""Any other path under `/app`: a page that says so (the API's JSON 404 is for scripts)."""

from __future__ import annotations

from fastapi import Request, Response

from .routing import error_page, web_router

router = web_router()


@router.api_route("/app/{rest:path}", methods=["GET", "POST"])
async def unknown_page(request: Request, rest: str) -> Response:
    return error_page(request, 404, "Not found", "There is no such page.")
