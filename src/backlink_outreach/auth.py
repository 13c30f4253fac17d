"""Clerk session-token verification and the workspace rule.

Our own verifier rather than Clerk's SDK: that one accepts tokens without `exp` and never checks
`iss`. Only RS256 is accepted; every failure is the same 401.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import httpx
import jwt
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from .config import Settings
from .errors import NotAuthenticated, NotFound

log = structlog.get_logger(__name__)

ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 5
DEV_ISSUER = "backlink-outreach-dev"
# Verified tokens remembered per process; a client sends the same token on every request until
# it refreshes it, so a few thousand cover many concurrent users.
VERIFIED_CACHE_SIZE = 2048
NUMERIC_DATES = ("exp", "nbf", "iat")
MAX_ID_CHARS = 255


@dataclass(frozen=True)
class Principal:
    user_id: str
    org_id: str | None = None
    # An API key (integrations/api_keys.py): it acts in the one workspace where it was made,
    # with its scopes. None for a Clerk session.
    key_id: str | None = None
    key_workspace: str | None = None
    scopes: frozenset[str] | None = None

    @property
    def workspace_id(self) -> str:
        """The current workspace: the active organisation, else the personal one."""
        return self.key_workspace or self.org_id or self.user_id

    @property
    def workspaces(self) -> frozenset[str]:
        if self.key_workspace is not None:
            return frozenset((self.key_workspace,))
        return frozenset(w for w in (self.user_id, self.org_id) if w)

    def require_workspace(self, workspace_id: str | None) -> str:
        """The workspace to act in; any workspace the caller cannot use is a 404."""
        if workspace_id is None:
            return self.workspace_id
        if workspace_id not in self.workspaces:
            raise NotFound()
        return workspace_id


class JWKSCache:
    """Keys from a JWKS URL, refetched when a token names a `kid` we do not know."""

    def __init__(self, url: str, timeout: float, min_refetch_seconds: float) -> None:
        self.url = url
        self.timeout = timeout
        self.min_refetch_seconds = min_refetch_seconds
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None) -> Any:
        key = self._lookup(kid)
        if key is not None:
            return key
        async with self._lock:
            key = self._lookup(kid)
            # A flood of tokens with made-up kids must not turn into a flood of fetches.
            if key is None and time.monotonic() - self._fetched_at >= self.min_refetch_seconds:
                await asyncio.to_thread(self._refresh)
                key = self._lookup(kid)
        if key is None:
            raise NotAuthenticated()
        return key

    def lookup(self, kid: str | None) -> Any:
        """The key for `kid` among those fetched, without fetching."""
        return self._lookup(kid)

    def _lookup(self, kid: str | None) -> Any:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid) if kid is not None else None

    def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            response = httpx.get(self.url, timeout=self.timeout, trust_env=False)
            response.raise_for_status()
            jwks = jwt.PyJWKSet.from_dict(response.json())
        except Exception as exc:  # noqa: BLE001 - any fetch problem means "cannot verify"
            log.warning("jwks_fetch_failed", error_type=type(exc).__name__)
            return
        self._keys = {
            k.key_id: k.key
            for k in jwks.keys
            if k.key_id and k.algorithm_name in (None, "RS256") and k.key_type == "RSA"
        }


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    expires_at: float
    kid: str | None
    key: Any


class TokenVerifier:
    def __init__(self, settings: Settings, cache_size: int = VERIFIED_CACHE_SIZE) -> None:
        self.issuer = settings.clerk_issuer
        self.authorized_parties = settings.authorized_parties
        # RSA signature checks were the largest share of a short request's CPU. Only successes
        # are kept (a failure costs the caller the full check again), keyed by the exact token
        # string, least recently used out first.
        self._verified: OrderedDict[str, _Verified] = OrderedDict()
        self._cache_size = cache_size
        self._static_key: Any = None
        self._jwks: JWKSCache | None = None
        if settings.auth_mode == "dev":
            self._static_key = load_or_create_dev_key(settings).public_key()
            self.issuer = self.issuer or DEV_ISSUER
        elif settings.clerk_jwt_key is not None:
            pem = settings.clerk_jwt_key.get_secret_value().replace("\\n", "\n").encode()
            self._static_key = serialization.load_pem_public_key(pem)
        if settings.clerk_jwks_url:
            self._jwks = JWKSCache(
                settings.clerk_jwks_url,
                settings.jwks_timeout_seconds,
                settings.jwks_min_refetch_seconds,
            )

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            # exp is enforced on every use; nbf and iat held when it was verified and only get
            # truer with time. A key dropped from the JWKS since then no longer vouches for it.
            if time.time() < cached.expires_at + LEEWAY_SECONDS and self._key_still_trusted(cached):
                self._verified.move_to_end(token)
                return cached.principal
            del self._verified[token]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise NotAuthenticated() from None
        if header.get("alg") not in ALGORITHMS:
            raise NotAuthenticated()
        kid = header.get("kid")
        key = self._static_key
        if self._jwks is not None and (key is None or kid is not None):
            key = await self._jwks.key_for(kid if isinstance(kid, str) else None)
        if key is None:
            raise NotAuthenticated()
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                leeway=LEEWAY_SECONDS,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub"], "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError, TypeError):
            raise NotAuthenticated() from None
        principal = self._principal(claims)
        kid_key = kid if isinstance(kid, str) else None
        self._remember(token, _Verified(principal, float(claims["exp"]), kid_key, key))
        return principal

    def _key_still_trusted(self, entry: _Verified) -> bool:
        if entry.key is self._static_key:
            return True
        return self._jwks is not None and self._jwks.lookup(entry.kid) is entry.key

    def _remember(self, token: str, entry: _Verified) -> None:
        self._verified[token] = entry
        self._verified.move_to_end(token)
        while len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        if self.authorized_parties and claims.get("azp") not in self.authorized_parties:
            raise NotAuthenticated()
        # NumericDate is a JSON number (RFC 7519 2): PyJWT would coerce "1700000000" and True.
        for name in NUMERIC_DATES:
            value = claims.get(name)
            if name in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise NotAuthenticated()
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or iat > time.time() + LEEWAY_SECONDS:
            raise NotAuthenticated()
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.strip():
            raise NotAuthenticated()
        org = claims.get("org_id")
        if org is None and isinstance(claims.get("o"), dict):
            org = claims["o"].get("id")  # Clerk session token v2
        if org is not None and (not isinstance(org, str) or not org.strip()):
            raise NotAuthenticated()
        # Workspace ids are stored in 255 characters; Clerk's are about 30.
        if len(sub) > MAX_ID_CHARS or (org is not None and len(org) > MAX_ID_CHARS):
            raise NotAuthenticated()
        return Principal(user_id=sub, org_id=org or None)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated()
    return token.strip()


class KeyVerifier(Protocol):
    async def verify(self, token: str, method: str) -> Principal: ...


API_KEY_PREFIX = "blo_"


# Declares the bearer scheme in the OpenAPI document (the Authorize button of `/docs`); it never
# refuses a request itself: `bearer_token` and the verifiers do.
BEARER_SCHEME = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    description="A Clerk session token (RS256 JWT) or an API key (`blo_...`).",
)


async def current_principal(
    request: Request, _scheme: Annotated[Any, Depends(BEARER_SCHEME)] = None
) -> Principal:
    """FastAPI dependency: the verified caller (a Clerk session token, or an API key, which
    `app.state.api_keys` checks against the database on every request)."""
    token = bearer_token(request)
    if token.startswith(API_KEY_PREFIX):
        keys: KeyVerifier | None = getattr(request.app.state, "api_keys", None)
        if keys is None:
            raise NotAuthenticated()
        principal = await keys.verify(token, request.method)
    else:
        verifier: TokenVerifier = request.app.state.verifier
        principal = await verifier.verify(token)
    structlog.contextvars.bind_contextvars(user_id=principal.user_id)
    return principal


def load_or_create_dev_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The development key pair, made once in the data folder and trusted as if it were Clerk's."""
    path = settings.dev_key_path
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pem)
    tmp.chmod(0o600)
    tmp.replace(path)
    return key


def mint_dev_token(
    settings: Settings, user_id: str, org_id: str | None = None, ttl_seconds: int = 7 * 24 * 3600
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "iss": settings.clerk_issuer or DEV_ISSUER,
    }
    if org_id:
        claims["org_id"] = org_id
    return jwt.encode(claims, load_or_create_dev_key(settings), algorithm="RS256")
