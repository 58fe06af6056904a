"""Web pages for an estate's residents: the committee, published minutes and published statements."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from committees import exports, selectors
from committees.files import protected_file_response
from committees.models import (
    CommitteeStatus,
    MeetingAttachment,
    OwnersCommittee,
    Project,
    SpendingRequest,
    SpendingStatus,
    Statement,
)
from governance.models import Place, PlaceKind, Post, PostKind
from governance.scoping import Action, can, subtree_q


def _estate(user, pk):
    return get_object_or_404(Place.objects.restrict(user, Action.VIEW_PUBLIC), pk=pk, kind=PlaceKind.ESTATE)


RANK = {PostKind.CHAIR: 0, PostKind.VICE_CHAIR: 1, PostKind.MEMBER: 2}


def _by_rank(posts):
    """Chair first, then vice-chairs, then members (current posts only)."""
    return sorted(
        Post.objects.current().filter(pk__in=posts.values("pk")).select_related("person"),
        key=lambda p: (RANK.get(p.kind, 9), p.pk),
    )


def _under(request):
    """The place named by ``?place=`` (404 outside the user's reading scope), or ``None`` for the whole scope."""
    value = request.GET.get("place", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    return get_object_or_404(Place.objects.restrict(request.user, Action.VIEW), pk=int(value))


@login_required
def overview(request):
    """For staff: the committees in scope (terms, party share, 一肩挑, filing) and spending needing attention.

    These are the committee records (the current ``OwnersCommittee`` of each estate): the one count
    of committees that the workspace, the coverage and the reports give too. ``?place=`` narrows it.
    """
    place = _under(request)
    committees = OwnersCommittee.objects.restrict(request.user, Action.VIEW).filter(status=CommitteeStatus.CURRENT)
    spending = SpendingRequest.objects.restrict(request.user, Action.VIEW)
    if place is not None:
        committees = committees.filter(subtree_q(place, "estate__"))
        spending = spending.filter(subtree_q(place, "estate__"))
    committees = list(committees.select_related("estate").order_by("term_end"))
    summaries = selectors.committee_summaries(committees)
    spending = (
        spending.filter(Q(split_flagged=True) | Q(status=SpendingStatus.PENDING))
        .exclude(status=SpendingStatus.PAID)
        .select_related("estate", "purpose")
        .order_by("-requested_on")[:50]
    )
    return render(
        request,
        "committees/overview.html",
        {"rows": [(c, summaries[c.pk]) for c in committees], "spending": spending, "place": place},
    )


@login_required
def estate_public(request, estate_id: int):
    """What the estate's owners may see: the committee, published minutes and statements, projects."""
    estate = _estate(request.user, estate_id)
    committee = selectors.current_committee(estate)
    context = {
        "estate": estate,
        "committee": committee,
        "summary": selectors.committee_summary(committee) if committee else None,
        "posts": _by_rank(committee.posts.select_related("person")) if committee else [],
        "meetings": selectors.meetings_readable_by(request.user)
        .filter(estate=estate, minutes_published_at__isnull=False)
        .order_by("-held_at")[:24],
        "statements": Statement.objects.filter(estate=estate).order_by("-period_start"),
        "projects": Project.objects.filter(estate=estate).order_by("-planned_start"),
    }
    return render(request, "committees/estate_public.html", context)


@login_required
def meeting_detail(request, pk: int):
    meeting = get_object_or_404(selectors.meetings_readable_by(request.user), pk=pk)
    return render(
        request,
        "committees/meeting_detail.html",
        {"meeting": meeting, "decisions": meeting.decisions.all(), "attachments": meeting.attachments.all()},
    )


@login_required
def attachment(request, pk: int):
    """Download a meeting's attachment: only for those who may read the meeting (residents: published minutes)."""
    found = get_object_or_404(
        MeetingAttachment.objects.filter(meeting__in=selectors.meetings_readable_by(request.user)), pk=pk
    )
    return protected_file_response(found.file)


def _statement(request, pk):
    return get_object_or_404(
        Statement.objects.restrict(request.user, Action.VIEW_PUBLIC).select_related("estate"), pk=pk
    )


@login_required
def statement_detail(request, pk: int):
    statement = _statement(request, pk)
    return render(
        request,
        "committees/statement_detail.html",
        {"statement": statement, "f": statement.figures, "can_audit": can(request.user, Action.VIEW, statement.estate)},
    )


@login_required
def statement_pdf(request, pk: int):
    statement = _statement(request, pk)
    response = HttpResponse(exports.statement_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(statement, "pdf")}"'
    return response


@login_required
def statement_xlsx(request, pk: int):
    statement = _statement(request, pk)
    response = HttpResponse(
        exports.statement_xlsx(statement),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(statement, "xlsx")}"'
    return response
