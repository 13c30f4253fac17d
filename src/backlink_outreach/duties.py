"""The composition root of the background work: every domain's duty, in the order one worker
pass runs them. `app.py` (the embedded worker) and `cli.py` (`worker`) hand this list to
`worker.run_once` / `worker.run_forever`; the domains never import the worker."""

from __future__ import annotations

from .integrations.webhooks.delivery import deliver_due as deliver_webhooks
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
)
