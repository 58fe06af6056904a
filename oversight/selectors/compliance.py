"""Compliance with the four musts over a place's subtree and a period, in a constant number of queries."""

from __future__ import annotations

import datetime

from django.db.models import Count, F, Q
from django.utils import timezone

from core.numbers import percent
from governance.models import Place
from governance.scoping import subtree_q
from oversight.models import Obligation, ObligationKind, ObligationState

S = ObligationState


def _counts(today: datetime.date) -> dict:
    """The conditional counts every grouping of obligations shares."""
    past_due = Q(state=S.OVERDUE) | Q(state=S.OPEN, due_on__lt=today)
    return {
        "total": Count("id"),
        "waived": Count("id", filter=Q(state=S.WAIVED)),
        "pending": Count("id", filter=Q(state=S.OPEN, due_on__gte=today)),
        "met_on_time": Count("id", filter=Q(state=S.MET, met_on__lte=F("due_on"))),
        "met_late": Count("id", filter=Q(state=S.MET, met_on__gt=F("due_on"))),
        "overdue": Count("id", filter=past_due),
    }


def _figures(row: dict) -> dict:
    judged = row["total"] - row["waived"] - row["pending"]
    return {
        "obligations": judged,
        "met_on_time": row["met_on_time"],
        "met_late": row["met_late"],
        "overdue_count": row["overdue"],
        "waived": row["waived"],
        "pending": row["pending"],
        "share": percent(row["met_on_time"], judged),
    }


def compliance(
    place: Place,
    start: datetime.date,
    end: datetime.date,
    *,
    today: datetime.date | None = None,
    worst: int = 10,
) -> dict:
    """The share of obligations met on time under ``place`` among those due from ``start`` to ``end``.

    Counted: obligations whose due date falls in the period, except those waived (excused by
    the street) and those still open and not yet due (not yet judged). Met on time: met by
    evidence of an act on or before the due date. Overdue: past the due date unmet (whether or
    not the sweep has marked it yet). Also by kind, by estate, the estates that fail most
    (most obligations not met on time, then lowest share), and the overdue list, oldest first.
    Three queries whatever the size of the subtree.
    """
    today = today or timezone.localdate()
    obligations = Obligation.objects.filter(subtree_q(place, "estate__"), due_on__gte=start, due_on__lte=end)
    counts = _counts(today)
    by_kind_rows = {row["kind"]: row for row in obligations.values("kind").annotate(**counts).order_by()}
    empty = dict.fromkeys(counts, 0)
    by_kind = {kind: _figures(by_kind_rows.get(kind, empty)) for kind in ObligationKind.values}
    totals = {key: sum(row[key] for row in by_kind_rows.values()) for key in counts}
    estates = []
    for row in obligations.values("estate_id", "estate__name").annotate(**counts).order_by("estate__name"):
        figures = _figures(row)
        figures["failed"] = figures["obligations"] - figures["met_on_time"]
        estates.append({"estate": {"id": row["estate_id"], "name": row["estate__name"]}, **figures})
    failing = sorted(
        (e for e in estates if e["failed"]),
        key=lambda e: (-e["failed"], e["met_on_time"] * 10_000 // max(e["obligations"], 1), e["estate"]["name"]),
    )[:worst]
    overdue = [
        {
            "id": row["id"],
            "kind": row["kind"],
            "title": row["title"],
            "estate": {"id": row["estate_id"], "name": row["estate__name"]},
            "due_on": row["due_on"].isoformat(),
            "days_overdue": (today - row["due_on"]).days,
        }
        for row in obligations.filter(Q(state=S.OVERDUE) | Q(state=S.OPEN, due_on__lt=today))
        .order_by("due_on", "pk")
        .values("id", "kind", "title", "estate_id", "estate__name", "due_on")
    ]
    return {
        "place": {"id": place.pk, "name": place.name, "kind": place.kind},
        "start": start.isoformat(),
        "end": end.isoformat(),
        **_figures(totals),
        "by_kind": by_kind,
        "estates": estates,
        "failing_estates": failing,
        "overdue": overdue,
    }
