"""The composition root of the background work: every domain's duty, in the order one worker
pass runs them. `app.py` (the embedded worker) and `cli.py` (`worker`) hand this list to
`worker.run_once` / `worker.run_forever`; the domains never import the worker."""

from __future__ import annotations

from .discovery.job_runner import start_due_jobs as start_discovery_jobs
from .integrations.webhooks.delivery import deliver_due as deliver_webhooks
from .integrations.webhooks.pruning import prune_due as prune_webhook_events
from .mailboxes.sent_check import settle_due as settle_stuck_sends
from .outreach.followup_sender import send_due as send_due_follow_ups
from .placements.duty import recheck_due as recheck_placements
from .replies.service import poll_duty as poll_mailbox
from .sequences.scheduler import send_due as send_due_steps
from .worker import Duties

DUTIES: Duties = (
    ("sequences", send_due_steps),
    ("follow_ups", send_due_follow_ups),
    ("mailbox_poll", poll_mailbox),
    ("link_checks", recheck_placements),
    ("webhooks", deliver_webhooks),
    ("webhook_pruning", prune_webhook_events),
    ("stuck_sends", settle_stuck_sends),
    # Jobs run in the background of the worker process: a pass never waits for a crawl.
    ("discovery_jobs", start_discovery_jobs),
)
