"""CSRF protection: a double-submit token.

The token is random per browser, kept in an `HttpOnly` cookie and written into every form (and
a `<meta>` tag for script requests); a state-changing request must carry the same value in the
`csrf_token` field or the `X-CSRF-Token` header. Another site can make the browser send the
cookie but cannot read it, so it cannot fill the field. `SameSite=Lax` is the second fence.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Depends, Request

from . import cookies

FIELD = "csrf_token"
HEADER = "x-csrf-token"
TOKEN_BYTES = 32


class CsrfRejected(Exception):
    """The form's token is missing or is not this browser's."""


def token_for(request: Request) -> str:
    """This browser's token, a new one when it has none (the response then sets the cookie)."""
    existing = request.cookies.get(cookies.CSRF, "")
    if len(existing) >= TOKEN_BYTES:
        return existing
    fresh: str | None = getattr(request.state, "new_csrf_token", None)
    if fresh is None:
        fresh = secrets.token_urlsafe(TOKEN_BYTES)
        request.state.new_csrf_token = fresh
    return fresh


async def check_csrf(request: Request) -> None:
    expected = request.cookies.get(cookies.CSRF, "")
    sent = request.headers.get(HEADER, "")
    form = None
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(FIELD)
            sent = value if isinstance(value, str) else ""
    if len(expected) < TOKEN_BYTES or not hmac.compare_digest(sent, expected):
        if form is not None:
            await form.close()  # an uploaded file's spool goes now, not at garbage collection
        raise CsrfRejected()


CsrfChecked = Depends(check_csrf)
