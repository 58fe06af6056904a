"""Early warning: the estates under a place that need attention now, each with its reasons.

An estate is flagged when its property petitions in the last window rise clearly above its
own baseline (``oversight.statistics``), when any of its obligations is overdue, when its
owners' committee's term has lapsed or the committee has fallen below its lawful size, or
when the last verification of its public-revenue ledger failed.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import CommitteeStatus, OwnersCommittee
from elections.committee_size import committee_size_bounds
from governance.models import Place, PlaceKind
from governance.rules import rules
from governance.scoping import subtree_q
from oversight.models import LedgerCheckRecord, Obligation, ObligationState, Petition, PetitionCategory
from oversight.statistics import petitions_rise

DAY = datetime.timedelta(days=1)


def _petition_counts(place: Place, today: datetime.date, window: int, baseline: int) -> dict[int, tuple[int, int]]:
    window_start = today - (window - 1) * DAY
    baseline_start = window_start - baseline * DAY
    rows = (
        Petition.objects.filter(
            subtree_q(place, "place__"),
            category=PetitionCategory.PROPERTY,
            received_on__gte=baseline_start,
            received_on__lte=today,
            place__estate__isnull=False,
        )
        .values("place__estate_id")
        .annotate(
            window=Count("id", filter=Q(received_on__gte=window_start)),
            baseline=Count("id", filter=Q(received_on__lt=window_start)),
        )
        .order_by()
    )
    return {row["place__estate_id"]: (row["window"], row["baseline"]) for row in rows}


def _overdue(place: Place, today: datetime.date) -> dict[int, tuple[int, datetime.date]]:
    rows = (
        Obligation.objects.filter(subtree_q(place, "estate__"))
        .filter(Q(state=ObligationState.OVERDUE) | Q(state=ObligationState.OPEN, due_on__lt=today))
        .values("estate_id")
        .annotate(n=Count("id"), oldest=Min("due_on"))
        .order_by()
    )
    return {row["estate_id"]: (row["n"], row["oldest"]) for row in rows}


def _committees(place: Place, today: datetime.date) -> dict[int, tuple[datetime.date, int]]:
    current_post = (Q(posts__start__isnull=True) | Q(posts__start__lte=today)) & (
        Q(posts__end__isnull=True) | Q(posts__end__gte=today)
    )
    rows = (
        OwnersCommittee.objects.filter(subtree_q(place, "estate__"), status=CommitteeStatus.CURRENT)
        .values("estate_id", "term_end")
        .annotate(members=Count("posts__person", filter=current_post, distinct=True))
        .order_by()
    )
    return {row["estate_id"]: (row["term_end"], row["members"]) for row in rows}


def _failed_ledgers(place: Place) -> dict[int, str]:
    latest = (
        LedgerCheckRecord.objects.filter(subtree_q(place, "estate__"))
        .values("estate_id")
        .annotate(last=Max("pk"))
        .values("last")
        .order_by()
    )
    return dict(LedgerCheckRecord.objects.filter(pk__in=latest, ok=False).values_list("estate_id", "problem"))


def _petition_reason(observed: int, base: int, limits: dict) -> dict | None:
    """The petitions-rise reason, when the estate's recent petitions pass its control limit."""
    window = limits["window"]
    test = petitions_rise(
        observed,
        base,
        window_days=window,
        baseline_days=limits["baseline"],
        alpha=limits["alpha"],
        min_count=limits["min_count"],
        rate_floor=limits["floor"],
    )
    if not test.flagged:
        return None
    return {
        "code": "petitions_rise",
        "message": _(
            "近%(window)d天物业类信访%(n)d件，超出本小区基线（每%(window)d天约%(rate)s件）的控制上限%(limit)d件。"
        )
        % {"window": window, "n": observed, "rate": test.expected, "limit": test.limit},
        "observed": observed,
        "expected": str(test.expected),
        "limit": test.limit,
    }


