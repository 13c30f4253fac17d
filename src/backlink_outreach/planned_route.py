"""`PlannedRoute`: an `APIRoute` whose parameters are solved by a plan made once, for the
hottest reads (issue 15; `fast_paths.py`).

FastAPI solves a route's dependencies with a general walk on every request: for each node of
the tree it looks up overrides, computes a cache key from the node's security scopes, checks
whether the call is a generator, and validates four parameter lists, most of them empty; its
handler around the walk opens telemetry operations and reads the endpoint's source location.
On the lead-list page (in-process, medians of requests of 2.7-3.8 ms) a hand-written Starlette
route answered 0.27-0.38 ms sooner than FastAPI's handler; the plan took the time before the
endpoint runs from 0.20-0.40 to 0.15-0.30 ms, before the scalar reads below.

The plan is made from the same `Dependant` FastAPI builds from the signature, so the signature
stays the one owner of validation and of the OpenAPI document: on a request it only does what
the tree needs, in FastAPI's order. Each node's dependencies are called first (each call once
per request, as FastAPI caches it), then its parameters (path, query, header, cookie), and
errors from anywhere in the tree make one `RequestValidationError`, as FastAPI's would. A
parameter is read by FastAPI's own `request_params_to_args`, except a scalar path or query
parameter (a string, number, boolean, `Literal` or enum, optionally None, under its own name):
FastAPI works out on every request that such a field is no model, no JSON and no list (most
of the plan's time: 72 against 18 us for the lead list's tree, measured alone); here that is
known once, so a value present is validated by the field itself, and an absent one takes its
default when that is an immutable constant (else FastAPI's function handles it).

It takes only what it solves exactly as FastAPI does, and refuses the rest when the route is
made (`TypeError`): async dependencies that are not generators, path, query, header and cookie
parameters, `Request` and `Response`, and an endpoint that returns its own `Response`; no body,
no background tasks, no security scopes, no concurrency limits. FastAPI's own handler answers
instead whenever dependency overrides are set or FastAPI's telemetry observes the request.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from enum import Enum
from types import NoneType, UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import fastapi.routing
from fastapi import Request, Response, params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, APIRouter
from fastapi.telemetry import get_telemetry_data
from pydantic import Json

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

# Where each kind of parameter is read from, in the order FastAPI validates them.
_SOURCES: tuple[tuple[str, Callable[[Request], Any]], ...] = (
    ("path_params", lambda request: request.path_params),
    ("query_params", lambda request: request.query_params),
    ("header_params", lambda request: request.headers),
    ("cookie_params", lambda request: request.cookies),
)


# The default of a parameter that FastAPI's `deepcopy` would hand back unchanged.
_CONSTANTS = (NoneType, str, int, float, bool)
_SCALARS = (str, int, float, bool)


def _is_scalar(annotation: Any) -> bool:
    """A type FastAPI reads as one value: a scalar, a `Literal` or an enum, or one of them or
    None."""
    if get_origin(annotation) in (Union, UnionType):
        others = [arg for arg in get_args(annotation) if arg is not NoneType]
        if len(others) != 1:
            return False
        annotation = others[0]
    if annotation in _SCALARS or get_origin(annotation) is Literal:
        return True
    return inspect.isclass(annotation) and issubclass(annotation, Enum)


@dataclass(frozen=True)
class _Param:
    """One parameter read from its source: `request_params_to_args([field], source)`, or for a
    scalar (see `_param`) the same result without working out again what kind of field it is."""

    field: Any
    name: str
    alias: str | None  # None: always FastAPI's function
    loc: tuple[str, str] | None
    default: Any  # for an absent value, when `constant`
    constant: bool

    def read(self, source: Any, values: dict[str, Any], errors: list[Any]) -> None:
        if self.alias is not None:
            value = source.get(self.alias)
            if value is not None:
                found, bad = self.field.validate(value, values, loc=self.loc)
                if bad:
                    errors.extend(bad)
                else:
                    values[self.name] = found
                return
            if self.constant:
                values[self.name] = self.default
                return
        found, bad = request_params_to_args([self.field], source)
        values.update(found)
        errors.extend(bad)


def _param(field: Any) -> _Param:
    """How to read `field`: a scalar path or query parameter under its own name is read as
    `request_params_to_args` reads it (a present value validated at `(in, alias)`; an absent
    one given its default, copied unchanged), anything else by that function itself."""
    info = field.field_info
    general = _Param(field, field.name, None, None, None, constant=False)
    if not isinstance(info, (params.Query, params.Path)) or info.validation_alias is not None:
        return general
    if any(item is Json or type(item) is Json for item in info.metadata):
        return general
    if not _is_scalar(info.annotation):
        return general
    constant = (
        not info.is_required()
        and not info.validate_default
        and isinstance(field.default, _CONSTANTS)
    )
    alias = field.alias
    return _Param(field, field.name, alias, (info.in_.value, alias), field.default, constant)


@dataclass(frozen=True)
class _Node:
    """One node of the dependency tree: what to solve before calling `call`."""

    call: Callable[..., Awaitable[Any]]
    name: str | None  # the parameter it fills in its parent (None for the endpoint)
    use_cache: bool
    dependencies: tuple[_Node, ...]
    params: tuple[tuple[Callable[[Request], Any], tuple[_Param, ...]], ...]  # by source
    request_names: tuple[str, ...]
    response_name: str | None


def _is_async(call: Any) -> bool:
    """A coroutine function, or an instance whose `__call__` is one (security schemes)."""
    while isinstance(call, functools.partial):
        call = call.func
    if inspect.isclass(call):  # FastAPI instantiates a class in its thread pool
        return False
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
        getattr(call, "__call__", None)  # noqa: B004 - a callable instance's method
    )


def _refusal(dependant: Dependant) -> str | None:
    """Why the plan cannot solve this node as FastAPI would (None: it can)."""
    call = dependant.call
    if call is None:
        return "a dependency without a callable"
    if inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call):
        return "a dependency with yield"
    if not _is_async(call):
        return "a dependency that is not async (FastAPI runs those in a thread)"
    if dependant.body_params:
        return "a request body"
    if dependant.background_tasks_param_name or dependant.websocket_param_name:
        return "background tasks or a websocket"
    if dependant.security_scopes_param_name or dependant.own_oauth_scopes:
        return "security scopes (FastAPI caches such dependencies per scope)"
    if getattr(dependant, "concurrency", None) is not None:
        return "a concurrency limit"
    return None


def _plan(dependant: Dependant, seen: dict[Any, Dependant]) -> _Node:
    refusal = _refusal(dependant)
    if refusal is not None:
        raise TypeError(f"PlannedRoute cannot solve {dependant.call!r}: {refusal}")
    assert dependant.call is not None
    earlier = seen.setdefault(dependant.call, dependant)
    if earlier.scope != dependant.scope:
        raise TypeError(f"PlannedRoute: {dependant.call!r} is used with two scopes")
    params = tuple(
        (read, tuple(_param(field) for field in fields))
        for attribute, read in _SOURCES
        if (fields := getattr(dependant, attribute))
    )
    request_names = tuple(
        name
        for name in (dependant.request_param_name, dependant.http_connection_param_name)
        if name is not None
    )
    return _Node(
        call=dependant.call,
        name=dependant.name,
        use_cache=dependant.use_cache,
        dependencies=tuple(_plan(sub, seen) for sub in dependant.dependencies),
        params=params,
        request_names=request_names,
        response_name=dependant.response_param_name,
    )


async def _solve(
    node: _Node, request: Request, response: Response, solved: dict[Any, Any]
) -> tuple[dict[str, Any], list[Any]]:
    """The values of `node.call`'s parameters, and the validation errors found on the way
    (a dependency whose own parameters failed is not called, as in FastAPI)."""
    values: dict[str, Any] = {}
    errors: list[Any] = []
    for sub in node.dependencies:
        sub_values, sub_errors = await _solve(sub, request, response, solved)
        if sub_errors:
            errors.extend(sub_errors)
            continue
        if sub.use_cache and sub.call in solved:
            value = solved[sub.call]
        else:
            value = await sub.call(**sub_values)
            solved.setdefault(sub.call, value)
        if sub.name is not None:
            values[sub.name] = value
    for read, parameters in node.params:
        source = read(request)
        for parameter in parameters:
            parameter.read(source, values, errors)
    for name in node.request_names:
        values[name] = request
    if node.response_name is not None:
        values[node.response_name] = response
    return values, errors


def _sub_response() -> Response:
    """The `Response` FastAPI injects: no status and no content-length of its own."""
    response = Response()
    del response.headers["content-length"]
    response.status_code = None  # type: ignore[assignment]
    return response


class PlannedRoute(APIRoute):
    """An `APIRoute` whose request handler runs the plan (module docstring)."""

    def get_route_handler(self) -> Handler:
        general = super().get_route_handler()
        # FastAPI builds the handler of an included route once per inclusion, with the
        # inclusion's own dependant (the router's dependencies added) in this context variable
        # (a private name: without it, the route's own dependant).
        context_var = getattr(fastapi.routing, "_effective_route_context_var", None)
        context = context_var.get() if context_var is not None else None
        route: Any = self
        if context is not None and context.original_route is self and context.dependant:
            route = context
        root = _plan(route.dependant, {})
        endpoint = root.call
        hints = get_type_hints(endpoint)
        returned = hints.get("return")
        if not (inspect.isclass(returned) and issubclass(returned, Response)):
            raise TypeError(f"PlannedRoute: {endpoint!r} must return its own Response")
        provider = route.dependency_overrides_provider

        async def handle(request: Request) -> Response:
            if getattr(provider, "dependency_overrides", None) or get_telemetry_data() is not None:
                return await general(request)
            values, errors = await _solve(root, request, _sub_response(), {})
            if errors:
                raise RequestValidationError(errors)
            out = await endpoint(**values)
            if not isinstance(out, Response):
                raise TypeError(f"{endpoint!r} returned {type(out).__name__}, not a Response")
            return out

        return handle


def planned_get(
    router: APIRouter, path: str, **options: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@router.get(path, **options)`, on a `PlannedRoute`."""

    def add(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(
            path, endpoint, methods=["GET"], route_class_override=PlannedRoute, **options
        )
        return endpoint

    return add
