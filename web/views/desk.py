"""The clerk's desk: the votes whose paper ballots the user enters, and for each the work of the day."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import render

from elections.models import TallyState, Vote, VoteStatus
from governance.scoping import EVERYWHERE, Action, scope_filter
from web.nav import needs


def _enterable_votes(user):
    """Votes whose ballots ``user`` may enter now: open, or closed with sealed boxes still being entered."""
    q = Q()
    for action in (Action.ENTER_BALLOT, Action.RUN_VOTE):
        f = scope_filter(Vote, user, action)
        if f is EVERYWHERE:
            q = Q()
            break
        q |= f
    votes = Vote.objects.filter(q) if q else Vote.objects.all()
    return votes.filter(
        Q(status=VoteStatus.VOTING) | Q(status=VoteStatus.COUNTING, tally_state=TallyState.PENDING)
    ).select_related("estate")


@needs("enter_ballots")
def desk(request):
    """``/desk/``: the votes the clerk works on today."""
    votes = list(_enterable_votes(request.user).order_by("closes_at", "pk")[:50])
    return render(request, "web/desk.html", {"votes": votes})
