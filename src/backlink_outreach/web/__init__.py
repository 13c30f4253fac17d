"""The web app under `/app`: server-rendered pages that call the same services as the API.

How a screen is written (see `campaign_pages.py` for a whole example):

- A module per screen with `router = web_router()` (HTML errors, sign-in redirects, hidden
  from the OpenAPI document); list it in `router.SCREENS`.
- Handlers take `WebPrincipalDep` (the `__session` cookie, verified exactly like a bearer
  token), `SessionDep` or `ReadConnectionDep` from `deps`, and call the domain services
  in-process, never the API over HTTP.
- State-changing handlers are POST only, declare `dependencies=[CsrfChecked]`, and answer with
  a 303 redirect (post/redirect/get) or, when a form is wrong, the same page again with the
  errors next to the fields (`forms.field_errors`) and status 422.
- `rendering.render(request, "x/y.html", {...})` renders with autoescaping on, the CSRF token
  and the security headers (a CSP without inline script). Templates never mark crawled or user
  text `|safe`; charts are SVG built from numbers (`charts.py`).
- JavaScript (`static/app.js`) only enhances: every page works as links and forms.
"""
