"""Analytics and CSV export at scale: one campaign with 100,000 leads, 300,000 attempts and
50,000 replies, on SQLite and (when reachable) PostgreSQL.

- Analytics / snapshot latency through a real `backlink-outreach serve` process, against the
  very statements the service issues (captured from the service, then replayed on the raw driver).
- Export of the 300,000 attempts: rows per second through the server, against the raw driver
  reading the same SELECT into the same csv writer; and the server's peak RSS growth during it.

PostgreSQL: a throwaway database on TEST_DATABASE_URL (or postgresql://postgres@127.0.0.1:5432/
postgres), dropped afterwards.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url
from tests.support.servers import start_server
from tests.support.tokens import make_token, new_rsa_key, public_pem

from backlink_outreach.analytics import exports, service
from backlink_outreach.auth import Principal
from backlink_outreach.config import API_PREFIX, normalize_database_url
from backlink_outreach.db import create_engine, make_sessionmaker
from backlink_outreach.migrations import upgrade_async
from backlink_outreach.models import REPLY_CLASSIFICATIONS
from bench.report import Figure

LEADS, ATTEMPTS_PER_LEAD, REPLIES = 100_000, 3, 50_000
CAMPAIGN, USER = "cmp_bench", "user_bench"
RUNS = 7
CLASSES = REPLY_CLASSIFICATIONS
BODY = "Hello, I enjoyed your article on container gardening. " * 4

Statement = tuple[str, Any]


# ---------------------------------------------------------------- data
def _rows(now: datetime) -> dict[str, list[tuple[Any, ...]]]:
    leads, attempts, replies = [], [], []
    statuses = ("discovered", "contacted", "replied", "placed", "bounced", "lost")
    for i in range(LEADS):
        created = now - timedelta(days=120, seconds=-i)
        leads.append(
            (
                f"lead_b{i}",
                CAMPAIGN,
                USER,
                f"https://s{i}.example/",
                f"s{i}.example",
                f"Site {i}",
                f"ed@s{i}.example",
                False,
                0.5,
                statuses[i % 6],
                created,
            )
        )
        for j in range(ATTEMPTS_PER_LEAD):
            n = i * ATTEMPTS_PER_LEAD + j
            sent_at: datetime | None = now - timedelta(seconds=(n * 25) % (90 * 86400))
            status, permanent = "sent", False
            if j == 0 and i % 20 == 0:
                status, permanent, sent_at = "failed", True, None
            elif i % 50 == 1:
                status, sent_at = "failed", None
            elif j == 2 and i % 97 == 2:
                status, sent_at = "sending", None
            created_at = sent_at or now - timedelta(seconds=n)
            attempts.append(
                (
                    f"att_b{n}",
                    USER,
                    CAMPAIGN,
                    f"lead_b{i}",
                    "initial" if j == 0 else "follow_up",
                    j,
                    "me@sender.example",
                    f"ed@s{i}.example",
                    f"s{i}.example",
                    f"Guest post {i}",
                    f"guest post {i}",
                    BODY,
                    f"<b{n}@sender.example>",
                    status,
                    permanent,
                    created_at.date(),
                    created_at,
                    sent_at,
                )
            )
    for k in range(REPLIES):
        i = k * (LEADS // REPLIES)
        cls = CLASSES[k % len(CLASSES)]
        bounce_type = ("hard" if k % 20 < 14 else "soft") if cls == "bounce" else None
        replies.append(
            (
                f"rep_b{k}",
                USER,
                CAMPAIGN,
                f"lead_b{i}",
                f"att_b{i * 3 + 1}",
                f"ed@s{i}.example",
                f"Re: Guest post {i}",
                "Thanks for writing",
                now - timedelta(seconds=k),
                cls,
                0.9,
                '["bench"]',
                bounce_type,
                "5.1.1" if bounce_type else None,
                now,
            )
        )
    return {"leads": leads, "outreach_attempts": attempts, "replies": replies}


COLUMNS = {
    "leads": (
        "id",
        "campaign_id",
        "workspace_id",
        "website_url",
        "domain",
        "website_title",
        "contact_email",
        "consent",
        "quality_score",
        "status",
        "created_at",
        "updated_at",
    ),
    "outreach_attempts": (
        "id",
        "workspace_id",
        "campaign_id",
        "lead_id",
        "kind",
        "step",
        "sender_email",
        "recipient_email",
        "recipient_domain",
        "subject",
        "subject_key",
        "body",
        "message_id",
        "status",
        "permanent_failure",
        "send_day",
        "created_at",
        "sent_at",
    ),
    "replies": (
        "id",
        "workspace_id",
        "campaign_id",
        "lead_id",
        "attempt_id",
        "from_email",
        "subject",
        "snippet",
        "received_at",
        "classification",
        "confidence",
        "reasons",
        "bounce_type",
        "bounce_status",
        "created_at",
    ),
}


def _lead_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*row, row[-1])  # updated_at = created_at


def _sqlite_value(value: Any) -> Any:
    # The storage format SQLAlchemy uses on SQLite (naive UTC text), so the app reads it back.
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        )
    if isinstance(value, bool):
        return int(value)
    return value


def seed_sqlite(path: str, now: datetime) -> None:
    data = _rows(now)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO campaigns (id, workspace_id, name, keywords, follow_up_days, created_at,"
            " updated_at) VALUES (?, ?, 'Bench', '[]', '[4, 9]', ?, ?)",
            (CAMPAIGN, USER, _sqlite_value(now), _sqlite_value(now)),
        )
        for table, rows in data.items():
            cols = COLUMNS[table]
            if table == "leads":
                rows = [_lead_row(r) for r in rows]
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                ([_sqlite_value(v) for v in r] for r in rows),
            )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()


async def seed_postgresql(dsn: str, now: datetime) -> None:
    data = _rows(now)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO campaigns (id, workspace_id, name, keywords, follow_up_days, created_at,"
            " updated_at) VALUES ($1, $2, 'Bench', '[]', '[4, 9]', $3, $3)",
            CAMPAIGN,
            USER,
            now,
        )
        for table, rows in data.items():
            if table == "leads":
                rows = [_lead_row(r) for r in rows]
            await conn.copy_records_to_table(table, records=rows, columns=list(COLUMNS[table]))
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


# ---------------------------------------------------------------- baselines
async def captured_statements(url: str, call: Callable[[Any], Awaitable[Any]]) -> list[Statement]:
    """The SQL (and parameters) the service issues for one call, to replay on the raw driver."""
    engine = create_engine(url)
    seen: list[Statement] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    try:
        async with make_sessionmaker(engine)() as session:
            await call(session)
    finally:
        await engine.dispose()
    return seen


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class RawRunner:
    """Replays captured statements on the bare driver (sqlite3 / asyncpg), no SQLAlchemy."""

    def __init__(self, backend: str, target: str) -> None:
        self.backend, self.target = backend, target
        self.sqlite: sqlite3.Connection | None = None
        self.pg: asyncpg.Connection | None = None

    async def __aenter__(self) -> RawRunner:
        if self.backend == "sqlite":
            self.sqlite = sqlite3.connect(self.target)
        else:
            self.pg = await asyncpg.connect(self.target)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        if self.pg is not None:
            await self.pg.close()

    async def run(self, statements: list[Statement]) -> float:
        started = time.perf_counter()
        for sql, params in statements:
            if self.sqlite is not None:
                self.sqlite.execute(sql, params).fetchall()
            else:
                assert self.pg is not None
                await self.pg.fetch(sql, *params)
        return time.perf_counter() - started


async def interleaved_ms(
    client: httpx.AsyncClient, path: str, raw: RawRunner, statements: list[Statement]
) -> tuple[float, float]:
    """Median API and raw latencies, alternating run by run so both see the same machine load
    (other processes share these 2 cores). The first round warms caches and is dropped."""
    api, direct = [], []
    for _ in range(RUNS + 1):
        started = time.perf_counter()
        response = await client.get(path)
        api.append(time.perf_counter() - started)
        response.raise_for_status()
        direct.append(await raw.run(statements))
    return _median_ms(api[1:]), _median_ms(direct[1:])


async def raw_export_rate(backend: str, target: str) -> float:
    """Rows/s of the raw driver reading the export's SELECT into the same csv writer."""
    spec = exports.KINDS["attempts"]
    cols = ", ".join(spec.fields)
    order = ", ".join(spec.order_by)
    sink = io.StringIO()
    writer = csv.writer(sink)
    count = 0
    started = time.perf_counter()
    if backend == "sqlite":
        conn = sqlite3.connect(target)
        try:
            cur = conn.execute(
                f"SELECT {cols} FROM outreach_attempts WHERE campaign_id = ? ORDER BY {order}",
                (CAMPAIGN,),
            )
            while batch := cur.fetchmany(exports.ROWS_PER_FETCH):
                writer.writerows(batch)
                count += len(batch)
                sink.seek(0)
                sink.truncate()
        finally:
            conn.close()
    else:
        pg = await asyncpg.connect(target)
        try:
            async with pg.transaction(readonly=True):
                cursor = await pg.cursor(
                    f"SELECT {cols} FROM outreach_attempts WHERE campaign_id = $1 ORDER BY {order}",
                    CAMPAIGN,
                )
                while batch := await cursor.fetch(exports.ROWS_PER_FETCH):
                    writer.writerows(tuple(r) for r in batch)
                    count += len(batch)
                    sink.seek(0)
                    sink.truncate()
        finally:
            await pg.close()
    return count / (time.perf_counter() - started)


