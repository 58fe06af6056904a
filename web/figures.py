"""The figures of the secretary's workspace for one place's subtree, from the apps' own selectors.

Every figure is the one the API and the reports give (the same selector called the same way),
and every one of them comes with the list behind it. A fixed number of queries whatever the
size of the scope: each part is one selector or one aggregate over the subtree.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees.models import (
    CommitteeStatus,
    Meeting,
    OwnersCommittee,
    SpendingApproval,
    SpendingRequest,
    SpendingStatus,
    Stage,
)
from committees.rules import RuleMemo
from committees.selectors import committee_summaries
from core.numbers import percent
from elections.models import Ballot, Vote, VoteStatus
from governance.models import Place, PlaceKind
from governance.scoping import subtree_q
from governance.selectors import coverage
from oversight.models import Obligation, ObligationState, RevenueRules
from oversight.selectors import commissioners, compliance, early_warning, petition_shares
from oversight.selectors.petitions import petition_counts
from residents import selectors as residents_selectors
from residents.selectors import occupancy_rate, occupancy_series, party_participation

# The gaps of an estate, as the workspace lists them; each names the list page's filter.
GAPS = {
    "general_branch": gettext_lazy("缺小区党总支"),
    "building_groups": gettext_lazy("楼栋未全覆盖党小组"),
    "owners_committee": gettext_lazy("缺业委会（且未备案自治管理）"),
    "commissioner": gettext_lazy("缺物业管理专员"),
    "revenue_rules": gettext_lazy("缺公共收益管理办法"),
}

# Who signs each stage of a spending request: the page says on whom a request waits.
STAGE_WAITS_ON = {
    Stage.COMMITTEE: gettext_lazy("业委会"),
    Stage.SUPERVISION: gettext_lazy("事务监督组"),
    Stage.DISCIPLINE: gettext_lazy("街道纪工委"),
}


def estates_of(tree: dict) -> list[dict]:
    """The estate nodes of a coverage tree, in tree order."""
    if tree["place"]["kind"] == PlaceKind.ESTATE:
        return [tree]
    return [e for child in tree.get("children", ()) for e in estates_of(child)]


def estate_gaps(place: Place, tree: dict | None = None) -> dict[str, list[dict]]:
    """The estates under ``place`` lacking each part: a general branch, building groups, a committee,
    a commissioner, public-revenue rules. Four queries beside the coverage tree."""
    tree = tree or coverage(place)
    estates = estates_of(tree)
    gaps: dict[str, list[dict]] = {key: [] for key in GAPS}
    for estate in estates:
        for missing in estate.get("missing", ()):
            gaps[missing].append(estate["place"])
    for row in commissioners(place):
        if row["commissioner"] is None:
            gaps["commissioner"].append({**row["estate"], "kind": PlaceKind.ESTATE})
    with_rules = set(RevenueRules.objects.filter(subtree_q(place, "estate__")).values_list("estate_id", flat=True))
    gaps["revenue_rules"] = [e["place"] for e in estates if e["place"]["id"] not in with_rules]
    return gaps


@dataclass
class Workspace:
    place: Place
    today: datetime.date
    coverage: dict = field(default_factory=dict)
    gaps: dict = field(default_factory=dict)
    committees: dict = field(default_factory=dict)
    occupancy: dict = field(default_factory=dict)
    occupancy_series: list = field(default_factory=list)
    participation: dict = field(default_factory=dict)
    compliance: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    petitions: dict = field(default_factory=dict)
    petition_years: list = field(default_factory=list)
    due: dict = field(default_factory=dict)
    votes: list = field(default_factory=list)
    spending: list = field(default_factory=list)
    meetings: list = field(default_factory=list)


def occupancy_by_estate(place: Place, on: datetime.date) -> dict[int, dict]:
    """Each estate's occupancy under ``place`` on ``on``, as ``occupancy_rate`` counts it (two queries)."""
    return residents_selectors.occupancy_by_estate(place, on)


def committee_figures(place: Place, today: datetime.date) -> dict:
    """The current committees under ``place`` (the committee records: the one count everywhere) and their terms."""
    committees = list(
        OwnersCommittee.objects.filter(subtree_q(place, "estate__"), status=CommitteeStatus.CURRENT)
        .select_related("estate")
        .order_by("term_end", "pk")
    )
    summaries = committee_summaries(committees, on=today, rules=RuleMemo())
    rows = [{"committee": c, "summary": summaries[c.pk]} for c in committees]
    members = sum(r["summary"].members for r in rows)
    party = sum(r["summary"].party_members for r in rows)
    soon = today + datetime.timedelta(days=180)
    return {
        "count": len(rows),
        "rows": rows,
        "lapsed": [r for r in rows if r["summary"].lapsed],
        "ending_soon": [r for r in rows if not r["summary"].lapsed and r["committee"].term_end <= soon],
        "filing_overdue": [r for r in rows if r["summary"].filing_overdue],
        "members": members,
        "party_members": party,
        "party_share": percent(party, members),
        "secretary_chairs": sum(1 for r in rows if r["summary"].chair_is_secretary),
    }


def participation_figures(place: Place, today: datetime.date) -> dict:
    rows = party_participation(place, on=today)
    members = sum(r["in_service_members"] for r in rows)
    took_part = sum(r["took_part"] for r in rows)
    return {
        "rows": [r for r in rows if r["estate"]],
        "members": members,
        "took_part": took_part,
        "share": percent(took_part, members),
    }


