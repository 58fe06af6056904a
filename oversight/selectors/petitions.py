"""Petition figures: the property-related share of all petitions per year, and its change."""

from __future__ import annotations

from fractions import Fraction

from django.db.models import Count, Q
from django.db.models.functions import ExtractYear

from core.numbers import percent
from governance.models import Place
from governance.scoping import subtree_q
from oversight.models import Petition, PetitionCategory


def percent_points(part: int, whole: int, part_before: int, whole_before: int, places: int = 2) -> str | None:
    """The change of a share in percentage points (``part/whole − part_before/whole_before``), rounded half up."""
    if not whole or not whole_before:
        return None
    change = (Fraction(part, whole) - Fraction(part_before, whole_before)) * 100
    sign = "-" if change < 0 else ""
    scaled = abs(change) * 10**places
    rounded = int(scaled + Fraction(1, 2))
    units, fraction = divmod(rounded, 10**places)
    return f"{sign}{units}.{fraction:0{places}d}" if places else f"{sign}{units}"


def petition_counts(place: Place, years: list[int]) -> dict[int, tuple[int, int]]:
    """``{year: (total, property-related)}`` of petitions in ``place``'s subtree, in one query."""
    rows = (
        Petition.objects.filter(subtree_q(place, "place__"), received_on__year__in=years)
        .annotate(year=ExtractYear("received_on"))
        .values("year")
        .annotate(total=Count("id"), property=Count("id", filter=Q(category=PetitionCategory.PROPERTY)))
        .order_by()
    )
    counts = {year: (0, 0) for year in years}
    for row in rows:
        counts[row["year"]] = (row["total"], row["property"])
    return counts


def petition_shares(place: Place, year: int, counts: dict[int, tuple[int, int]] | None = None) -> dict:
    """The property-related share of all petitions of ``year`` under ``place``, and its change since the year before.

    ``counts``: ``petition_counts`` of the place already read for years including these two (no query then).
    """
    if counts is None or year not in counts or year - 1 not in counts:
        counts = petition_counts(place, [year - 1, year])
    total, prop = counts[year]
    total_before, prop_before = counts[year - 1]
    return {
        "place": {"id": place.pk, "name": place.name},
        "year": year,
        "total": total,
        "property": prop,
        "share": percent(prop, total),
        "previous": {
            "year": year - 1,
            "total": total_before,
            "property": prop_before,
            "share": percent(prop_before, total_before),
        },
        "change": percent_points(prop, total, prop_before, total_before),
    }
