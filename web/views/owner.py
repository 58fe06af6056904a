"""The owner's own page, made for a phone: their units and household, the estate's notices, their votes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from committees.models import Meeting, Statement
from elections.models import Ballot, RollOwner, Vote, VoteStatus
from governance.models import Place
from governance.scoping import Action
from residents.models import Ownership, PropertyUnit, Resident
from residents.selectors import own_unit_ids

# What owners are shown of a vote, by its state: the notice with its candidates or motion, the ballot, the result.
NOTICE_STATES = (VoteStatus.NOMINATION, VoteStatus.REVIEW, VoteStatus.NOTICE)
RESULT_STATES = (VoteStatus.PRELIMINARY, VoteStatus.FINAL, VoteStatus.FILED, VoteStatus.FAILED)


def _units(user) -> list[dict]:
    """The user's units with their area and who lives there (the household), named as people name them."""
    today = timezone.localdate()
    units = list(
        PropertyUnit.objects.filter(pk__in=own_unit_ids(user, today))
        .select_related("building", "estate")
        .order_by("estate_id", "building__name", "stairway", "room")
    )
    person_id = user.person_id
    owned = set(
        Ownership.objects.active_on(today)
        .filter(unit__in=units, owner__person_id=person_id)
        .values_list("unit_id", flat=True)
    )
    household: dict[int, list[Resident]] = {}
    for r in (
        Resident.objects.current(today)
        .filter(unit__in=units)
        .select_related("person")
        .order_by("unit_id", "start", "pk")
    ):
        household.setdefault(r.unit_id, []).append(r)
    return [{"unit": u, "owned": u.pk in owned, "household": household.get(u.pk, [])} for u in units]


@login_required
def mine(request):
    """``/mine/``: my units and household, my estate's notices, the votes I may cast and whether I have."""
    user = request.user
    units = _units(user) if user.person_id else []
    estate_ids = {row["unit"].estate_id for row in units}
    estate_ids |= set(Place.objects.restrict(user, Action.VOTE).filter(kind="estate").values_list("pk", flat=True))
    estates = list(Place.objects.filter(pk__in=estate_ids).order_by("name"))
    votes = list(
        Vote.objects.filter(estate__in=estates)
        .exclude(status__in=[VoteStatus.DRAFT, VoteStatus.CANCELLED])
        .select_related("estate")
        .order_by("-opens_at", "-pk")[:20]
    )
    # Whether a live ballot stands for the user's own counted owner in each open vote: one query.
    mine_entries = set(
        RollOwner.objects.filter(vote__in=votes, owner__person__user=user).values_list("vote_id", "entry_id")
    )
    voted = set(
        Ballot.objects.filter(voided=False, vote__in=votes, entry_id__in=[e for _v, e in mine_entries]).values_list(
            "vote_id", flat=True
        )
    )
    rows = []
    for vote in votes:
        on_roll = any(v == vote.pk for v, _e in mine_entries)
        rows.append(
            {
                "vote": vote,
                "on_roll": on_roll,
                "voted": vote.pk in voted,
                "open": vote.status == VoteStatus.VOTING,
                "notice": vote.status in NOTICE_STATES,
                "result": vote.status in RESULT_STATES,
            }
        )
    minutes = list(
        Meeting.objects.filter(estate__in=estates, minutes_published_at__isnull=False)
        .select_related("estate")
        .order_by("-held_at")[:6]
    )
    statements = list(Statement.objects.filter(estate__in=estates).select_related("estate").order_by("-period_end")[:4])
    return render(
        request,
        "web/mine.html",
        {
            "units": units,
            "estates": estates,
            "open_votes": [r for r in rows if r["open"]],
            "notices": [r for r in rows if r["notice"]],
            "results": [r for r in rows if r["result"]][:6],
            "minutes": minutes,
            "statements": statements,
        },
    )
