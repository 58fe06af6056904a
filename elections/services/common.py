"""What every write of the voting engine shares: its refusals, the vote lock, and who may enter ballots."""

from __future__ import annotations

import datetime

from django.utils import timezone

from core.errors import Conflict
from elections.models import Vote


class BallotRefused(Conflict):
    """A ballot the vote's state or its roll refuses (HTTP 409); it is kept in the refusal log."""

    code = "ballot_refused"


class TransitionRefused(Conflict):
    """A step of the lifecycle that the vote's state does not allow now (HTTP 409)."""

    code = "transition_refused"


def lock(vote: Vote) -> Vote:
    """Lock the vote's row for this transaction and reload ``vote`` in place from it.

    Every write that appends to a vote's chain or moves its state takes this lock first,
    so that the chain has one order and no check interleaves with another write.
    """
    list(Vote.objects.select_for_update().filter(pk=vote.pk).values_list("pk"))
    vote.refresh_from_db()
    return vote


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()