def due_figures(place: Place, today: datetime.date, voting: list[Vote] | None = None) -> dict:
    """What is due today and what is overdue under ``place``: the four musts' obligations, votes closing today.

    ``voting``: the votes in progress under ``place`` when the caller has read them already (no query then).
    """
    live = Obligation.objects.filter(
        subtree_q(place, "estate__"), state__in=(ObligationState.OPEN, ObligationState.OVERDUE)
    )
    overdue = Q(state=ObligationState.OVERDUE) | Q(state=ObligationState.OPEN, due_on__lt=today)
    counts = live.aggregate(
        today=Count("id", filter=Q(due_on=today, state=ObligationState.OPEN)), overdue=Count("id", filter=overdue)
    )
    rows = list(live.filter(Q(due_on=today) | overdue).select_related("estate").order_by("due_on", "pk")[:12])
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    end = start + datetime.timedelta(days=1)
    if voting is None:
        voting = list(
            Vote.objects.filter(subtree_q(place, "estate__"), status=VoteStatus.VOTING).select_related("estate")
        )
    closing = sorted(
        (v for v in voting if v.status == VoteStatus.VOTING and start <= v.closes_at < end),
        key=lambda v: (v.closes_at, v.pk),
    )
    return {"today": counts["today"], "overdue": counts["overdue"], "obligations": rows, "votes_closing": closing}


def votes_in_progress(place: Place) -> list[dict]:
    """Votes open under ``place``, turnout by area and by owners against the two-thirds quorum. Two queries."""
    votes = list(
        Vote.objects.filter(subtree_q(place, "estate__"), status=VoteStatus.VOTING)
        .select_related("estate")
        .order_by("closes_at", "pk")
    )
    turnout = {
        row["vote_id"]: row
        for row in Ballot.objects.filter(vote__in=votes, voided=False)
        .values("vote_id")
        .annotate(owners=Count("id"), area_cents=Sum("area_cents"))
        .order_by()
    }
    rows = []
    for vote in votes:
        t = turnout.get(vote.pk, {"owners": 0, "area_cents": 0})
        total_owners = vote.roll_total_owners or 0
        total_cents = int((vote.roll_total_area or 0) * 100)
        owners, cents = t["owners"], t["area_cents"] or 0
        rows.append(
            {
                "vote": vote,
                "title": vote.title,
                "owners": owners,
                "total_owners": total_owners,
                "area": f"{cents // 100}.{cents % 100:02d}",
                "total_area": vote.roll_total_area,
                "owner_share": percent(owners, total_owners),
                "area_share": percent(cents, total_cents),
                # docs/domain.md §4: at least two thirds of the area and of the owners take part.
                "quorum_met": total_owners > 0 and 3 * owners >= 2 * total_owners and 3 * cents >= 2 * total_cents,
            }
        )
    return rows


def spending_waiting(place: Place, limit: int = 12) -> list[dict]:
    """Spending requests not yet approved under ``place``, each with the stage it waits for and on whom. Two queries."""
    pending = list(
        SpendingRequest.objects.filter(subtree_q(place, "estate__"), status=SpendingStatus.PENDING)
        .select_related("estate", "purpose")
        .order_by("requested_on", "pk")[:limit]
    )
    done = defaultdict(set)
    for request_id, stage in SpendingApproval.objects.filter(request__in=pending).values_list("request_id", "stage"):
        done[request_id].add(stage)
    rules = RuleMemo()
    rows = []
    for request in pending:
        waiting = [s for s in request.required_stages(rules) if s not in done[request.pk]]
        stage = waiting[0] if waiting else None
        rows.append(
            {
                "request": request,
                "stage": Stage(stage).label if stage else _("待支付"),
                "on": STAGE_WAITS_ON.get(stage, _("业委会")),
                "signed": [Stage(s).label for s in request.required_stages(rules) if s in done[request.pk]],
            }
        )
    return rows


def recent_meetings(place: Place, limit: int = 8) -> list[Meeting]:
    return list(
        Meeting.objects.filter(subtree_q(place, "estate__"))
        .select_related("estate")
        .order_by("-held_at", "-pk")[:limit]
    )


def workspace(place: Place, *, today: datetime.date | None = None) -> Workspace:
    """Every figure of the workspace for ``place``'s subtree."""
    today = today or timezone.localdate()
    tree = coverage(place)
    year_start = today.replace(month=1, day=1)
    ws = Workspace(place=place, today=today, coverage=tree)
    ws.gaps = estate_gaps(place, tree)
    ws.committees = committee_figures(place, today)
    ws.occupancy = occupancy_rate(place, on=today)
    if place.kind in (PlaceKind.COMMUNITY, PlaceKind.ESTATE, PlaceKind.COMPLEX, PlaceKind.BUILDING):
        # Month by month for a community or an estate; above that the rate alone (the series reads every record).
        ws.occupancy_series = occupancy_series(place, today.replace(day=1) - datetime.timedelta(days=330), today)
    ws.participation = participation_figures(place, today)
    ws.compliance = compliance(place, year_start, today, today=today)
    ws.warnings = early_warning(place, today=today)
    years = list(range(today.year - 4, today.year + 1))
    counts = petition_counts(place, years)
    ws.petitions = petition_shares(place, today.year, counts)
    ws.petition_years = [
        {"year": y, "total": counts[y][0], "property": counts[y][1], "share": percent(counts[y][1], counts[y][0])}
        for y in years
    ]
    ws.votes = votes_in_progress(place)
    ws.due = due_figures(place, today, voting=[row["vote"] for row in ws.votes])
    ws.spending = spending_waiting(place)
    ws.meetings = recent_meetings(place)
    return ws
