"""The home page for every role: the secretary's workspace, the clerk's desk, or the owner's own page."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Place, PlaceKind
from governance.scoping import Action, subtree_q
from governance.selectors import coverage
from oversight.models import ObligationKind
from residents.selectors import party_participation
from web import charts
from web.figures import GAPS, estate_gaps, estates_of, occupancy_by_estate, votes_in_progress, workspace
from web.nav import needs, rights_of
from web.scope import chosen_place, home_places, place_crumbs
from web.views.desk import desk
from web.views.owner import mine


def home(request):
    """``/``: the workspace for staff, the desk for a clerk, the owner's page for everyone else."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    rights = rights_of(request)
    if rights.view:
        return workspace_page(request)
    if rights.enter_ballots:
        return desk(request)
    return mine(request)


def _charts(ws) -> dict:
    estates = estates_of(ws.coverage)
    covered = ws.coverage["covered_estates"]
    result = {
        "coverage": charts.donut([(_("全覆盖"), covered), (_("未全覆盖"), ws.coverage["estates"] - covered)]),
        "compliance": charts.bar(
            [str(label) for label in ObligationKind.labels],
            [
                (_("按时履行"), [ws.compliance["by_kind"][k]["met_on_time"] for k in ObligationKind.values]),
                (_("逾期后履行"), [ws.compliance["by_kind"][k]["met_late"] for k in ObligationKind.values]),
                (_("逾期未履行"), [ws.compliance["by_kind"][k]["overdue_count"] for k in ObligationKind.values]),
            ],
            stack=True,
        ),
        "petitions": charts.line(
            [str(y["year"]) for y in ws.petition_years],
            [(_("物业类占比"), [y["share"] for y in ws.petition_years])],
            percent=True,
        ),
    }
    if ws.votes:
        result["votes"] = charts.quorum_bars(ws.votes)
    if ws.participation["rows"]:
        rows = ws.participation["rows"]
        result["participation"] = charts.bar(
            [r["estate_name"] for r in rows],
            [(_("在职党员参与率"), [r["share"] for r in rows])],
            percent=True,
            ids=[r["estate"] for r in rows],
        )
    if ws.occupancy_series:
        result["occupancy"] = charts.line(
            [p["on"][:7] for p in ws.occupancy_series],
            [(_("入住率"), [p["rate"] for p in ws.occupancy_series])],
            percent=True,
        )
    if len(estates) > 1 and ws.committees["rows"]:
        rows = ws.committees["rows"]
        result["committees"] = charts.bar(
            [r["committee"].estate.name for r in rows],
            [(_("党员占比"), [r["summary"].party_member_share for r in rows])],
            percent=True,
            line_at="50",
            line_label=_("目标 1/2"),
            ids=[r["committee"].estate_id for r in rows],
        )
    return result


def workspace_page(request):
    """The headline figures of the chosen scope with their charts, what is due, the votes and the money waiting."""
    homes = home_places(request.user, Action.VIEW)
    place = chosen_place(request, Action.VIEW, homes=homes)
    if place is None:
        return render(request, "web/workspace_empty.html", {})
    ws = workspace(place)
    children = [c for c in ws.coverage.get("children", ())]
    context = {
        "ws": ws,
        "place": place,
        "children": children,
        "homes": homes,
        "charts": _charts(ws),
        "gap_labels": GAPS,
        "crumbs": place_crumbs(request.user, place, Action.VIEW),
        "flagged": [w for w in ws.warnings if w["flagged"]],
    }
    return render(request, "web/workspace.html", context)


@needs("view")
def turnout(request):
    """The live turnout of the votes in progress under a place, as text the workspace refreshes."""
    place = chosen_place(request, Action.VIEW)
    if place is None:
        raise Http404
    data = {}
    for row in votes_in_progress(place):
        pk = row["vote"].pk
        data[f"owners-{pk}"] = f"{row['owners']:,} / {row['total_owners']:,}"
        data[f"owner_share-{pk}"] = f"{row['owner_share']}%"
        data[f"area_share-{pk}"] = f"{row['area_share']}%"
        data[f"quorum-{pk}"] = _("已达法定人数") if row["quorum_met"] else _("未达法定人数")
    data["at"] = timezone.localtime().strftime("%H:%M:%S")
    return JsonResponse(data)


@needs("view")
def estates(request):
    """The estates under a place with what each lacks; ``?gap=`` keeps those lacking one part (a figure's list)."""
    place = chosen_place(request, Action.VIEW)
    if place is None:
        raise Http404
    gap = request.GET.get("gap", "")
    if gap and gap not in GAPS:
        raise Http404
    tree = coverage(place)
    gaps = estate_gaps(place, tree)
    missing_by_estate: dict[int, list[str]] = {}
    for key, rows in gaps.items():
        for row in rows:
            missing_by_estate.setdefault(row["id"], []).append(key)
    today = timezone.localdate()
    occupancy = occupancy_by_estate(place, today)
    participation = {r["estate"]: r for r in party_participation(place, on=today)}
    empty_occupancy = {"units": 0, "occupied": 0, "rate": "0.00"}
    rows = [
        {
            "place": e["place"],
            "missing": missing_by_estate.get(e["place"]["id"], []),
            "parts": e["parts"],
            "occupancy": occupancy.get(e["place"]["id"], empty_occupancy),
            "participation": participation.get(e["place"]["id"]),
        }
        for e in estates_of(tree)
    ]
    if gap:
        rows = [r for r in rows if gap in r["missing"]]
    query = request.GET.get("q", "").strip()
    if query:
        rows = [r for r in rows if query in r["place"]["name"]]
    sort = request.GET.get("sort", "")
    if sort == "occupancy":
        rows.sort(key=lambda r: Decimal(r["occupancy"]["rate"]))
    elif sort == "participation":
        rows.sort(key=lambda r: Decimal(r["participation"]["share"]) if r["participation"] else Decimal(-1))
    communities = dict(Place.objects.filter(subtree_q(place), kind=PlaceKind.ESTATE).values_list("pk", "parent__name"))
    for r in rows:
        r["community"] = communities.get(r["place"]["id"], "")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/estates.html",
        {
            "place": place,
            "gap": gap,
            "gap_label": GAPS.get(gap, ""),
            "gap_labels": GAPS,
            "page": page,
            "q": query,
            "count": len(rows),
            "sort": sort,
            "pager_query": _pager_query(request),
            "crumbs": place_crumbs(request.user, place, Action.VIEW, "web:estates", {"gap": gap} if gap else None),
        },
    )


def _pager_query(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
