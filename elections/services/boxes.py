"""Ballot boxes: sealed (a link of the chain), and their entry declared finished so that the tally may run.

A paper ballot cast in time may be entered after voting closes, from a box sealed before
``closes_at``, until the box's entry is declared finished; the tally waits for every sealed box
(issue 9 item 5). Only the sealing's own moment is recorded: a box sealed after closing lets
no ballot in late.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict
from core.queueing import enqueue_on_commit
from elections import chain
from elections.chain import text, timestamp
from elections.events import ElectionsEvent
from elections.models import PAPER_CHANNELS, BallotBox, TallyState, Vote, VoteStatus
from elections.rights import require_enter_ballots
from elections.services.common import lock
from elections.services.links import append_link
from governance.audit import apply_changes, audit_record
from governance.scoping import acting_user


@transaction.atomic
def ballot_box_seal(
    *, vote: Vote, label: str, channel: str, actor, witnesses: str = "", now: datetime.datetime | None = None
) -> BallotBox:
    """Record that the box ``label`` was sealed now, by ``actor``, before ``witnesses``."""
    require_enter_ballots(actor, vote.estate)
    now = now or timezone.now()
    lock(vote)
    if vote.status != VoteStatus.VOTING:
        raise Conflict(_("票箱在投票期间封箱登记。"), code="wrong_status")
    if channel not in PAPER_CHANNELS:
        raise ApplicationError(_("票箱须为集中投票箱或流动票箱。"), code="channel_invalid")
    label = (label or "").strip()
    if not label:
        raise ApplicationError(_("请填写票箱编号。"), code="label_required")
    if BallotBox.objects.filter(vote=vote, label=label).exists():
        raise Conflict(_("票箱“%(b)s”已封箱登记。") % {"b": label}, code="box_exists")
    box = BallotBox.objects.create(
        vote=vote,
        label=label,
        channel=channel,
        sealed_at=now,
        sealed_by=acting_user(actor),
        witnesses=(witnesses or "").strip(),
    )
    link = append_link(
        vote,
        chain.SEAL,
        {
            "box": text(label),
            "channel": channel,
            "sealed_at": timestamp(now),
            "sealed_by": box.sealed_by_id,
            "witnesses": text(witnesses),
        },
        now,
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.BALLOT_BOX_SEAL,
        obj=box,
        place=vote.estate,
        data={"label": label, "seq": link.seq, "hash": link.hash},
    )
    return box


@transaction.atomic
def ballot_box_finish(*, box: BallotBox, actor, now: datetime.datetime | None = None) -> BallotBox:
    """Declare a sealed box's ballots all entered; once every box is, a closed vote's tally runs."""
    vote = box.vote
    require_enter_ballots(actor, vote.estate)
    lock(vote)
    box = BallotBox.objects.select_for_update().get(pk=box.pk)
    if box.entry_done_at is not None:
        raise Conflict(_("该票箱已录入完毕。"), code="box_finished")
    changes = apply_changes(box, {"entry_done_at": now or timezone.now(), "entry_done_by": acting_user(actor)})
    box.save(update_fields=list(changes))
    audit_record(actor=actor, action=ElectionsEvent.BALLOT_BOX_FINISH, obj=box, place=vote.estate, changes=changes)
    if vote.status == VoteStatus.COUNTING and vote.tally_state == TallyState.PENDING and not boxes_pending(vote):
        # elections.tasks imports this package: importing it at the top would be circular.
        from elections.tasks import vote_tally_task

        enqueue_on_commit(vote_tally_task, vote.pk)
    return box


def boxes_pending(vote: Vote) -> bool:
    """Whether a sealed box's ballots are still being entered (the tally waits for them)."""
    return BallotBox.objects.filter(vote=vote, entry_done_at__isnull=True).exists()
