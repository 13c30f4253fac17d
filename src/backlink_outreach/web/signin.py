"""Who is signed in: the `__session` cookie, verified by the same verifier as a bearer token."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Request

from ..auth import API_KEY_PREFIX, Principal, TokenVerifier
from ..errors import NotAuthenticated
from . import cookies


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in page."""


async def web_principal(request: Request) -> Principal:
    token = request.cookies.get(cookies.SESSION, "").strip()
    # API keys are for scripts: a cookie holding one signs nobody in.
    if not token or token.startswith(API_KEY_PREFIX):
        raise SignInRequired()
    verifier: TokenVerifier = request.app.state.verifier
    try:
        principal = await verifier.verify(token)
    except NotAuthenticated:
        raise SignInRequired() from None
    structlog.contextvars.bind_contextvars(user_id=principal.user_id)
    return principal


WebPrincipalDep = Annotated[Principal, Depends(web_principal)]