# ---------------------------------------------------------------- server side
def _proc_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


async def api_export(client: httpx.AsyncClient, pid: int) -> tuple[float, float, int]:
    """(rows/s, peak RSS growth in MB, rows) of streaming the attempts export."""
    # Reset the kernel's peak-RSS watermark so VmHWM afterwards is the peak of this export.
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = _proc_kb(pid, "VmRSS")
    newlines = 0
    started = time.perf_counter()
    async with client.stream("GET", f"/campaigns/{CAMPAIGN}/export/attempts") as response:
        response.raise_for_status()
        async for chunk in response.aiter_bytes():
            newlines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    rows = newlines - 1  # the header; bench bodies hold no line breaks
    growth_mb = (_proc_kb(pid, "VmHWM") - before) / 1024
    return rows / elapsed, growth_mb, rows


async def bench_backend(backend: str, url: str, raw_target: str, tmp: Path) -> list[Figure]:
    name = f"analytics 100k/300k/50k ({backend})"
    now = datetime.now(UTC)
    await upgrade_async(url)
    started = time.perf_counter()
    if backend == "sqlite":
        await asyncio.to_thread(seed_sqlite, raw_target, now)
    else:
        await seed_postgresql(raw_target, now)
    print(f"   seeded {backend} in {time.perf_counter() - started:.1f} s", flush=True)

    scope = service.campaign_scope(CAMPAIGN)
    principal = Principal(USER)

    async def analytics_statements(session: Any) -> None:
        await service.leads_by_status(session, scope)
        await service.replies_by_classification(session, scope)
        await service.rate_counts(session, scope)
        await service.daily_send_volume(session, scope, 30)

    async def snapshot_statements(session: Any) -> None:
        await service.snapshot(session, principal)

    analytics_sql = await captured_statements(url, analytics_statements)
    snapshot_sql = await captured_statements(url, snapshot_statements)
    export_raw = await raw_export_rate(backend, raw_target)

    key = new_rsa_key()
    env = {
        "DATABASE_URL": url.replace("+aiosqlite", "").replace("+asyncpg", ""),
        "AUTH_MODE": "clerk",
        "CLERK_JWT_KEY": public_pem(key),
        "DATA_DIR": str(tmp / "data"),
        "LOG_LEVEL": "WARNING",
    }
    server = start_server(env, tmp / f"server-{backend}.log")
    try:
        headers = {"Authorization": f"Bearer {make_token(key, USER, ttl=3600)}"}
        async with (
            httpx.AsyncClient(
                base_url=server.base_url + API_PREFIX, headers=headers, timeout=120
            ) as client,
            RawRunner(backend, raw_target) as raw,
        ):
            analytics_api, analytics_raw = await interleaved_ms(
                client, f"/campaigns/{CAMPAIGN}/analytics?days=30", raw, analytics_sql
            )
            snapshot_api, snapshot_raw = await interleaved_ms(
                client, "/reporting/snapshot", raw, snapshot_sql
            )
            rate, growth, rows = await api_export(client, server.process.pid)
    finally:
        server.stop()
    if rows != LEADS * ATTEMPTS_PER_LEAD:
        raise RuntimeError(f"export returned {rows} rows")
    return [
        Figure(
            name,
            "analytics API ms (median)",
            analytics_api,
            analytics_raw,
            "< 300 ms, ratio <= 1.5",
        ),
        Figure(
            name, "snapshot API ms (median)", snapshot_api, snapshot_raw, "< 300 ms, ratio <= 1.5"
        ),
        Figure(
            name, "export attempts rows/s", rate, export_raw, ">= 50,000", higher_is_better=True
        ),
        Figure(name, "export peak RSS growth MB", growth, None, "< 50 MB"),
    ]


async def run() -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        path = tmp / "bench.db"
        figures += await bench_backend("sqlite", f"sqlite+aiosqlite:///{path}", str(path), tmp)
        admin = normalize_database_url(
            os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        )
        admin_dsn = admin.replace("postgresql+asyncpg://", "postgresql://")
        try:
            conn = await asyncpg.connect(admin_dsn, timeout=5)
        except (OSError, asyncpg.PostgresError) as exc:
            print(f"   PostgreSQL unreachable, skipped: {type(exc).__name__}", flush=True)
            return figures
        db_name = f"bo_bench_{uuid.uuid4().hex[:10]}"
        await conn.execute(f'CREATE DATABASE "{db_name}"')
        try:
            url = make_url(admin).set(database=db_name).render_as_string(hide_password=False)
            raw = url.replace("postgresql+asyncpg://", "postgresql://")
            figures += await bench_backend("postgresql", url, raw, tmp)
        finally:
            await conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            await conn.close()
    return figures
