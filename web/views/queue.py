"""What waits on the user: the supervision group's sign-offs, the discipline reviewer's early interventions,
the committee's decisions and payments. Each item opens the page where it is signed or objected to.
"""

from __future__ import annotations

from collections import defaultdict

from django.shortcuts import render

from committees.models import SpendingApproval, SpendingRequest, SpendingStatus, Stage, SupervisionGroup
from committees.rules import RuleMemo
from governance.scoping import Action
from oversight.selectors import supervision_queues
from web.nav import needs
from web.scope import home_places


def _waiting(requests: list[SpendingRequest]) -> dict[int, list[str]]:
    done = defaultdict(set)
    for request_id, stage in SpendingApproval.objects.filter(request__in=requests).values_list("request_id", "stage"):
        done[request_id].add(stage)
    rules = RuleMemo()
    return {r.pk: [s for s in r.required_stages(rules) if s not in done[r.pk]] for r in requests}


def _supervision_items(user) -> list[dict]:
    """Pending requests of the estates whose supervision group the user sits on, waiting for the group's signature."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return []
    estates = SupervisionGroup.objects.filter(members__person_id=person_id).values("estate_id")
    pending = list(
        SpendingRequest.objects.filter(estate_id__in=estates, status=SpendingStatus.PENDING)
        .select_related("estate", "purpose")
        .order_by("requested_on", "pk")
    )
    waiting = _waiting(pending)
    return [
        {"request": r, "waiting": waiting[r.pk], "mine": bool(waiting[r.pk]) and waiting[r.pk][0] == Stage.SUPERVISION}
        for r in pending
        if Stage.SUPERVISION in waiting[r.pk]
    ]


def _committee_items(user) -> list[dict]:
    """Requests in the user's scope waiting for the committee's decision or for payment."""
    rows = list(
        SpendingRequest.objects.restrict(user, Action.CHANGE)
        .filter(status__in=(SpendingStatus.PENDING, SpendingStatus.APPROVED))
        .select_related("estate", "purpose")
        .order_by("requested_on", "pk")[:100]
    )
    waiting = _waiting([r for r in rows if r.status == SpendingStatus.PENDING])
    items = []
    for r in rows:
        if r.status == SpendingStatus.APPROVED:
            items.append({"request": r, "next": "pay"})
        elif waiting.get(r.pk) and waiting[r.pk][0] == Stage.COMMITTEE:
            items.append({"request": r, "next": "committee"})
    return items


@needs("queue")
def queue(request):
    """``/queue/``: the spending and matters waiting on the user's signature, opinion or payment."""
    user = request.user
    discipline = []
    for place in home_places(user, Action.REVIEW):
        discipline.extend(supervision_queues(place)["discipline"])
    committee = _committee_items(user) if SpendingRequest.objects.restrict(user, Action.CHANGE).exists() else []
    return render(
        request,
        "web/queue.html",
        {"supervision": _supervision_items(user), "discipline": discipline, "committee": committee},
    )
