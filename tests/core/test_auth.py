"""Clerk token verification with real RS256 tokens, through a PEM key and through a JWKS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import Api
from tests.support.tokens import jwk_for, make_token, new_rsa_key, public_pem

MakeApi = Callable[..., AbstractAsyncContextManager[Api]]
UNAUTHENTICATED = {"detail": "Not authenticated"}
ISSUER = "https://clerk.test"
PARTY = "https://app.test"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _status(api: Api, token: str | None, scheme: str = "Bearer") -> tuple[int, Any]:
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    response = await api.get("/campaigns", auth=False, headers=headers)
    return response.status_code, response.json()


async def test_valid_token_is_accepted(api: Api, signing_key: rsa.RSAPrivateKey) -> None:
    assert (await _status(api, make_token(signing_key, "user_a")))[0] == 200


def _hs256_with_public_key(key: rsa.RSAPrivateKey, claims: dict[str, Any]) -> str:
    """The classic confusion attack: HMAC-sign with the RSA public key as the secret. PyJWT
    refuses to build this, so build it by hand as an attacker would."""
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}"
    mac = hmac.new(public_pem(key).encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _bad_token(case: str, key: rsa.RSAPrivateKey) -> tuple[str | None, str]:
    now = int(time.time())
    claims = {"sub": "user_a", "iat": now, "exp": now + 300}
    # Claims, not make_token options: Any, as make_token's **claims are.
    strict: dict[str, Any] = {"iss": ISSUER, "azp": PARTY}
    if case == "alg_none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims, **strict})}.", "Bearer"
    if case == "hs256_with_public_key":
        return _hs256_with_public_key(key, {**claims, **strict}), "Bearer"
    if case == "tampered":
        header, _payload, signature = make_token(key, **strict).split(".")
        return f"{header}.{_b64({**claims, **strict, 'sub': 'user_b'})}.{signature}", "Bearer"
    if case == "garbage":
        return "not.a.token", "Bearer"
    if case == "no_header":
        return None, "Bearer"
    if case == "basic_scheme":
        return make_token(key, **strict), "Basic"
    tokens: dict[str, Callable[[], str]] = {
        "expired": lambda: make_token(key, **strict, exp=now - 60),
        "nbf_future": lambda: make_token(key, **strict, nbf=now + 120),
        "iat_future": lambda: make_token(key, **strict, iat=now + 120),
        "wrong_iss": lambda: make_token(key, iss="https://evil.test", azp=PARTY),
        "azp_not_allowed": lambda: make_token(key, iss=ISSUER, azp="https://evil.test"),
        "other_key": lambda: make_token(new_rsa_key(), **strict),
        "no_sub": lambda: make_token(key, None, **strict),
        "empty_sub": lambda: make_token(key, "  ", **strict),
        "no_exp": lambda: jwt.encode({"sub": "u", "iat": now, **strict}, key, algorithm="RS256"),
        "no_iat": lambda: jwt.encode({"sub": "u", "exp": now + 60, **strict}, key, "RS256"),
        "org_not_string": lambda: make_token(key, **strict, org_id=12345),
        # RFC 7519 NumericDate is a JSON number; PyJWT alone would read these strings.
        "exp_string": lambda: make_token(key, **strict, exp=str(now + 300)),
        "iat_string": lambda: make_token(key, **strict, iat=str(now)),
        "nbf_string": lambda: make_token(key, **strict, nbf=str(now)),
        "exp_bool": lambda: make_token(key, **strict, exp=True),
        # Workspace ids are stored in 255 characters.
        "sub_too_long": lambda: make_token(key, "u" * 256, **strict),
        "org_too_long": lambda: make_token(key, **strict, org_id="o" * 256),
    }
    return tokens[case](), "Bearer"


BAD_CASES = [
    "expired",
    "nbf_future",
    "iat_future",
    "wrong_iss",
    "azp_not_allowed",
    "other_key",
    "tampered",
    "alg_none",
    "hs256_with_public_key",
    "no_sub",
    "empty_sub",
    "no_exp",
    "no_iat",
    "exp_string",
    "iat_string",
    "nbf_string",
    "exp_bool",
    "sub_too_long",
    "org_too_long",
    "garbage",
    "no_header",
    "basic_scheme",
    "org_not_string",
]


async def test_the_strict_app_accepts_a_good_token(
    make_api: MakeApi, signing_key: rsa.RSAPrivateKey
) -> None:
    """The control for the cases below: only the named defect makes them fail."""
    async with make_api(clerk_issuer=ISSUER, clerk_authorized_parties=PARTY) as api:
        token = make_token(signing_key, iss=ISSUER, azp=PARTY)
        assert (await _status(api, token))[0] == 200


@pytest.mark.parametrize("case", BAD_CASES)
async def test_bad_tokens_are_401(
    case: str, make_api: MakeApi, signing_key: rsa.RSAPrivateKey
) -> None:
    token, scheme = _bad_token(case, signing_key)
    async with make_api(clerk_issuer=ISSUER, clerk_authorized_parties=PARTY) as api:
        assert await _status(api, token, scheme) == (401, UNAUTHENTICATED)


async def test_issuer_and_azp_accepted_when_they_match(
    make_api: MakeApi, signing_key: rsa.RSAPrivateKey
) -> None:
    async with make_api(
        clerk_issuer="https://clerk.test",
        clerk_authorized_parties="https://a.test, https://app.test",
    ) as api:
        good = make_token(signing_key, iss="https://clerk.test", azp="https://app.test")
        assert (await _status(api, good))[0] == 200


async def test_clock_skew_of_five_seconds_is_allowed(
    api: Api, signing_key: rsa.RSAPrivateKey
) -> None:
    now = int(time.time())
    assert (await _status(api, make_token(signing_key, exp=now - 2, nbf=now + 2)))[0] == 200
    assert (await _status(api, make_token(signing_key, exp=now - 30)))[0] == 401


class _JWKS:
    """A JWKS endpoint on loopback whose key set the test can change."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server API
                owner.fetches += 1
                body = json.dumps({"keys": owner.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jwks() -> Iterator[_JWKS]:
    server = _JWKS()
    yield server
    server.close()


async def test_jwks_verification_and_key_rotation(make_api: MakeApi, jwks: _JWKS) -> None:
    first, second = new_rsa_key(), new_rsa_key()
    jwks.keys = [jwk_for(first, "kid-1")]
    async with make_api(
        clerk_jwt_key=None, clerk_jwks_url=jwks.url, jwks_min_refetch_seconds=0
    ) as api:
        assert (await _status(api, make_token(first, kid="kid-1")))[0] == 200
        # Unknown kid before rotation: refused.
        assert (await _status(api, make_token(second, kid="kid-2")))[0] == 401
        jwks.keys.append(jwk_for(second, "kid-2"))
        assert (await _status(api, make_token(second, kid="kid-2")))[0] == 200
        # A token signed by another key under a known kid is still refused.
        assert (await _status(api, make_token(second, kid="kid-1")))[0] == 401


async def test_unknown_kids_do_not_refetch_in_a_loop(make_api: MakeApi, jwks: _JWKS) -> None:
    key = new_rsa_key()
    jwks.keys = [jwk_for(key, "kid-1")]
    async with make_api(
        clerk_jwt_key=None, clerk_jwks_url=jwks.url, jwks_min_refetch_seconds=60
    ) as api:
        assert (await _status(api, make_token(key, kid="kid-1")))[0] == 200
        before = jwks.fetches
        for n in range(5):
            assert (await _status(api, make_token(key, kid=f"made-up-{n}")))[0] == 401
        assert jwks.fetches == before


async def test_unreachable_jwks_is_401_not_500(make_api: MakeApi) -> None:
    async with make_api(
        clerk_jwt_key=None, clerk_jwks_url="http://127.0.0.1:9/jwks.json", jwks_timeout_seconds=0.5
    ) as api:
        assert await _status(api, make_token(new_rsa_key(), kid="k")) == (401, UNAUTHENTICATED)


async def test_org_claims_v1_and_v2(api: Api, signing_key: rsa.RSAPrivateKey) -> None:
    v1 = make_token(signing_key, "user_a", org="org_1")
    v2 = make_token(signing_key, "user_b", org_v2="org_1")
    created = await api.client.post(
        "/api/v1/backlink-outreach/campaigns",
        json={"name": "Org"},
        headers={"Authorization": f"Bearer {v1}"},
    )
    assert created.json()["workspace_id"] == "org_1"
    listed = await api.client.get(
        "/api/v1/backlink-outreach/campaigns", headers={"Authorization": f"Bearer {v2}"}
    )
    assert [c["id"] for c in listed.json()] == [created.json()["id"]]


def test_clerk_mode_refuses_to_start_without_a_key(make_settings: Callable[..., Any]) -> None:
    from backlink_outreach.app import create_app
    from backlink_outreach.config import ConfigError

    with pytest.raises(ConfigError, match="CLERK_JWT_KEY"):
        create_app(make_settings(clerk_jwt_key=None, clerk_jwks_url=None))


async def test_long_v2_org_id_is_401_and_255_characters_are_accepted(
    api: Api, signing_key: rsa.RSAPrivateKey
) -> None:
    """Workspace ids live in varchar(255): one longer was a 500 on POST /campaigns."""
    too_long = make_token(signing_key, "user_a", org_v2="o" * 256)
    assert await _status(api, too_long) == (401, UNAUTHENTICATED)
    longest = make_token(signing_key, "u" * 255, org_v2="o" * 255)
    created = await api.client.post(
        "/api/v1/backlink-outreach/campaigns",
        json={"name": "Long ids"},
        headers={"Authorization": f"Bearer {longest}"},
    )
    assert created.status_code == 201
    assert created.json()["workspace_id"] == "o" * 255
