"""API keys and webhooks: a key shown once and then only its prefix, revoked; a webhook's
SSRF refusal in words, its secret shown once, a signed test event to a real receiver on
loopback, its delivery log, deleting it; another workspace's are the 404 page."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator

import pytest
from standardwebhooks.webhooks import Webhook

from tests.integrations.conftest import hook_settings
from tests.integrations.receiver import Receiver
from tests.web.client import WebClient, error_texts

WebFactory = Callable[..., contextlib.AbstractAsyncContextManager[WebClient]]
API = "/api/v1/backlink-outreach"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


def shown_secret(html: str, element: str) -> str:
    found = re.search(rf'<p class="secret" id="{element}">([^<]+)</p>', html)
    assert found, html
    return found.group(1)


async def test_empty_states_say_what_each_thing_is_for(web: WebClient) -> None:
    page = await web.get("/app/integrations")
    assert page.status_code == 200
    assert "No API keys yet" in page.text and "No webhooks yet" in page.text


async def test_a_key_is_shown_once_works_and_stops_when_revoked(web: WebClient) -> None:
    made = await web.post(
        "/app/integrations/api-keys", {"name": "<b>nightly</b>", "scopes": "read"}
    )
    assert made.status_code == 201
    key = shown_secret(made.text, "new-key")
    assert key.startswith("blo_") and len(key) > 40
    assert "&lt;b&gt;nightly&lt;/b&gt;" in made.text and "<b>nightly" not in made.text
    later = await web.get("/app/integrations")
    assert key not in later.text and key[:8] in later.text
    used = await web.client.get(f"{API}/campaigns", headers={"Authorization": f"Bearer {key}"})
    assert used.status_code == 200
    # A read key cannot write.
    refused = await web.client.post(
        f"{API}/campaigns", json={"name": "x"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert refused.status_code == 403
    (key_id,) = re.findall(r"/app/integrations/api-keys/(key_[A-Za-z0-9]+)/revoke", later.text)
    assert (await web.post(f"/app/integrations/api-keys/{key_id}/revoke")).status_code == 303
    gone = await web.client.get(f"{API}/campaigns", headers={"Authorization": f"Bearer {key}"})
    assert gone.status_code == 401
    assert "No API keys yet" in (await web.get("/app/integrations")).text


async def test_a_wrong_key_form_says_why(web: WebClient) -> None:
    blank = await web.post("/app/integrations/api-keys", {"name": " ", "scopes": "read"})
    assert blank.status_code == 422 and 'id="f-name-error"' in blank.text
    scope = await web.post("/app/integrations/api-keys", {"name": "k", "scopes": "admin"})
    assert scope.status_code == 422 and 'id="f-scopes-error"' in scope.text
    past = await web.post(
        "/app/integrations/api-keys",
        {"name": "k", "scopes": "read_write", "expires_at": "2001-01-01T10:00"},
    )
    assert past.status_code == 422 and "must be in the future" in past.text
    junk = await web.post(
        "/app/integrations/api-keys", {"name": "k", "scopes": "read", "expires_at": "soon"}
    )
    assert junk.status_code == 422 and 'id="f-expires_at-error"' in junk.text
    assert "No API keys yet" in (await web.get("/app/integrations")).text


async def test_the_ssrf_guard_refusal_is_said_in_words(make_web: WebFactory) -> None:
    async with make_web(**hook_settings(webhook_allow_private_networks=False)) as web:
        web.sign_in()
        refused = await web.post(
            "/app/integrations/webhooks",
            {"url": "http://127.0.0.1:9/hook", "events": ["send.sent"]},
        )
        assert refused.status_code == 422
        (words,) = [t for t in error_texts(refused.text) if "not allowed" in t]
        assert "url is not allowed" in words
        assert 'value="http://127.0.0.1:9/hook"' in refused.text
        assert 'value="send.sent" checked' in refused.text
        none = await web.post("/app/integrations/webhooks", {"url": "https://hooks.example/x"})
        assert none.status_code == 422 and 'id="f-events-error"' in none.text
        scheme = await web.post(
            "/app/integrations/webhooks", {"url": "ftp://hooks.example/x", "events": "unsubscribe"}
        )
        assert scheme.status_code == 422 and 'id="f-url-error"' in scheme.text
        assert "No webhooks yet" in (await web.get("/app/integrations")).text


async def test_a_webhook_secret_once_a_signed_test_event_and_its_log(
    make_web: WebFactory, receiver: Receiver
) -> None:
    async with make_web(**hook_settings()) as web:
        web.sign_in()
        made = await web.post(
            "/app/integrations/webhooks",
            {"url": receiver.url, "events": ["send.sent", "link.lost"], "description": "CRM"},
        )
        assert made.status_code == 201, made.text
        secret = shown_secret(made.text, "new-secret")
        assert secret.startswith("whsec_")
        (hook_id,) = set(re.findall(r"/app/integrations/webhooks/(whk_[A-Za-z0-9]+)", made.text))
        listing = await web.get("/app/integrations")
        assert secret not in listing.text and receiver.url in listing.text
        detail = await web.get(f"/app/integrations/webhooks/{hook_id}")
        assert "Nothing delivered yet" in detail.text and secret not in detail.text

        tested = await web.post(f"/app/integrations/webhooks/{hook_id}/test")
        assert tested.status_code == 303
        (received,) = receiver.received
        payload = Webhook(secret).verify(received.body, received.headers)
        assert payload["type"] == "webhook.test"
        log = await web.get(tested.headers["location"])
        assert "A test event was sent" in log.text
        assert "delivered" in log.text and "HTTP 204" in log.text

        receiver.status = 500
        await web.post(f"/app/integrations/webhooks/{hook_id}/test")
        log = await web.get(f"/app/integrations/webhooks/{hook_id}")
        assert log.text.index("HTTP 500") < log.text.index("HTTP 204")  # newest first

        web.sign_in("user_b")
        await web.get("/app/integrations")
        assert (await web.get(f"/app/integrations/webhooks/{hook_id}")).status_code == 404
        assert (await web.post(f"/app/integrations/webhooks/{hook_id}/test")).status_code == 404
        assert (await web.post(f"/app/integrations/webhooks/{hook_id}/delete")).status_code == 404
        assert len(receiver.received) == 2

        web.sign_in("user_a")
        await web.get("/app/integrations")
        assert (await web.post(f"/app/integrations/webhooks/{hook_id}/delete")).status_code == 303
        assert (await web.get(f"/app/integrations/webhooks/{hook_id}")).status_code == 404


async def test_another_workspaces_key_cannot_be_revoked(web: WebClient) -> None:
    made = await web.post("/app/integrations/api-keys", {"name": "mine", "scopes": "read"})
    key = shown_secret(made.text, "new-key")
    (key_id,) = re.findall(r"/app/integrations/api-keys/(key_[A-Za-z0-9]+)/revoke", made.text)
    web.sign_in("user_b")
    await web.get("/app/integrations")
    assert (await web.post(f"/app/integrations/api-keys/{key_id}/revoke")).status_code == 404
    used = await web.client.get(f"{API}/campaigns", headers={"Authorization": f"Bearer {key}"})
    assert used.status_code == 200
