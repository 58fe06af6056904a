"""What waits on whom: the discipline committee's early-intervention queue beside the supervision group's queue."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Max
from django.utils import timezone

from committees.models import Project, SpendingApproval, SpendingRequest, SpendingStatus, Stage
from elections.models import Vote, VoteKind, VoteStatus
from governance.models import Place
from governance.rules import rule
from governance.scoping import subtree_q
from oversight.models import InterventionOpinion

# A resolution vote still to be decided by the owners.
UNDECIDED_VOTE = (VoteStatus.DRAFT, VoteStatus.NOMINATION, VoteStatus.REVIEW, VoteStatus.NOTICE, VoteStatus.VOTING)


def project_accepted_on(project: Project) -> datetime.date | None:
    """The day a project was accepted (验收), or None while it is not."""
    return project.accepted_on


def _opinions(field: str, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    rows = (
        InterventionOpinion.objects.filter(**{f"{field}__in": ids})
        .values(field)
        .annotate(n=Count("id"), last=Max("created_at"))
        .order_by()
    )
    return {row[field]: {"opinions": row["n"], "last_opinion_at": row["last"]} for row in rows}


def _spending_items(pending: list, done: dict) -> tuple[list[dict], list[dict]]:
    """The pending spending requests waiting on the discipline stage, and those waiting on the supervision group."""
    opinions = _opinions("spending_request", [r.pk for r in pending])
    discipline, supervision = [], []
    for request in pending:
        waiting = [s for s in request.required_stages() if s not in done[request.pk]]
        item = {
            "type": "spending_request",
            "id": request.pk,
            "estate": {"id": request.estate_id, "name": request.estate.name},
            "title": f"{request.payee} · {request.purpose.name}",
            "amount": str(request.approval_basis),
            "since": request.requested_on.isoformat(),
            "waiting_on": [str(s) for s in waiting],
            "next": str(waiting[0]) if waiting else None,
        }
        if Stage.DISCIPLINE in waiting:
            discipline.append({**item, **opinions.get(request.pk, {"opinions": 0, "last_opinion_at": None})})
        if Stage.SUPERVISION in waiting:
            supervision.append(item)
    return discipline, supervision


def _vote_item(vote: Vote) -> dict:
    return {
        "type": "vote",
        "id": vote.pk,
        "estate": {"id": vote.estate_id, "name": vote.estate.name},
        "title": vote.title,
        "amount": None,
        "since": timezone.localtime(vote.opens_at).date().isoformat(),
        "closes": timezone.localtime(vote.closes_at).date().isoformat(),
        "waiting_on": ["owners"],
        "next": "owners",
    }


def _project_item(project: Project) -> dict:
    return {
        "type": "project",
        "id": project.pk,
        "estate": {"id": project.estate_id, "name": project.estate.name},
        "title": project.title,
        "amount": str(project.budget),
        "since": (project.actual_start or project.planned_start or project.created_at.date()).isoformat(),
        "waiting_on": ["acceptance"],
        "next": "acceptance",
    }


def supervision_queues(place: Place, *, today: datetime.date | None = None) -> dict:
    """The matters waiting on the street discipline committee and on the owners' supervision groups under ``place``.

    The discipline queue holds, before they are decided: spending requests whose amount calls
    for the discipline stage and that it has not yet signed, resolution votes of the owners
    still open, and major projects not yet accepted; each with the opinions recorded so far.
    The supervision group's queue holds the spending requests waiting on its sign-off. Six
    queries whatever the number of estates.
    """
    today = today or timezone.localdate()
    in_place = subtree_q(place, "estate__")
    pending = list(
        SpendingRequest.objects.filter(in_place, status=SpendingStatus.PENDING)
        .select_related("estate", "purpose")
        .order_by("requested_on", "pk")
    )
    done = defaultdict(set)
    for request_id, stage in SpendingApproval.objects.filter(request__in=[r.pk for r in pending]).values_list(
        "request_id", "stage"
    ):
        done[request_id].add(stage)
    threshold = rule("MAJOR_PROJECT_THRESHOLD", place)
    projects = [
        p
        for p in Project.objects.filter(in_place, budget__gte=threshold).select_related("estate").order_by("pk")
        if project_accepted_on(p) is None
    ]
    votes = list(
        Vote.objects.filter(in_place, kind=VoteKind.RESOLUTION, status__in=UNDECIDED_VOTE)
        .select_related("estate")
        .order_by("closes_at", "pk")
    )
    discipline, supervision = _spending_items(pending, done)
    no_opinion = {"opinions": 0, "last_opinion_at": None}
    vote_opinions = _opinions("vote", [v.pk for v in votes])
    discipline += [{**_vote_item(vote), **vote_opinions.get(vote.pk, no_opinion)} for vote in votes]
    project_opinions = _opinions("project", [p.pk for p in projects])
    discipline += [{**_project_item(project), **project_opinions.get(project.pk, no_opinion)} for project in projects]
    return {"place": {"id": place.pk, "name": place.name}, "discipline": discipline, "supervision_group": supervision}
