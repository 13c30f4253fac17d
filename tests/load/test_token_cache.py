"""The cache of verified tokens: it saves the signature check and nothing else."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa

from backlink_outreach import auth
from backlink_outreach.auth import LEEWAY_SECONDS, Principal, TokenVerifier
from backlink_outreach.config import Settings
from backlink_outreach.errors import NotAuthenticated
from tests.support.tokens import make_token, new_rsa_key, public_pem


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return new_rsa_key()


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Tokens that went through the full signature check."""
    seen: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)  # the module `auth` calls
    yield seen


def _verifier(key: rsa.RSAPrivateKey, **settings: Any) -> TokenVerifier:
    values: dict[str, Any] = {"auth_mode": "clerk", "clerk_jwt_key": public_pem(key), **settings}
    cache_size = values.pop("cache_size", auth.VERIFIED_CACHE_SIZE)
    return TokenVerifier(Settings(_env_file=None, **values), cache_size=cache_size)


async def test_a_verified_token_is_not_checked_again(
    key: rsa.RSAPrivateKey, decodes: list[str]
) -> None:
    verifier = _verifier(key)
    token = make_token(key, "user_a", org="org_1")
    for _ in range(3):
        assert await verifier.verify(token) == Principal("user_a", "org_1")
    assert decodes == [token]


async def test_different_tokens_are_not_confused(
    key: rsa.RSAPrivateKey, decodes: list[str]
) -> None:
    verifier = _verifier(key)
    a, b = make_token(key, "user_a"), make_token(key, "user_b", org="org_b")
    for _ in range(2):
        assert await verifier.verify(a) == Principal("user_a")
        assert await verifier.verify(b) == Principal("user_b", "org_b")
    assert decodes == [a, b]


async def test_expiry_is_enforced_on_every_use(key: rsa.RSAPrivateKey) -> None:
    verifier = _verifier(key)
    now = int(time.time())
    token = make_token(key, "user_a", ttl=60)
    with time_machine.travel(now + 30, tick=False):
        assert await verifier.verify(token) == Principal("user_a")
    with (
        time_machine.travel(now + 60 + LEEWAY_SECONDS + 1, tick=False),
        pytest.raises(NotAuthenticated),
    ):
        await verifier.verify(token)
    with time_machine.travel(now + 30, tick=False):
        # Dropped from the cache when it expired: nothing stale is served from it later.
        assert token not in verifier._verified


async def test_failures_are_not_cached(key: rsa.RSAPrivateKey, decodes: list[str]) -> None:
    verifier = _verifier(key)
    good = make_token(key, "user_a")
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    other_key = make_token(new_rsa_key(), "user_a")
    no_subject = make_token(key, sub=None)
    for bad in (tampered, other_key, no_subject, tampered):
        with pytest.raises(NotAuthenticated):
            await verifier.verify(bad)
    assert len(decodes) == 4 and not verifier._verified
    assert await verifier.verify(good) == Principal("user_a")


async def test_the_cache_is_bounded(key: rsa.RSAPrivateKey, decodes: list[str]) -> None:
    verifier = _verifier(key, cache_size=3)
    tokens = [make_token(key, f"user_{n}") for n in range(5)]
    for token in tokens:
        await verifier.verify(token)
    assert list(verifier._verified) == tokens[2:]
    # The most recently used stays; the oldest was evicted and is checked in full again.
    await verifier.verify(tokens[2])
    await verifier.verify(tokens[0])
    assert list(verifier._verified) == [tokens[4], tokens[2], tokens[0]]
    assert decodes == [*tokens, tokens[0]]


async def test_a_key_removed_from_the_jwks_no_longer_vouches(key: rsa.RSAPrivateKey) -> None:
    verifier = _verifier(key, clerk_jwt_key=None, clerk_jwks_url="http://127.0.0.1:9/jwks")
    assert verifier._jwks is not None
    verifier._jwks._keys = {"k1": key.public_key()}
    verifier._jwks._fetched_at = time.monotonic()  # a refetch is not due: no network
    token = make_token(key, "user_a", kid="k1")
    assert await verifier.verify(token) == Principal("user_a")
    verifier._jwks._keys = {}  # rotated away by a later fetch
    with pytest.raises(NotAuthenticated):
        await verifier.verify(token)