def _committee_reason(estate: Place, term_end: datetime.date, members: int, today, seats_min: int) -> dict | None:
    """A lapsed term, or a current committee below the lawful size for its estate."""
    if term_end < today:
        return {
            "code": "committee_lapsed",
            "message": _("业委会任期已于%(day)s届满，尚未换届。") % {"day": term_end},
            "term_end": term_end.isoformat(),
        }
    # A lapsed committee's posts have ended with its term: its size says nothing more. The small-estate
    # rule only lowers the minimum, so only a committee below the districts' minimum needs its bounds.
    if members < seats_min:
        low, _high = committee_size_bounds(estate)
        if members < low:
            return {
                "code": "committee_below_size",
                "message": _("业委会现有委员%(n)d名，少于法定最低%(low)d名。") % {"n": members, "low": low},
                "members": members,
                "minimum": low,
            }
    return None


def _estate_reasons(estate: Place, facts: dict, limits: dict, today: datetime.date) -> list[dict]:
    """Every reason to flag one estate, in a fixed order."""
    reasons = [_petition_reason(*facts["petitions"].get(estate.pk, (0, 0)), limits)]
    if estate.pk in facts["overdue"]:
        n, oldest = facts["overdue"][estate.pk]
        reasons.append(
            {
                "code": "obligations_overdue",
                "message": _("%(n)d项四必义务逾期，最早期限%(oldest)s。") % {"n": n, "oldest": oldest},
                "count": n,
                "oldest": oldest.isoformat(),
            }
        )
    if estate.pk in facts["committees"]:
        term_end, members = facts["committees"][estate.pk]
        reasons.append(_committee_reason(estate, term_end, members, today, limits["seats_min"]))
    if estate.pk in facts["ledgers"]:
        reasons.append(
            {
                "code": "ledger_failed",
                "message": _("公共收益账簿最近一次校验未通过：%(problem)s") % {"problem": facts["ledgers"][estate.pk]},
            }
        )
    return [reason for reason in reasons if reason]


def early_warning(place: Place, *, today: datetime.date | None = None, include_all: bool = False) -> list[dict]:
    """The flagged estates under ``place``, most reasons first, each with its reasons.

    With ``include_all`` every estate is listed, the flagged ones first (how the street and
    the community see their estates). Six queries, plus two for each committee smaller than
    the districts' minimum (to apply the small-estate rule, which only lowers it).
    """
    today = today or timezone.localdate()
    names = {
        "window": "EARLY_WARNING_WINDOW_DAYS",
        "baseline": "EARLY_WARNING_BASELINE_DAYS",
        "alpha": "EARLY_WARNING_ALPHA",
        "min_count": "EARLY_WARNING_MIN_PETITIONS",
        "floor": "EARLY_WARNING_RATE_FLOOR",
        "seats_min": "COMMITTEE_SEATS_MIN",
    }
    values = rules(list(names.values()), place)
    limits = {name: values[key] for name, key in names.items()}
    estates = Place.objects.filter(subtree_q(place), kind=PlaceKind.ESTATE).select_related("parent").order_by("lft")
    facts = {
        "petitions": _petition_counts(place, today, limits["window"], limits["baseline"]),
        "overdue": _overdue(place, today),
        "committees": _committees(place, today),
        "ledgers": _failed_ledgers(place),
    }
    result = []
    for estate in estates:
        reasons = _estate_reasons(estate, facts, limits, today)
        if reasons or include_all:
            result.append(
                {
                    "estate": {"id": estate.pk, "name": estate.name},
                    "community": {"id": estate.parent_id, "name": estate.parent.name if estate.parent_id else ""},
                    "flagged": bool(reasons),
                    "reasons": reasons,
                }
            )
    result.sort(key=lambda e: (-len(e["reasons"]), not e["flagged"]))
    return result


def flagged_estate_ids(place: Place, *, today: datetime.date | None = None) -> set[int]:
    """The ids of the flagged estates under ``place``."""
    return {e["estate"]["id"] for e in early_warning(place, today=today)}


__all__ = ["early_warning", "flagged_estate_ids"]
