"""Reads of the register; ``voting_roll`` is the single source of every quorum and tally."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, IntegerField, Max, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.numbers import percent
from governance.models import Place, PlaceKind
from governance.rules import rule
from governance.scoping import subtree_q
from residents.models import (
    EstateUnitCount,
    Occupancy,
    OccupancyState,
    Ownership,
    PartyMember,
    PropertyUnit,
    Resident,
    UnitUse,
)

DEVELOPER_KEY = "developer"


@dataclass(frozen=True)
class RollEntry:
    """One counted owner (docs/domain.md §4): the units it holds, their owners, and the area it counts with.

    ``key`` is stable for the same register: ``developer`` for the developer's unsold and
    undelivered units together, otherwise ``u<lowest unit id>``.
    """

    key: str
    unit_ids: tuple[int, ...]
    owner_ids: tuple[int, ...]
    area: Decimal
    is_developer: bool = False


@dataclass(frozen=True)
class VotingRoll:
    estate_id: int
    on: datetime.date
    entries: list[RollEntry] = field(default_factory=list)
    total_area: Decimal = Decimal("0.00")
    # Each counted unit's area, as read for the roll (so that a snapshot of it need not read them again).
    unit_areas: dict[int, Decimal] = field(default_factory=dict, repr=False, compare=False)

    @property
    def total_owners(self) -> int:
        return len(self.entries)


def _find(parent: dict[int, int], x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:  # path compression
        parent[x], x = root, parent[x]
    return root


def voting_roll(estate: Place, on: datetime.date | None = None) -> VotingRoll:
    """Build the voting roll of ``estate`` on ``on`` (today by default), exactly.

    - every exclusive unit counts with its area by the register's precedence; parking
      spaces count unless the district's setting excludes them;
    - the developer's units still held by it, and units sold but not yet delivered,
      together count as one owner;
    - units linked by a common owner (a buyer of several units, co-owners) merge into
      one counted owner with their areas added;
    - an ownership that ended on or before ``on`` does not count; a unit with no owner
      in force is the developer's.

    Three queries, whatever the size of the estate (one reads the district's parking rule).
    Built in one pass over the units in id order, where a unit with owners no earlier unit had
    starts an entry of its own and a shared owner joins two entries (union-find, the lowest unit
    as the root): about 1 s for 100,000 units, the roll freeze's first step (issue 13).
    """
    on = on or timezone.localdate()
    units = PropertyUnit.objects.filter(estate=estate)
    if not rule("PARKING_COUNTS_FOR_AREA", estate):
        units = units.exclude(use=UnitUse.PARKING)
    unit_rows = units.values_list("id", "area", "delivered").order_by("id")
    # In no order (a sort of 100,000 rows spilled to disk): the owners are sorted per entry below.
    owners_of: dict[int, list[int]] = {}
    developer_owners: set[int] = set()
    for unit_id, owner_id, is_developer in (
        Ownership.objects.active_on(on)
        .filter(unit__in=units)
        .values_list("unit_id", "owner_id", "owner__is_developer")
        .order_by()
    ):
        holders = owners_of.get(unit_id)
        if holders is None:
            owners_of[unit_id] = [owner_id]
        else:
            holders.append(owner_id)
        if is_developer:
            developer_owners.add(owner_id)

    zero = Decimal("0.00")
    developer_units: list[int] = []
    area_of: dict[int, Decimal] = {}
    parent: dict[int, int] = {}
    first_unit_of_owner: dict[int, int] = {}
    for unit_id, area, delivered in unit_rows:
        area_of[unit_id] = area
        holders = owners_of.get(unit_id)
        # A developer among the holders makes the unit the developer's (and every developer holds only such units).
        if not delivered or not holders or not developer_owners.isdisjoint(holders):
            developer_units.append(unit_id)
            continue
        parent[unit_id] = unit_id
        for owner_id in holders:
            other = first_unit_of_owner.setdefault(owner_id, unit_id)
            if other != unit_id:
                a, b = _find(parent, other), _find(parent, unit_id)
                if a != b:
                    parent[max(a, b)] = min(a, b)

    # Units in id order, so each group's first unit is its root (its lowest): groups come in key order.
    groups: dict[int, list[int]] = {}
    for unit_id, root in parent.items():
        if root != unit_id:
            root = _find(parent, unit_id)
        group = groups.get(root)
        if group is None:
            groups[root] = [unit_id]
        else:
            group.append(unit_id)

    entries: list[RollEntry] = []
    if developer_units:
        entries.append(
            RollEntry(
                key=DEVELOPER_KEY,
                unit_ids=tuple(developer_units),
                owner_ids=tuple(sorted(developer_owners)),
                area=sum((area_of[u] for u in developer_units), zero),
                is_developer=True,
            )
        )
    for root, unit_ids in sorted(groups.items()):
        if len(unit_ids) == 1:
            holders = owners_of[root]
            owner_ids = (holders[0],) if len(holders) == 1 else tuple(sorted(set(holders)))
            area = zero + area_of[root]
        else:
            owner_ids = tuple(sorted({o for u in unit_ids for o in owners_of[u]}))
            area = sum((area_of[u] for u in unit_ids), zero)
        entries.append(RollEntry(key=f"u{root}", unit_ids=tuple(unit_ids), owner_ids=owner_ids, area=area))
    total = sum(area_of.values(), zero)
    return VotingRoll(estate_id=estate.pk, on=on, entries=entries, total_area=total, unit_areas=area_of)


# Who sees which part of the register ---------------------------------------------------------------


def estate_units_count(estate_id: int) -> RawSQL:
    """The number of units in the estate, as an expression over the counts the database keeps
    (``EstateUnitCount``, moved by the statement that writes each unit): for a query's select list."""
    table = EstateUnitCount._meta.db_table
    sql = f'SELECT COALESCE(SUM("units"), 0) FROM "{table}" WHERE "estate_id" = %s'
    return RawSQL(sql, (estate_id,), output_field=IntegerField())


def own_unit_id_list(user, on: datetime.date | None = None) -> list[int]:
    """Ids of the units ``user``'s person owns or lives in on ``on``, in one indexed query (none without a person)."""
    person_id = getattr(user, "person_id", None) if user and user.is_authenticated else None
    if person_id is None:
        return []
    on = on or timezone.localdate()
    owned = Ownership.objects.active_on(on).filter(owner__person_id=person_id).values_list("unit_id", flat=True)
    lived = Resident.objects.current(on).filter(person_id=person_id).values_list("unit_id", flat=True)
    # Without ordering on either side: SQLite refuses ORDER BY inside a compound statement's parts.
    return sorted(set(owned.order_by().union(lived.order_by())))


def own_unit_ids(user, on: datetime.date | None = None):
    """Ids of the units ``user``'s person owns or lives in on ``on``: a resident's own part of the register.

    The few ids are read first and handed on as a list: ``pk IN (owned) OR pk IN (lived)`` made
    PostgreSQL test every unit of the register against both subqueries (issue 13).
    """
    return PropertyUnit.objects.filter(pk__in=own_unit_id_list(user, on)).values("pk")


def units_matching(units, query: str):
    """The units among ``units`` a search names by short form: ``101`` (a room or a building), ``3栋``,
    ``3栋-101``, ``3栋-2单元-101`` (the building's ``栋`` may be left out, a full-width dash is a dash)."""
    parts = [p.strip() for p in query.replace("－", "-").split("-") if p.strip()]
    if len(parts) <= 1:
        word = parts[0] if parts else ""
        return units.filter(Q(room=word) | Q(building__name=word) | Q(building__name=f"{word}栋"))
    building = Q(building__name=parts[0]) | Q(building__name=f"{parts[0]}栋")
    units = units.filter(building, room=parts[-1])
    return units.filter(stairway=parts[1].removesuffix("单元")) if len(parts) == 3 else units


def register_rows(units, on: datetime.date | None = None):
    """``units`` with what the register's list shows of each on ``on``, for a page of them in three queries.

    Joined: the estate and the building. Annotated: ``residents_count`` (people living there),
    ``party_count`` (those of them in the party register) and ``occupancy`` (the latest occupancy
    state, ``None`` when never recorded: vacant), each a subquery per row of the page only.
    Prefetched: ``current_ownerships`` with the owner's person (names only: ID and phone numbers
    are not for a list). The count, the page and the owners: three queries whatever the scope.
    """
    on = on or timezone.localdate()
    living = Resident.objects.current(on).filter(unit=OuterRef("pk")).order_by().values("unit")
    residents = living.annotate(n=Count("pk")).values("n")
    party = living.filter(person__party_member__isnull=False).annotate(n=Count("pk")).values("n")
    occupancy = Occupancy.objects.filter(unit=OuterRef("pk"), since__lte=on).order_by("-since").values("state")[:1]
    owners = Ownership.objects.active_on(on).select_related("owner__person").order_by("start", "pk")
    return (
        units.select_related("estate", "building")
        .annotate(
            residents_count=Coalesce(Subquery(residents, output_field=IntegerField()), 0),
            party_count=Coalesce(Subquery(party, output_field=IntegerField()), 0),
            occupancy=Subquery(occupancy),
        )
        .prefetch_related(Prefetch("ownerships", queryset=owners, to_attr="current_ownerships"))
    )


def _estates_under(place: Place):
    """The ids of the estates of a higher place's subtree (a few hundred in a district)."""
    return Place.objects.filter(subtree_q(place), kind=PlaceKind.ESTATE).values("pk")


def units_in(place: Place):
    """The units of a building, complex, estate, or of every estate under a higher place."""
    if place.kind == PlaceKind.BUILDING:
        return PropertyUnit.objects.filter(building=place)
    if place.kind == PlaceKind.COMPLEX:
        return PropertyUnit.objects.filter(building__parent=place)
    if place.kind == PlaceKind.ESTATE:
        return PropertyUnit.objects.filter(estate=place)
    # Through the estates of the subtree (a few hundred in a district), not a join of every unit's building.
    return PropertyUnit.objects.filter(estate_id__in=_estates_under(place))


def _residential_counts(place: Place):
    """The kept counts of residential units of the estates of an estate or a higher place, or ``None``
    for a building or a complex (counted from their units: a few hundred)."""
    if place.kind in (PlaceKind.BUILDING, PlaceKind.COMPLEX):
        return None
    counts = EstateUnitCount.objects.filter(use=UnitUse.RESIDENTIAL)
    if place.kind == PlaceKind.ESTATE:
        return counts.filter(estate=place)
    return counts.filter(estate_id__in=_estates_under(place))


def _residential_units(place: Place):
    return units_in(place).filter(use=UnitUse.RESIDENTIAL)


def _occupied_records(units, on: datetime.date):
    """The latest occupancy record on or before ``on`` of each of ``units`` that says occupied.

    On PostgreSQL one pass over the records (``DISTINCT ON`` the unit, newest first): its cost
    follows the records, where a subquery per unit cost about 3 µs for each unit of the place
    whether it had records or not (0.6 s for a 200,000-unit district, issue 13). Elsewhere the
    latest record is found per record, which SQLite answers well at its sizes.
    """
    records = Occupancy.objects.filter(unit__in=units.values("pk"), since__lte=on)
    if connection.vendor == "postgresql":
        latest = records.order_by("unit_id", "-since").distinct("unit_id").values("pk")
    else:
        newest = Occupancy.objects.filter(unit=OuterRef("unit"), since__lte=on).order_by("-since").values("pk")[:1]
        latest = records.filter(pk=Subquery(newest)).values("pk")
    return Occupancy.objects.filter(pk__in=latest, state=OccupancyState.OCCUPIED)


def occupancy_rate(place: Place, on: datetime.date | None = None) -> dict:
    """The share of residential units occupied on ``on`` in a building, estate, community or any place.

    A unit counts as occupied when its latest occupancy record on or before ``on`` says so.
    One query. An estate's or a higher place's units are the estates' kept counts
    (``EstateUnitCount``), not a count of every unit; the occupied ones are counted from the
    occupancy records.
    """
    on = on or timezone.localdate()
    units = _residential_units(place)
    # The count of occupied records as an uncorrelated subquery: evaluated once (an InitPlan), not per row.
    occupied = _occupied_records(units, on).order_by().values("state").annotate(n=Count("pk")).values("n")
    occupied = Coalesce(Max(Subquery(occupied, output_field=IntegerField())), 0)
    counts = _residential_counts(place)
    if counts is None:
        figures = units.aggregate(units=Count("id"), occupied=occupied)
    else:
        figures = counts.aggregate(units=Coalesce(Sum("units"), 0), occupied=occupied)
    total, occupied = figures["units"], figures["occupied"] if figures["units"] else 0
    return {
        "place": place.pk,
        "on": on.isoformat(),
        "units": total,
        "occupied": occupied,
        "rate": percent(occupied, total),
    }


def occupancy_by_estate(place: Place, on: datetime.date | None = None) -> dict[int, dict]:
    """Each estate's occupancy under ``place`` on ``on``, as ``occupancy_rate`` counts it, in two queries.

    Estates without residential units are left out.
    """
    on = on or timezone.localdate()
    units = _residential_units(place)
    counts = _residential_counts(place)
    if counts is None:
        totals = dict(units.values("estate_id").annotate(n=Count("id")).order_by().values_list("estate_id", "n"))
    else:
        totals = dict(counts.filter(units__gt=0).values_list("estate_id", "units"))
    occupied = dict(
        _occupied_records(units, on)
        .values("unit__estate_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("unit__estate_id", "n")
    )
    return {
        estate_id: {"units": n, "occupied": occupied.get(estate_id, 0), "rate": percent(occupied.get(estate_id, 0), n)}
        for estate_id, n in totals.items()
    }


def _month_ends(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    points = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        nxt = datetime.date(year + month // 12, month % 12 + 1, 1)
        points.append(min(nxt - datetime.timedelta(days=1), end))
        year, month = nxt.year, nxt.month
    return points


def occupancy_series(place: Place, start: datetime.date, end: datetime.date) -> list[dict]:
    """The occupancy rate at the end of each month from ``start`` to ``end`` (the last point is ``end``).

    Two queries: the number of units (an estate's or a higher place's kept counts), and their
    occupancy records swept once in date order.
    """
    points = _month_ends(start, end)
    if not points:
        return []
    units = _residential_units(place)
    counts = _residential_counts(place)
    total = units.count() if counts is None else counts.aggregate(n=Coalesce(Sum("units"), 0))["n"]
    deltas: dict[datetime.date, int] = {}
    previous: dict[int, bool] = {}
    for unit_id, since, state in (
        Occupancy.objects.filter(unit__in=units, since__lte=points[-1])
        .order_by("unit_id", "since")
        .values_list("unit_id", "since", "state")
    ):
        occupied = state == OccupancyState.OCCUPIED
        if occupied != previous.get(unit_id, False):
            deltas[since] = deltas.get(since, 0) + (1 if occupied else -1)
        previous[unit_id] = occupied
    series, occupied, changes = [], 0, sorted(deltas.items())
    i = 0
    for point in points:
        while i < len(changes) and changes[i][0] <= point:
            occupied += changes[i][1]
            i += 1
        series.append({"on": point.isoformat(), "units": total, "occupied": occupied, "rate": percent(occupied, total)})
    return series


def _twelve_months_up_to(on: datetime.date) -> datetime.date:
    """The first day of the twelve months that end on ``on``."""
    try:
        return on.replace(year=on.year - 1) + datetime.timedelta(days=1)
    except ValueError:  # 29 February
        return datetime.date(on.year - 1, 3, 1)


# Party members -------------------------------------------------------------------------------------------


def party_member_person_ids(person_ids) -> set[int]:
    """The people among ``person_ids`` who are party members.

    The one definition used everywhere (candidates, election results, committee summaries,
    reports): a person is a party member when the party register (``PartyMember``) holds
    them. What a nominee says of themself is not counted until the register records it.
    """
    return set(PartyMember.objects.filter(person_id__in=list(person_ids)).values_list("person_id", flat=True))


def party_participation(place: Place, on: datetime.date | None = None) -> list[dict]:
    """Per estate under ``place`` (or ``place`` itself): in-service members, how many took part in the
    twelve months up to ``on``, and their share. Two queries, whatever the number of estates.
    """
    on = on or timezone.localdate()
    since = _twelve_months_up_to(on)
    in_place = (
        Q(organization__place__estate=place)
        if place.kind == PlaceKind.ESTATE
        else subtree_q(place, "organization__place__")
    )
    members = PartyMember.objects.filter(in_place, in_service=True)
    totals = dict(
        members.order_by()
        .values("organization__place__estate_id")
        .annotate(n=Count("id"))
        .values_list("organization__place__estate_id", "n")
    )
    active = dict(
        members.filter(participations__date__range=(since, on))
        .order_by()
        .values("organization__place__estate_id")
        .annotate(n=Count("id", distinct=True))
        .values_list("organization__place__estate_id", "n")
    )
    names = dict(Place.objects.filter(pk__in=[k for k in totals if k], kind=PlaceKind.ESTATE).values_list("id", "name"))
    rows = []
    for estate_id in sorted(totals, key=lambda k: (k is None, names.get(k, ""), k or 0)):
        total, took_part = totals[estate_id], active.get(estate_id, 0)
        rows.append(
            {
                "estate": estate_id,
                "estate_name": names.get(estate_id, ""),
                "since": since.isoformat(),
                "on": on.isoformat(),
                "in_service_members": total,
                "took_part": took_part,
                "share": percent(took_part, total),
            }
        )
    return rows
