"""The route class of every page: errors become pages, a missing session becomes a redirect.

The API's handlers answer errors in JSON (`errors.py`); a person in a browser gets the same
status with a page in words instead, and no stack trace either way.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.types import Scope

from ..errors import AppError, NotAuthenticated, NotFound, PolicyBlocked
from . import rendering
from .csrf import CsrfRejected
from .signin import SignInRequired

log = structlog.get_logger(__name__)

SIGN_IN_PATH = "/app/sign-in"


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    # Only a GET can be replayed after signing in; a form post goes back to the app's start.
    next_path = target if request.method == "GET" else "/app"
    return RedirectResponse(f"{SIGN_IN_PATH}?next={quote(next_path, safe='/')}", status_code=303)


def error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    return rendering.render(
        request,
        "error.html",
        {"title": title, "message": message},
        status_code=status_code,
    )


def _app_error(request: Request, exc: AppError) -> Response:
    if isinstance(exc, NotFound):
        return error_page(request, 404, "Not found", "There is nothing here, or it is not yours.")
    if isinstance(exc, NotAuthenticated):
        return sign_in_redirect(request)
    if isinstance(exc, PolicyBlocked):
        return error_page(request, 403, "Blocked by policy", f"Not sent: {exc.reason}.")
    if exc.status_code == 422 and isinstance(exc.detail, list):
        words = "; ".join(str(item.get("msg", "")) for item in exc.detail if isinstance(item, dict))
        return error_page(request, 422, "That did not work", words or "The input was not valid.")
    if exc.status_code == 409:
        return error_page(request, 409, "Already there", str(exc.detail))
    if exc.status_code >= 500:
        return error_page(request, exc.status_code, "Something went wrong", "Please try again.")
    return error_page(request, exc.status_code, "That did not work", str(exc.detail))


# What the middleware answers before any route, in words for a person.
_EARLY_ERRORS = {
    404: ("Not found", "There is no such page."),
    413: (
        "Too large",
        "That is larger than this server accepts. Split the file into smaller ones and send each.",
    ),
    422: ("That did not work", "The address is not valid."),
}


def early_error_page(scope: Scope, status: int) -> Response | None:
    """`middleware.ErrorPage` for the app's paths: the size limit and the NUL guard answer a
    browser with a page, and the API's paths keep their JSON bodies."""
    path = scope.get("path", "")
    words = _EARLY_ERRORS.get(status)
    if words is None or (path != "/app" and not path.startswith("/app/")):
        return None
    return error_page(Request(scope), status, *words)


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return sign_in_redirect(request)
            except CsrfRejected:
                return error_page(
                    request,
                    403,
                    "This form has expired",
                    "Go back, reload the page and send it again.",
                )
            except RequestValidationError:
                return error_page(request, 422, "That did not work", "The address is not valid.")
            except AppError as exc:
                return _app_error(request, exc)

        return page_handler


def web_router() -> APIRouter:
    """The router of a screen: its routes render errors as pages and stay out of OpenAPI."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)
