"""Self-managed estates: where the duty rosters have gaps."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from governance.models import Place
from governance.scoping import subtree_q
from oversight.models import DutyRoster, DutyShift

DAY = datetime.timedelta(days=1)
MAX_DAYS = 366


def duty_gaps(place: Place, start: datetime.date, end: datetime.date, *, today: datetime.date | None = None) -> dict:
    """Every duty day of the rosters under ``place`` from ``start`` to ``end``, and the gaps among them.

    A gap is a duty day with no one assigned (``unassigned``), a past day whose shift has no
    record (``unrecorded``), or a shift recorded as missed (``missed``). Two queries.
    """
    today = today or timezone.localdate()
    if end < start or (end - start).days >= MAX_DAYS:
        raise ApplicationError(_("期间须在一年之内，且结束日期不早于开始日期。"), code="bad_period")
    rosters = list(
        DutyRoster.objects.filter(subtree_q(place, "estate__"), starts_on__lte=end)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
        .select_related("estate")
        .order_by("estate_id", "pk")
    )
    shifts = {
        (row["roster_id"], row["date"]): row
        for row in DutyShift.objects.filter(roster__in=rosters, date__gte=start, date__lte=end).values(
            "roster_id", "date", "volunteer__person__name", "record__done", "record__id"
        )
    }
    estates: dict[int, dict] = {}
    gaps = []
    for roster in rosters:
        summary = estates.setdefault(
            roster.estate_id,
            {
                "estate": {"id": roster.estate_id, "name": roster.estate.name},
                **dict.fromkeys(("duty_days", "assigned", "done", "missed", "unrecorded", "unassigned"), 0),
            },
        )
        day = max(start, roster.starts_on)
        last = min(end, roster.ends_on or end)
        weekdays = set(roster.weekdays or ())
        while day <= last:
            if day.weekday() in weekdays:
                summary["duty_days"] += 1
                shift = shifts.get((roster.pk, day))
                gap = None
                if shift is None:
                    summary["unassigned"] += 1
                    gap = "unassigned"
                else:
                    summary["assigned"] += 1
                    if shift["record__id"] is None:
                        if day < today:
                            summary["unrecorded"] += 1
                            gap = "unrecorded"
                    elif shift["record__done"]:
                        summary["done"] += 1
                    else:
                        summary["missed"] += 1
                        gap = "missed"
                if gap:
                    gaps.append(
                        {
                            "estate": roster.estate_id,
                            "roster": {"id": roster.pk, "title": roster.title, "kind": roster.kind},
                            "date": day.isoformat(),
                            "gap": gap,
                            "volunteer": shift["volunteer__person__name"] if shift else None,
                        }
                    )
            day += DAY
    return {
        "place": {"id": place.pk, "name": place.name},
        "start": start.isoformat(),
        "end": end.isoformat(),
        "estates": list(estates.values()),
        "gaps": gaps,
    }


__all__ = ["duty_gaps"]
