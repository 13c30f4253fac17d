"""A mailbox's cap holds across processes on PostgreSQL: 50 concurrent sends through two real
server processes, against a mailbox with `daily_cap: 10` on a real SMTP server with AUTH,
deliver exactly 10. Skipped without TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from backlink_outreach.config import API_PREFIX
from tests.mailboxes.support import KEY, mailbox_body
from tests.outreach.mailserver import MailServer, Recorder
from tests.support.database import Database
from tests.support.mailservers import SMTP_PASSWORD, SMTP_USER, smtp_server
from tests.support.servers import ServerProcess, client_limits, start_servers
from tests.support.tokens import make_token, public_pem

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)


@pytest.fixture(scope="module")
def default_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture(scope="module")
def mailbox_server() -> Iterator[tuple[Recorder, int]]:
    with smtp_server(auth=True) as found:
        yield found


@pytest.fixture(scope="module")
async def servers(
    database: Database,
    signing_key: rsa.RSAPrivateKey,
    default_server: MailServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[list[ServerProcess]]:
    if database.backend != "postgresql":
        pytest.skip("multi-process test runs on PostgreSQL")
    folder = tmp_path_factory.mktemp("mailbox-servers")
    env = {
        "DATABASE_URL": database.plain_url,
        "DATA_DIR": str(folder / "data"),
        "AUTH_MODE": "clerk",
        "CLERK_JWT_KEY": public_pem(signing_key),
        "SECRETS_KEY": KEY,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(default_server.port),
        "UNSUBSCRIBE_SECRET": "shared-by-every-process",
        "POLICY_DOMAIN_DAILY_CAP": "1000",
        "POLICY_WORKSPACE_DAILY_CAP": "1000",
        "LOG_LEVEL": "WARNING",
    }
    # Started before any test's `db` reset: an earlier module's rows (sealed mailbox secrets,
    # say) must not decide how these servers start.
    await database.reset()
    started = await start_servers(env, folder)
    yield started
    for server in started:
        server.stop()


async def _post(
    client: httpx.AsyncClient, server: ServerProcess, path: str, token: str, body: Any
) -> httpx.Response:
    return await client.post(
        server.base_url + API_PREFIX + path,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


async def test_a_mailbox_cap_of_10_holds_across_two_processes(
    db: Database,
    servers: list[ServerProcess],
    default_server: MailServer,
    mailbox_server: tuple[Recorder, int],
    signing_key: rsa.RSAPrivateKey,
) -> None:
    recorder, port = mailbox_server
    token = make_token(signing_key, "user_mbx", ttl=600)
    smtp = {"host": "127.0.0.1", "port": port, "security": "none"}
    body = mailbox_body(
        daily_cap=10, smtp={**smtp, "username": SMTP_USER, "password": SMTP_PASSWORD}
    )
    async with httpx.AsyncClient(limits=client_limits(100)) as client:
        mailbox = await _post(client, servers[0], "/mailboxes", token, body)
        assert mailbox.status_code == 201, mailbox.text
        mailbox_id = mailbox.json()["id"]
        campaign = await _post(
            client, servers[1], "/campaigns", token, {"name": "Load", "mailbox_ids": [mailbox_id]}
        )
        campaign_id = campaign.json()["id"]
        entries = [
            {"website_url": f"https://site{i}.test", "contact_email": f"ed@site{i}.test"}
            for i in range(50)
        ]
        added = await _post(
            client, servers[0], f"/campaigns/{campaign_id}/leads/bulk", token, entries
        )
        assert added.json()["added"] == 50
        detail = await client.get(
            servers[1].base_url + API_PREFIX + f"/campaigns/{campaign_id}",
            headers={"Authorization": f"Bearer {token}"},
        )
        lead_ids = [lead["id"] for lead in detail.json()["leads"]]
        many = await asyncio.gather(
            *(
                _post(
                    client,
                    servers[i % 2],
                    "/outreach/send",
                    token,
                    {"campaign_id": campaign_id, "lead_id": lead, "subject": "Hi", "body": "Hi"},
                )
                for i, lead in enumerate(lead_ids)
            )
        )
        got = await client.get(
            servers[0].base_url + API_PREFIX + f"/mailboxes/{mailbox_id}",
            headers={"Authorization": f"Bearer {token}"},
        )
    codes = Counter(r.status_code for r in many)
    assert codes == {200: 10, 403: 40}, [r.text for r in many if r.status_code not in (200, 403)]
    assert {r.json()["reason"] for r in many if r.status_code == 403} == {"sender_daily_cap"}
    assert {r.json()["mailbox_id"] for r in many if r.status_code == 200} == {mailbox_id}
    assert len(recorder.messages) == 10 and len({m.rcpt_tos[0] for m in recorder.messages}) == 10
    assert default_server.messages == []
    assert got.json()["health"]["sends_today"] == 10
