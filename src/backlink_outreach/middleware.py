"""Pure ASGI middleware: body size limit, request ids with access logs, metrics, and the generic
500 for unhandled errors."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import INTERNAL, NOT_FOUND, TOO_LARGE

log = structlog.get_logger("backlink_outreach.access")

REQUESTS = Counter("bo_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("bo_http_request_seconds", "HTTP request latency", ["method", "route"])
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MAX_PATH_CHARS = 4096
MAX_QUERY_BYTES = 8192

# The web app's page for an error answered here, before any route: given the request's scope and
# the status, a response (an ASGI app), or None where a script gets the JSON body.
ErrorPage = Callable[[Scope, int], ASGIApp | None]


class _BodyTooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body reader re-raises it instead of turning it into
    "error parsing the body"; the error handler renders it as the 413 body."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


class _TrackedSend:
    """`send`, remembering whether the response has started (its head is sent): after that, an
    error can no longer be answered with a response of our own."""

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class BodySizeLimit:
    """413 for bodies over the limit, by Content-Length or by counting a chunked stream.
    `path_limits` gives paths (full-match patterns) a limit of their own: the CSV import."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        path_limits: dict[str, int] | None = None,
        error_page: ErrorPage | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = [(re.compile(p), n) for p, n in (path_limits or {}).items()]
        self.error_page = error_page

    def _limit(self, path: str) -> int:
        for pattern, limit in self.path_limits:
            if pattern.fullmatch(path):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope.get("path", "")) if self.path_limits else self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > max_bytes:
                    await self._too_large(scope, receive, send)
                    return
        received = 0
        tracked = _TrackedSend(send)

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, counting_receive, tracked)
        except _BodyTooLarge:
            if not tracked.started:
                await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = self.error_page(scope, 413) if self.error_page else None
        if page is None:
            await _send_too_large(send)
            return
        # The rest of the body is never read: the connection closes after the page.
        await page(scope, receive, _closing(send))


class RejectNulBytes:
    """PostgreSQL cannot store or compare text with NUL in it (asyncpg raises), so a `%00` in a
    path or query would otherwise reach the database and fail there. No id or query value of ours
    ever contains one: a path with NUL names nothing (404); a query with NUL is invalid (422)."""

    def __init__(self, app: ASGIApp, error_page: ErrorPage | None = None) -> None:
        self.app = app
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            page = self.error_page
            query = scope.get("query_string", b"").lower()
            path = scope.get("path", "")
            # Path parameters (ids, unsubscribe tokens) have no other length limit: a path
            # longer than any of ours names nothing, and never reaches the database.
            if "\x00" in path or len(path) > MAX_PATH_CHARS:
                await _answer(page, scope, receive, send, 404, {"detail": NOT_FOUND})
                return
            if len(query) > MAX_QUERY_BYTES:
                msg = "The query string is too long."
                body = {"detail": [{"loc": ["query"], "msg": msg, "type": "too_long"}]}
                await _answer(page, scope, receive, send, 422, body)
                return
            if b"%00" in query or b"\x00" in query:
                msg = "Query parameters must not contain NUL characters."
                body = {"detail": [{"loc": ["query"], "msg": msg, "type": "value_error"}]}
                await _answer(page, scope, receive, send, 422, body)
                return
        await self.app(scope, receive, send)


async def _answer(
    page: ErrorPage | None, scope: Scope, receive: Receive, send: Send, status: int, body: object
) -> None:
    """The web app's page for the status where it has one, else the API's JSON body."""
    response = page(scope, status) if page else None
    if response is None:
        await _send_json(send, status, body)
    else:
        await response(scope, receive, send)


def _closing(send: Send) -> Send:
    async def closing_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", []), (b"connection", b"close")]
            message = {**message, "headers": headers}
        await send(message)

    return closing_send


async def _send_json(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_too_large(send: Send) -> None:
    body = json.dumps({"detail": TOO_LARGE}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class CatchUnhandledErrors:
    """The generic 500 body for any exception that is not an HTTPException, logged once.

    Not re-raised: Starlette's ServerErrorMiddleware would re-raise it to the server, which
    logs it a second time as a plain-text traceback and closes the keep-alive connection
    without `Connection: close`. Logged with the route template, never the raw path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = _TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except HTTPException:
            raise
        except Exception as exc:  # the one place unexpected errors end
            log.error(
                "unhandled_error",
                path=_route_template(scope),
                error_type=type(exc).__name__,
                exc_info=exc,
            )
            if not tracked.started:
                await _send_json(send, 500, {"detail": INTERNAL})


class RequestContext:
    """A request id on every log line and response, one access-log line, and metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        # 32 random hex digits, as a uuid4's hex, without building the UUID.
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(16)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            counter, latency = _metrics_for(scope["method"], route, status)
            counter.inc()
            latency.observe(elapsed)
            # The path template, never the raw path: unsubscribe tokens live in paths.
            log.info(
                "request",
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 1),
            )


# The labelled metric children, looked up once per (method, route, status): `labels()` checks
# and joins its arguments and takes a lock on every call. Bounded: routes are templates.
_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _metrics_for(method: str, route: str, status: int) -> tuple[Any, Any]:
    key = (method, route, status)
    children = _CHILDREN.get(key)
    if children is None:
        children = _CHILDREN[key] = (
            REQUESTS.labels(method, route, str(status)),
            LATENCY.labels(method, route),
        )
    return children


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
