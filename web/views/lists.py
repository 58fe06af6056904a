"""The lists behind the workspace's figures: obligations, petitions, meetings, spending requests.

Each reads the user's scoped queryset (``restrict(user, view)``) under the chosen place, with a
filter the figure's link names, a search box, and pages of fifty.
"""

from __future__ import annotations

import datetime

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import Meeting, MeetingKind, SpendingRequest, SpendingStatus
from governance.scoping import Action, subtree_q
from oversight.models import Obligation, ObligationKind, ObligationState, Petition, PetitionCategory
from web.nav import needs
from web.scope import chosen_place, place_crumbs

PAGE = 50


def _year(request) -> int | None:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 1990 < int(value) < 2200 else None


def _page(request, queryset):
    return Paginator(queryset, PAGE).get_page(request.GET.get("page"))


def _query(request, **keep) -> str:
    """The current filters as a query string, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    for key, value in keep.items():
        params[key] = value
    return params.urlencode()


def _place(request):
    place = chosen_place(request, Action.VIEW)
    if place is None:
        raise Http404
    return place


@needs("view")
def obligations(request):
    """The four musts' obligations under a place, by ``state`` (open, overdue, due_today, met, waived), kind, year."""
    place = _place(request)
    today = timezone.localdate()
    rows = Obligation.objects.restrict(request.user, Action.VIEW).filter(subtree_q(place, "estate__"))
    state = request.GET.get("state", "")
    if state == "overdue":
        rows = rows.filter(Q(state=ObligationState.OVERDUE) | Q(state=ObligationState.OPEN, due_on__lt=today))
    elif state == "due_today":
        rows = rows.filter(state=ObligationState.OPEN, due_on=today)
    elif state in ObligationState.values:
        rows = rows.filter(state=state)
    kind = request.GET.get("kind", "")
    if kind in ObligationKind.values:
        rows = rows.filter(kind=kind)
    year = _year(request)
    if year:
        rows = rows.filter(due_on__gte=datetime.date(year, 1, 1), due_on__lte=min(datetime.date(year, 12, 31), today))
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(estate__name__icontains=q))
    rows = rows.select_related("estate", "responsible").order_by("due_on", "pk")
    return render(
        request,
        "web/obligations.html",
        {
            "place": place,
            "page": _page(request, rows),
            "today": today,
            "state": state,
            "kind": kind,
            "year": year or "",
            "q": q,
            "states": [("overdue", _("逾期未履行")), ("due_today", _("今日到期")), *ObligationState.choices],
            "kinds": ObligationKind.choices,
            "pager_query": _query(request),
            "crumbs": place_crumbs(request.user, place, Action.VIEW, "web:obligations"),
        },
    )


@needs("view")
def petitions(request):
    """Petitions under a place by year and category; petitioners' names masked."""
    place = _place(request)
    rows = Petition.objects.restrict(request.user, Action.VIEW).filter(subtree_q(place, "place__"))
    year = _year(request)
    if year:
        rows = rows.filter(received_on__year=year)
    category = request.GET.get("category", "")
    if category in PetitionCategory.values:
        rows = rows.filter(category=category)
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(Q(summary__icontains=q) | Q(reference__icontains=q) | Q(place__name__icontains=q))
    rows = rows.select_related("place").order_by("-received_on", "-pk")
    return render(
        request,
        "web/petitions.html",
        {
            "place": place,
            "page": _page(request, rows),
            "year": year or "",
            "category": category,
            "categories": PetitionCategory.choices,
            "q": q,
            "pager_query": _query(request),
            "crumbs": place_crumbs(request.user, place, Action.VIEW, "web:petitions"),
        },
    )


@needs("view")
def meetings(request):
    """Meetings under a place, newest first, with the party organization's attendance (必列席)."""
    place = _place(request)
    rows = Meeting.objects.restrict(request.user, Action.VIEW).filter(subtree_q(place, "estate__"))
    kind = request.GET.get("kind", "")
    if kind in MeetingKind.values:
        rows = rows.filter(kind=kind)
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(estate__name__icontains=q))
    rows = rows.select_related("estate").order_by("-held_at", "-pk")
    return render(
        request,
        "web/meetings.html",
        {
            "place": place,
            "page": _page(request, rows),
            "kind": kind,
            "kinds": MeetingKind.choices,
            "q": q,
            "pager_query": _query(request),
            "crumbs": place_crumbs(request.user, place, Action.VIEW, "web:meetings"),
        },
    )


@needs("view")
def spending(request):
    """Spending requests under a place, by status; split purchases flagged."""
    place = _place(request)
    rows = SpendingRequest.objects.restrict(request.user, Action.VIEW).filter(subtree_q(place, "estate__"))
    status = request.GET.get("status", "")
    if status in SpendingStatus.values:
        rows = rows.filter(status=status)
    if request.GET.get("split"):
        rows = rows.filter(split_flagged=True)
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(Q(payee__icontains=q) | Q(description__icontains=q) | Q(estate__name__icontains=q))
    rows = rows.select_related("estate", "purpose").order_by("-requested_on", "-pk")
    return render(
        request,
        "web/spending_list.html",
        {
            "place": place,
            "page": _page(request, rows),
            "status": status,
            "statuses": SpendingStatus.choices,
            "q": q,
            "pager_query": _query(request),
            "crumbs": place_crumbs(request.user, place, Action.VIEW, "web:spending-list"),
        },
    )
