"""Funds sent down to estates, and the property-management commissioner of each estate."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Sum

from governance.models import Place, PlaceKind, Post, PostKind
from governance.scoping import subtree_q
from oversight.models import FundAllocation

ZERO = Decimal("0.00")


def fund_allocations(place: Place, start: datetime.date, end: datetime.date) -> dict:
    """The funds sent down to estates under ``place`` in a period: each allocation and the total. One query."""
    rows = list(
        FundAllocation.objects.filter(subtree_q(place, "estate__"), allocated_on__gte=start, allocated_on__lte=end)
        .order_by("allocated_on", "pk")
        .values(
            "id",
            "community_id",
            "community__name",
            "estate_id",
            "estate__name",
            "amount",
            "purpose",
            "allocated_on",
            "posting__sequence",
        )
    )
    return {
        "place": {"id": place.pk, "name": place.name},
        "start": start.isoformat(),
        "end": end.isoformat(),
        "total": str(sum((r["amount"] for r in rows), ZERO)),
        "allocations": [
            {
                "id": r["id"],
                "community": {"id": r["community_id"], "name": r["community__name"]},
                "estate": {"id": r["estate_id"], "name": r["estate__name"]},
                "amount": str(r["amount"]),
                "purpose": r["purpose"],
                "allocated_on": r["allocated_on"].isoformat(),
                "ledger_sequence": r["posting__sequence"],
            }
            for r in rows
        ],
    }


def fund_totals_by_estate(place: Place, start: datetime.date, end: datetime.date) -> dict[int, Decimal]:
    """The funds each estate under ``place`` received in a period."""
    return dict(
        FundAllocation.objects.filter(subtree_q(place, "estate__"), allocated_on__gte=start, allocated_on__lte=end)
        .values("estate_id")
        .annotate(total=Sum("amount"))
        .values_list("estate_id", "total")
        .order_by()
    )


def commissioners(place: Place, *, on: datetime.date | None = None) -> list[dict]:
    """Each estate under ``place`` with its property-management commissioner (物业管理专员) on ``on``, if any.

    Two queries.
    """
    holders = {}
    for estate_id, person_id, name, start in (
        Post.objects.current(on)
        .filter(subtree_q(place, "place__"), kind=PostKind.PROPERTY_COMMISSIONER, place__kind=PlaceKind.ESTATE)
        .order_by("place_id", "-start", "-pk")
        .values_list("place_id", "person_id", "person__name", "start")
    ):
        holders.setdefault(estate_id, {"id": person_id, "name": name, "since": start.isoformat() if start else None})
    return [
        {"estate": {"id": e["id"], "name": e["name"]}, "commissioner": holders.get(e["id"])}
        for e in Place.objects.filter(subtree_q(place), kind=PlaceKind.ESTATE).order_by("lft").values("id", "name")
    ]
