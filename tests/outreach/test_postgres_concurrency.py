"""Caps, duplicates and follow-up claims hold across processes on PostgreSQL: two real server
processes, a real SMTP server, concurrent requests. Skipped without TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa

from backlink_outreach.config import API_PREFIX
from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.duties import DUTIES
from backlink_outreach.worker import run_once
from tests.outreach.conftest import (
    SENDER,
    MakeApi,
    add_lead,
    campaign_with_lead,
    mail_settings,
    send,
)
from tests.outreach.mailserver import MailServer
from tests.support.database import Database
from tests.support.servers import ServerProcess, client_limits, start_servers
from tests.support.tokens import make_token, public_pem

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)


@pytest.fixture(scope="module")
def module_mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture(scope="module")
async def servers(
    database: Database,
    signing_key: rsa.RSAPrivateKey,
    module_mail_server: MailServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[list[ServerProcess]]:
    if database.backend != "postgresql":
        pytest.skip("multi-process test runs on PostgreSQL")
    folder = tmp_path_factory.mktemp("servers")
    env = {
        "DATABASE_URL": database.plain_url,
        "DATA_DIR": str(folder / "data"),
        "AUTH_MODE": "clerk",
        "CLERK_JWT_KEY": public_pem(signing_key),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(module_mail_server.port),
        "SMTP_FROM_EMAIL": SENDER,
        "UNSUBSCRIBE_SECRET": "shared-by-every-process",
        "POLICY_SENDER_DAILY_CAP": "10",
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
        timeout=30,
    )


async def _campaign(
    client: httpx.AsyncClient, server: ServerProcess, token: str, leads: int
) -> tuple[str, list[str]]:
    campaign = (await _post(client, server, "/campaigns", token, {"name": "Load"})).json()
    entries = [
        {"website_url": f"https://site{i}.test", "contact_email": f"ed@site{i}.test"}
        for i in range(leads)
    ]
    added = await _post(client, server, f"/campaigns/{campaign['id']}/leads/bulk", token, entries)
    assert added.json()["added"] == leads
    detail = await client.get(
        server.base_url + API_PREFIX + f"/campaigns/{campaign['id']}",
        headers={"Authorization": f"Bearer {token}"},
    )
    return campaign["id"], [lead["id"] for lead in detail.json()["leads"]]


async def test_sender_cap_and_duplicates_across_two_processes(
    db: Database,
    servers: list[ServerProcess],
    module_mail_server: MailServer,
    signing_key: rsa.RSAPrivateKey,
) -> None:
    module_mail_server.messages.clear()
    token = make_token(signing_key, "user_load", ttl=600)
    async with httpx.AsyncClient(limits=client_limits(100)) as client:
        campaign_id, lead_ids = await _campaign(client, servers[0], token, 50)

        def payload(lead_id: str, subject: str) -> dict[str, str]:
            return {
                "campaign_id": campaign_id,
                "lead_id": lead_id,
                "subject": subject,
                "body": "Hi",
            }

        # 20 identical sends, alternating between the processes: exactly one goes out.
        same = await asyncio.gather(
            *(
                _post(client, servers[i % 2], "/outreach/send", token, payload(lead_ids[0], "Hi"))
                for i in range(20)
            )
        )
        assert Counter(r.status_code for r in same) == {200: 1, 403: 19}
        assert {r.json()["reason"] for r in same if r.status_code == 403} == {"duplicate"}
        assert len(module_mail_server.messages) == 1

        # Start the day afresh for the cap proof.
        await db.reset()
        module_mail_server.messages.clear()
        campaign_id, lead_ids = await _campaign(client, servers[1], token, 50)
        many = await asyncio.gather(
            *(
                _post(client, servers[i % 2], "/outreach/send", token, payload(lead, "Hello"))
                for i, lead in enumerate(lead_ids)
            )
        )
    codes = Counter(r.status_code for r in many)
    assert codes == {200: 10, 403: 40}, [r.text for r in many if r.status_code not in (200, 403)]
    assert {r.json()["reason"] for r in many if r.status_code == 403} == {"sender_daily_cap"}
    assert len(module_mail_server.messages) == 10
    delivered = sorted(m.rcpt_tos[0] for m in module_mail_server.messages)
    assert len(set(delivered)) == 10


async def test_two_workers_never_send_a_follow_up_twice(
    db: Database, make_api: MakeApi, make_settings: Any, mail_server: MailServer
) -> None:
    if db.backend != "postgresql":
        pytest.skip("the SKIP LOCKED claim is a PostgreSQL feature")
    overrides = mail_settings(mail_server, policy_domain_daily_cap=100)
    start = datetime(2031, 7, 1, 9, 0, tzinfo=UTC)
    # Two workers with their own engines (own connections): real concurrent claims.
    workers = [AppDatabase.open(db.url) for _ in range(2)]
    settings = make_settings(**overrides)
    try:
        async with make_api(**overrides) as api:
            with time_machine.travel(start, tick=True) as clock:
                campaign, _ = await campaign_with_lead(api, email=None, follow_up_days=[1])
                leads = [await add_lead(api, campaign["id"], f"ed@w{i}.test") for i in range(24)]
                for lead in leads:
                    assert (await send(api, campaign, lead)).status_code == 200
                mail_server.messages.clear()
                clock.move_to(start + timedelta(days=1, minutes=5))
                results = await asyncio.gather(*(run_once(w, settings, DUTIES) for w in workers))
            follow_ups = (await api.get(f"/campaigns/{campaign['id']}/follow-ups")).json()
            attempts = (await api.get(f"/campaigns/{campaign['id']}/attempts")).json()
    finally:
        for worker in workers:
            await worker.dispose()
    assert sum(r["follow_ups"] for r in results) == 24
    recipients = sorted(m.rcpt_tos[0] for m in mail_server.messages)
    assert recipients == sorted(lead["contact_email"] for lead in leads)
    assert {f["status"] for f in follow_ups} == {"sent"}
    assert Counter(a["kind"] for a in attempts) == {"initial": 24, "follow_up": 24}
