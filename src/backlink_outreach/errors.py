"""The error contract of API.md: one exception hierarchy, one place that renders it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

NOT_AUTHENTICATED = "Not authenticated"
NOT_FOUND = "Resource not found"
INTERNAL = "An internal error occurred"
TOO_LARGE = "Request too large"


class AppError(Exception):
    status_code = 500
    detail: Any = INTERNAL

    def __init__(self, detail: Any = None) -> None:
        if detail is not None:
            self.detail = detail
        super().__init__(str(self.detail))

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail}


class NotAuthenticated(AppError):
    status_code = 401
    detail = NOT_AUTHENTICATED


class NotFound(AppError):
    status_code = 404
    detail = NOT_FOUND


class Conflict(AppError):
    status_code = 409


class PolicyBlocked(AppError):
    status_code = 403
    detail = "Policy validation failed"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__()

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, "reason": self.reason}


class Unprocessable(AppError):
    """A 422 that belongs to no field: `{"detail": [{"loc": [], "msg": ..., "type": ...}]}`."""

    status_code = 422

    def __init__(self, msg: str, type_: str = "value_error", loc: list[str | int] | None = None):
        self.msg, self.type, self.loc = msg, type_, loc or []
        super().__init__([{"loc": self.loc, "msg": msg, "type": type_}])


class NotConfigured(Unprocessable):
    def __init__(self, msg: str) -> None:
        super().__init__(msg, "not_configured")


class ServiceUnavailable(AppError):
    status_code = 503


class DeliveryFailed(AppError):
    """SMTP said no or could not be reached: the caller sees only the generic 500 body."""

    status_code = 500
    detail = INTERNAL


def _short_loc(part: Any) -> Any:
    return part[:64] + "..." if isinstance(part, str) and len(part) > 64 else part


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    """FastAPI's list shape, without echoing the offending input back (it may be huge or secret)."""
    cleaned = []
    for err in errors:
        item: dict[str, Any] = {
            # A dict key is part of the location: cut it, or a 1 MB key comes back whole.
            "loc": [_short_loc(part) for part in err.get("loc", [])],
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "value_error")),
        }
        if err.get("ctx"):
            item["ctx"] = {k: str(v) for k, v in err["ctx"].items()}
        cleaned.append(item)
    encoded: list[dict[str, Any]] = jsonable_encoder(cleaned)
    return encoded


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """Every method some route of this path answers. Starlette's 405 names only the first route
    that matched the path, so `/campaigns` (a POST route and a GET route) said `Allow: POST`.
    Only the most literal templates count: `/leads/import` is also `/leads/{lead_id}` to the
    router, but its documented methods are the import route's."""
    path = request.scope["path"]
    matching = [
        (template.count("{"), methods)
        for template, methods in _route_templates(request.app.router.routes)
        if compile_path(template)[0].fullmatch(path)
    ]
    if not matching:
        return ""
    fewest = min(count for count, _ in matching)
    found = {m for count, methods in matching if count == fewest for m in methods}
    return ", ".join(method for method in _METHODS if method in found and method != "HEAD")


def _route_templates(routes: Any, prefix: str = "") -> Iterator[tuple[str, frozenset[str]]]:
    """(path template, methods) of every route, through included routers (FastAPI keeps an
    included router whole, with its prefix beside it)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            inner = prefix + route.include_context.prefix
            yield from _route_templates(included.routes, inner)
        elif getattr(route, "methods", None):
            yield prefix + route.path, frozenset(route.methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_errors(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI answers 400 for bodies it cannot parse (deep nesting, invalid UTF-8);
            # the contract has no 400.
            msg = "The request body could not be parsed as JSON."
            return JSONResponse(
                {"detail": [{"loc": ["body"], "msg": msg, "type": "json_invalid"}]},
                status_code=422,
            )
        detail: Any = exc.detail
        if exc.status_code == 401:
            detail = NOT_AUTHENTICATED
        elif exc.status_code == 404:
            detail = NOT_FOUND
        elif exc.status_code == 413:
            detail = TOO_LARGE
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)
