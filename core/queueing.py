"""Send a task to the broker after the transaction commits, without letting a broker outage fail the write.

The write that asks for background work has already committed when the task is sent (a task
never sees uncommitted rows). If the broker (Redis) cannot be reached then, the write must
stand and the person must get their answer: the work is left recorded in the database (a vote
in ``counting`` with its tally pending, an import job in ``pending``) and the recovery beat job
of its app sends it again once the broker answers (``elections.services.tallies_recover``).

The task is sent without a result: a result would make Celery subscribe to the result backend
(Redis again) before sending, which, with Redis down, blocks the request for twenty seconds and
then leaves the process unable to send anything until it is restarted.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# One quick retry for a blip; an outage is left to the recovery jobs rather than holding the request.
RETRY_POLICY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2, "interval_max": 0.2}


def send_softly(task, *args) -> bool:
    """Send ``task(*args)`` now; return False (and log) if the broker cannot be reached."""
    try:
        task.apply_async(args, ignore_result=True, retry=True, retry_policy=RETRY_POLICY)
    except OperationalError:
        logger.warning("broker unreachable: %s%r left for its recovery job", task.name, args, exc_info=True)
        return False
    return True


def enqueue_on_commit(task, *args) -> None:
    """Send ``task(*args)`` once the current transaction commits (softly: see ``send_softly``)."""
    transaction.on_commit(lambda: send_softly(task, *args))


def resend_pending(pending, task, *, waited: datetime.timedelta, now: datetime.datetime) -> list[int]:
    """Send ``task(pk)`` again for each row of ``pending`` (rows with ``created_at``) waiting longer than ``waited``.

    The recovery beat jobs call this for work whose message was lost while the broker was down;
    the task must claim its row once, so that a message that was only slow does no harm.
    Returns the ids sent.
    """
    ids = pending.filter(created_at__lt=now - waited).order_by("pk").values_list("pk", flat=True)
    return [pk for pk in ids if send_softly(task, pk)]
