"""One estate drilled into, for those who may read it all (``view``): the staff, the committee, the auditors.

Tabs: overview, ledger, statements, obligations, votes, meetings, spending, property, projects.
The forms that change anything are linked from here only for those the service will let through
(``can(change)``); the service decides all the same.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from committees import selectors as committee_selectors
from committees.models import (
    LedgerLeg,
    LedgerTransaction,
    Meeting,
    Project,
    ServiceContract,
    SpendingRequest,
    Statement,
)
from committees.rules import RuleMemo
from committees.services import BANK
from elections.models import Vote, VoteStatus
from elections.rights import may_enter_ballots
from governance.models import Place, PlaceKind
from governance.scoping import Action, can
from governance.selectors import coverage
from oversight.models import Obligation, ObligationState, RevenueRules
from web.figures import STAGE_WAITS_ON
from web.scope import place_crumbs

TABS = {
    "overview": _("概况"),
    "ledger": _("公共收益账簿"),
    "statements": _("收支公开"),
    "obligations": _("四必义务"),
    "votes": _("投票"),
    "meetings": _("会议"),
    "spending": _("支出申请"),
    "property": _("物业服务"),
    "projects": _("项目"),
}


def readable_estate(user, pk: int) -> Place:
    """The estate if ``user`` may read all of it (404 otherwise: out of scope looks like missing)."""
    return get_object_or_404(Place.objects.restrict(user, Action.VIEW), pk=pk, kind=PlaceKind.ESTATE)


def _overview(estate: Place, today) -> dict:
    tree = coverage(estate)
    committee = committee_selectors.current_committee(estate)
    balances = committee_selectors.account_balances(estate)
    year_start = today.replace(month=1, day=1)
    obligations = Obligation.objects.filter(estate=estate).aggregate(
        open=Count("id", filter=Q(state=ObligationState.OPEN, due_on__gte=today)),
        overdue=Count("id", filter=Q(state=ObligationState.OVERDUE) | Q(state=ObligationState.OPEN, due_on__lt=today)),
        met=Count("id", filter=Q(state=ObligationState.MET, due_on__gte=year_start)),
    )
    return {
        "coverage": tree,
        "committee": committee,
        "summary": committee_selectors.committee_summary(committee) if committee else None,
        "posts": list(committee.posts.select_related("person").order_by("kind", "pk") if committee else []),
        "bank": balances.get(BANK),
        "obligations": obligations,
        "rules": RevenueRules.objects.filter(estate=estate).order_by("-adopted_on").first(),
        "contract": ServiceContract.objects.filter(estate=estate, start__lte=today, end__gte=today)
        .select_related("company")
        .first(),
    }


def _ledger(request, estate: Place) -> dict:
    rows = (
        LedgerTransaction.objects.filter(estate=estate)
        .select_related("recorded_by", "reverses")
        .prefetch_related(Prefetch("legs", queryset=LedgerLeg.objects.select_related("account").order_by("pk")))
        .order_by("-sequence")
    )
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(Q(memo__icontains=q) | Q(reason__icontains=q))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    reversed_ids = set(
        LedgerTransaction.objects.filter(estate=estate, reverses__in=[t.pk for t in page]).values_list(
            "reverses_id", flat=True
        )
    )
    entries = []
    for tx in page:
        amount = sum((leg.debit for leg in tx.legs.all()), 0)
        entries.append({"tx": tx, "amount": amount, "legs": list(tx.legs.all()), "reversed": tx.pk in reversed_ids})
    accounts = committee_selectors.ledger_accounts(estate)
    balances = committee_selectors.account_balances(estate)
    return {
        "page": page,
        "entries": entries,
        "q": q,
        "accounts": [{"account": a, "balance": balances.get(a.code)} for a in accounts],
        "pager_query": "tab=ledger" + (f"&q={q}" if q else ""),
    }


def _votes(estate: Place) -> dict:
    votes = list(Vote.objects.filter(estate=estate).order_by("-opens_at", "-pk"))
    return {"votes": votes}


def _spending(estate: Place) -> dict:
    rows = list(
        SpendingRequest.objects.filter(estate=estate)
        .select_related("purpose")
        .prefetch_related("approvals")
        .order_by("-requested_on", "-pk")[:100]
    )
    rules = RuleMemo()
    out = []
    for r in rows:
        done = {a.stage for a in r.approvals.all()}
        waiting = [s for s in r.required_stages(rules) if s not in done]
        out.append(
            {
                "request": r,
                "waiting": waiting[0] if waiting else None,
                "on": STAGE_WAITS_ON.get(waiting[0]) if waiting else None,
            }
        )
    return {"requests": out}


def _property(estate: Place) -> dict:
    contracts = list(
        ServiceContract.objects.filter(estate=estate)
        .select_related("company")
        .annotate(note_count=Count("performance_notes"))
        .order_by("-start")
    )
    return {"contracts": contracts}


def _projects(estate: Place) -> dict:
    projects = list(
        Project.objects.filter(estate=estate)
        .annotate(milestone_count=Count("milestones"))
        .order_by("-planned_start", "-pk")
    )
    rules = RuleMemo()
    return {"projects": [{"project": p, "major": p.major_under(rules)} for p in projects]}


@login_required
def estate(request, pk: int, tab: str = "overview"):
    """``/estates/<id>/[tab]/``: the estate as its overseers read it."""
    place = readable_estate(request.user, pk)
    if tab not in TABS:
        raise Http404
    today = timezone.localdate()
    context = {
        "estate": place,
        "tab": tab,
        "tabs": TABS,
        "today": today,
        "may_change": can(request.user, Action.CHANGE, place),
        "may_audit": can(request.user, Action.AUDIT, place),
        "may_enter": may_enter_ballots(request.user, place),
        "crumbs": [*place_crumbs(request.user, place.parent, Action.VIEW), {"name": place.name, "url": ""}]
        if place.parent_id
        else [{"name": place.name, "url": ""}],
    }
    if tab == "overview":
        context.update(_overview(place, today))
    elif tab == "ledger":
        context.update(_ledger(request, place))
    elif tab == "statements":
        context["statements"] = list(Statement.objects.filter(estate=place).order_by("-period_start"))
    elif tab == "obligations":
        context["obligations"] = list(
            Obligation.objects.filter(estate=place).select_related("responsible").order_by("-due_on", "-pk")[:200]
        )
    elif tab == "votes":
        context.update(_votes(place))
    elif tab == "meetings":
        context["meetings"] = list(Meeting.objects.filter(estate=place).order_by("-held_at", "-pk")[:100])
    elif tab == "spending":
        context.update(_spending(place))
    elif tab == "property":
        context.update(_property(place))
    elif tab == "projects":
        context.update(_projects(place))
    context["voting_states"] = (VoteStatus.VOTING, VoteStatus.COUNTING)
    return render(request, "web/estate.html", context)
