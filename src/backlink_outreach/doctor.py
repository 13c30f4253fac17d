"""`backlink-outreach doctor`: what an operator should look at after a crash or an upgrade.

Attempts left `sending` by a crash between the SMTP call and the second transaction are never
re-sent (the message may well have gone out). With `live` (the CLI's `doctor`), those of a
mailbox whose provider files submitted mail in a Sent folder are first settled from it
(`mailboxes.sent_check`: found is sent, not found is failed), the one change doctor makes; the
rest are reported for a person to check in the mail server's logs. `live` also tries every
mailbox (`mailboxes.readiness`: logins, DKIM, a placeholder From, a local PUBLIC_BASE_URL);
each failure fails the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from .config import Settings
from .database import Database
from .db import utcnow
from .mailboxes import readiness, sent_check
from .mailboxes.diagnosis import diagnose
from .migrations import alembic_config
from .models import Campaign, FollowUp, Lead, LeadCountStripe, OutreachAttempt, SequenceStep

STUCK_AFTER = sent_check.STUCK_AFTER  # the worker settles from Sent folders after as long
# A sequence step this late means the scheduler is not running (a pass sends within minutes).
STEP_OVERDUE_AFTER = timedelta(hours=1)


@dataclass
class StuckAttempt:
    id: str
    campaign_id: str
    recipient_email: str
    message_id: str
    created_at: str


@dataclass
class Report:
    database_ok: bool = False
    schema_current: bool = False
    schema_revision: str | None = None
    stuck_sending: list[StuckAttempt] = field(default_factory=list)
    overdue_follow_ups: int = 0
    overdue_steps: int = 0
    # Mailboxes paused by the bounce breaker, or whose last poll or test failed (one line each).
    mailbox_problems: list[str] = field(default_factory=list)
    # Campaigns whose striped lead count (leads/counts.py) disagrees with their leads.
    miscounted_campaigns: list[str] = field(default_factory=list)
    # `live` only: what trying every mailbox found wrong (one line each, in words), and the
    # stuck attempts settled from a Sent folder ("att_... sent" / "att_... failed").
    failed_checks: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return (
            self.database_ok
            and self.schema_current
            and not self.stuck_sending
            and not self.miscounted_campaigns
            and not self.mailbox_problems
            and not self.failed_checks
        )


def _miscounted_query() -> Select[Any]:
    """Campaigns whose stripes do not add up to COUNT(*) of their leads (either may be 0)."""
    counted = (
        select(func.coalesce(func.sum(LeadCountStripe.leads), 0))
        .where(LeadCountStripe.campaign_id == Campaign.id)
        .scalar_subquery()
    )
    actual = select(func.count()).where(Lead.campaign_id == Campaign.id).scalar_subquery()
    return select(Campaign.id).where(counted != actual).order_by(Campaign.id)


def _configuration_warnings(settings: Settings) -> list[str]:
    warnings = []
    if not settings.smtp_host and not settings.mail_outbox_dir:
        warnings.append("No way to send: set SMTP_HOST (or MAIL_OUTBOX_DIR for a dry run).")
    elif not settings.smtp_host:
        warnings.append(f"Mail is written to {settings.mail_outbox_dir}, not sent (no SMTP_HOST).")
    if not settings.imap_host:
        warnings.append("Replies are not polled: IMAP_HOST is not set.")
    if settings.auth_mode == "dev":
        warnings.append("AUTH_MODE=dev: tokens are signed by a local key, not by Clerk.")
    if not settings.sender_postal_address:
        warnings.append("SENDER_POSTAL_ADDRESS is not set (CAN-SPAM wants a postal address).")
    return warnings


async def examine(
    engine: AsyncEngine,
    settings: Settings,
    stuck_after: timedelta = STUCK_AFTER,
    *,
    live: bool = False,
) -> Report:
    """`stuck_after`: how long an attempt may stay `sending` (or a follow-up stay due) before
    it is reported (or, `live`, settled from a Sent folder); a send in progress normally ends
    within the SMTP timeout. `live`: also settle from Sent folders and try every mailbox."""
    report = Report(warnings=_configuration_warnings(settings))
    if live:
        try:
            settled = await sent_check.settle_stuck(Database(engine), settings, stuck_after)
        except Exception as exc:  # noqa: BLE001 - reported below as a database failure
            report.warnings.append(f"Settling from Sent folders failed: {type(exc).__name__}")
            settled = []
        report.settled = [f"{s.attempt_id} {s.verdict}" for s in settled if s.verdict != "unknown"]
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
            report.database_ok = True
            head = ScriptDirectory.from_config(
                alembic_config(settings.resolved_database_url)
            ).get_current_head()
            report.schema_revision = current
            report.schema_current = current == head
            if not report.schema_current:
                report.warnings.append(f"Schema at {current}, code expects {head}: run migrate.")
                return report
            now = utcnow()
            rows = await conn.execute(
                select(
                    OutreachAttempt.id,
                    OutreachAttempt.campaign_id,
                    OutreachAttempt.recipient_email,
                    OutreachAttempt.message_id,
                    OutreachAttempt.created_at,
                )
                .where(
                    OutreachAttempt.status == "sending",
                    OutreachAttempt.created_at < now - stuck_after,
                )
                .order_by(OutreachAttempt.created_at)
            )
            report.stuck_sending = [
                StuckAttempt(
                    r.id, r.campaign_id, r.recipient_email, r.message_id, r.created_at.isoformat()
                )
                for r in rows
            ]
            report.overdue_follow_ups = int(
                await conn.scalar(
                    select(func.count())
                    .select_from(FollowUp)
                    .where(
                        FollowUp.status == "scheduled",
                        # A claimed follow-up (its attempt inserted) that is still `scheduled`
                        # was cut off by a crash: it is reported with the stuck attempts, and
                        # no worker will ever take it again, so it is not "overdue".
                        FollowUp.sent_attempt_id.is_(None),
                        FollowUp.scheduled_for < now - stuck_after,
                    )
                )
                or 0
            )
            report.miscounted_campaigns = list(await conn.scalars(_miscounted_query()))
            report.overdue_steps = int(
                await conn.scalar(
                    select(func.count())
                    .select_from(SequenceStep)
                    .where(
                        SequenceStep.status == "scheduled",
                        SequenceStep.not_before < now - STEP_OVERDUE_AFTER,
                    )
                )
                or 0
            )
            mailboxes = await diagnose(conn, settings, now, stuck_after)
            report.mailbox_problems = [f.line() for f in mailboxes.problems]
            if live:
                report.failed_checks = await readiness.try_all(conn, settings)
            # Printed with the warnings (as the miscounted campaigns are); they fail the check.
            report.warnings += report.mailbox_problems + [f.line() for f in mailboxes.warnings]
    except Exception as exc:  # noqa: BLE001 - the report says what failed instead of crashing
        report.warnings.append(f"Database check failed: {type(exc).__name__}")
    if report.miscounted_campaigns:
        report.warnings.append(
            f"{len(report.miscounted_campaigns)} campaign(s) show a lead count that differs "
            f"from their leads: {', '.join(report.miscounted_campaigns[:10])}"
        )
    if report.overdue_follow_ups:
        report.warnings.append(
            f"{report.overdue_follow_ups} follow-ups are overdue: is a worker "
            "running (`serve` without --no-worker, or `worker`)?"
        )
    if report.overdue_steps:
        report.warnings.append(
            f"{report.overdue_steps} sequence steps are over an hour overdue: is a worker "
            "running (`serve` without --no-worker, or `worker`)?"
        )
    return report
