"""Generate districts and cities into PostgreSQL through the platform's bulk paths.

The place tree is built with ``TreeManager.build_tree_nodes`` and ``bulk_create`` (never a
``save()`` per node, never ``rebuild()``); the register (units, people, owners, ownerships) goes
in with ``COPY``, ids taken from each table's own sequence so that rows can point at each other
without a round trip. Each estate has one developer (an organization owning its unsold 3%),
buyers of several units (2%) and co-owned flats (5%), like the register benchmark's file.

Everything generated is named with a prefix, so that several generated worlds can live in one
database. PostgreSQL only.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator

from django.db import connection, transaction
from django.utils import timezone

from core.bulk import copy_rows, reserve_ids
from governance.models import Person, Place, PlaceKind, RoleAssignment, User
from residents.models import AreaSource, Owner, OwnerKind, Ownership, PropertyUnit, UnitUse

UNITS_PER_BUILDING = 100
ROOMS_PER_STAIRWAY = 50
REGISTER_START = datetime.date(2015, 1, 1)


@dataclasses.dataclass(frozen=True)
class Shape:
    """The size of a generated district: streets × communities × estates, units per estate."""

    streets: int = 10
    communities: int = 5  # per street
    estates: int = 4  # per community
    units: int = 1000  # per estate
    big_estate_units: int = 0  # the first estate's size, when it is to be larger than the rest

    @property
    def estate_count(self) -> int:
        return self.streets * self.communities * self.estates

    @property
    def unit_count(self) -> int:
        big = self.big_estate_units or self.units
        return big + (self.estate_count - 1) * self.units

    def scaled(self, scale: float) -> Shape:
        """The same shape with ``scale`` times the estates (fewer streets first) and units per estate."""
        if scale >= 1:
            return self
        streets = max(1, round(self.streets * scale**0.5))
        units = max(UNITS_PER_BUILDING // 10, round(self.units * scale**0.5))
        big = max(units, round(self.big_estate_units * scale**0.5)) if self.big_estate_units else 0
        return dataclasses.replace(self, streets=streets, units=units, big_estate_units=big)


# The bench district of issue 13: 200 estates and 200,000 units, one estate of 20,000 among them.
BENCH_DISTRICT = Shape(streets=10, communities=5, estates=4, units=905, big_estate_units=19_905)
# A city district: 20 of these make 3,000 estates and 3,000,000 units.
CITY_DISTRICT = Shape(streets=6, communities=5, estates=5, units=1000)


@dataclasses.dataclass
class District:
    """What ``generate_district`` made: the district and the places the benchmarks need by name."""

    district: Place
    street: Place  # the street holding the first (big) estate
    community: Place  # its community
    estate: Place  # the first estate
    estate_ids: list[int]
    units: int

    @property
    def estate_units(self) -> int:
        """The number of units of the first (big) estate."""
        return PropertyUnit.objects.filter(estate=self.estate).count()


def _place_tree(name: str, shape: Shape, ids: Iterator[int]) -> dict:
    """The nested dict of a district for ``build_tree_nodes``, its ids taken from ``ids``."""

    def node(kind, node_name, parent_id, children=()):
        pk = next(ids)
        data = {"id": pk, "kind": kind, "name": node_name, "parent_id": parent_id}
        data["children"] = [child(pk) for child in children]
        return data

    def buildings(count):
        return [lambda p, n=n: node(PlaceKind.BUILDING, f"{n + 1}栋", p) for n in range(count)]

    def estates(s, c):
        out = []
        for e in range(shape.estates):
            first = s == 0 and c == 0 and e == 0
            units = shape.big_estate_units if first and shape.big_estate_units else shape.units
            count = -(-units // UNITS_PER_BUILDING)
            out.append(lambda p, e=e, count=count: node(PlaceKind.ESTATE, f"小区{e + 1:02d}", p, buildings(count)))
        return out

    def communities(s):
        return [
            lambda p, c=c: node(PlaceKind.COMMUNITY, f"社区{s + 1:02d}-{c + 1:02d}", p, estates(s, c))
            for c in range(shape.communities)
        ]

    streets = [
        lambda p, s=s: node(PlaceKind.STREET, f"街道{s + 1:02d}", p, communities(s)) for s in range(shape.streets)
    ]
    return node(PlaceKind.DISTRICT, name, None, streets)


def _node_count(shape: Shape) -> int:
    buildings = (shape.estate_count - 1) * -(-shape.units // UNITS_PER_BUILDING) + -(
        -(shape.big_estate_units or shape.units) // UNITS_PER_BUILDING
    )
    return 1 + shape.streets * (1 + shape.communities) + shape.estate_count + buildings


@transaction.atomic
def generate_district(name: str, shape: Shape, *, on: datetime.date = REGISTER_START) -> District:
    """Build one district's place tree and its register; return the places the benchmarks use."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the generator needs PostgreSQL (COPY)")
    with connection.cursor() as cursor:
        # The tree services' lock (governance.services._lock_tree): the next tree id is read, then used.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [Place._meta.db_table])
    data = _place_tree(name, shape, iter(reserve_ids(Place, _node_count(shape))))
    nodes = Place.objects.build_tree_nodes(data)
    Place.objects.bulk_create(nodes, batch_size=5000)
    tree_id = nodes[0].tree_id
    with connection.cursor() as cursor:
        # Estates are their own estate; buildings sit directly under theirs (the tree services keep this column).
        cursor.execute(
            "UPDATE governance_place SET estate_id = id WHERE tree_id = %s AND kind = %s", [tree_id, PlaceKind.ESTATE]
        )
        cursor.execute(
            "UPDATE governance_place SET estate_id = parent_id WHERE tree_id = %s AND kind = %s",
            [tree_id, PlaceKind.BUILDING],
        )
    estates = [n for n in nodes if n.kind == PlaceKind.ESTATE]
    buildings: dict[int, list[int]] = {}
    for n in nodes:
        if n.kind == PlaceKind.BUILDING:
            buildings.setdefault(n.parent_id, []).append(n.pk)
    units = _register(estates, buildings, shape, on)
    by_id = {n.pk: n for n in nodes}
    estate = estates[0]
    community = by_id[estate.parent_id]
    with connection.cursor() as cursor:
        for table in ("governance_place", "residents_propertyunit", "governance_person", "residents_owner"):
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("ANALYZE residents_ownership")
    return District(
        district=Place.objects.get(pk=nodes[0].pk),
        street=Place.objects.get(pk=community.parent_id),
        community=Place.objects.get(pk=community.pk),
        estate=Place.objects.get(pk=estate.pk),
        estate_ids=[e.pk for e in estates],
        units=units,
    )


def _unit_plan(estates, buildings, shape) -> Iterator[tuple[int, int, int, int]]:
    """Yield (estate id, building id, index in estate, size of estate) for every unit."""
    for position, estate in enumerate(estates):
        size = shape.big_estate_units if position == 0 and shape.big_estate_units else shape.units
        blocks = buildings[estate.pk]
        for i in range(size):
            yield estate.pk, blocks[i // UNITS_PER_BUILDING], i, size


def _register(estates, buildings, shape, on) -> int:
    """COPY the units, people, owners and ownerships of every estate; return the number of units."""
    total = shape.unit_count
    unit_ids = reserve_ids(PropertyUnit, total)
    # People: one per unit (two for a co-owned flat, none for the developer's or a second unit of a buyer).
    person_ids = iter(reserve_ids(Person, total + total // 10 + 1))
    owner_ids = iter(reserve_ids(Owner, total + total // 10 + len(estates) + 1))
    now = timezone.now()
    units, people, owners, holdings = [], [], [], []
    developer_of: dict[int, int] = {}
    for offset, (estate_id, building_id, i, _size) in enumerate(_unit_plan(estates, buildings, shape)):
        unit_id = unit_ids[offset]
        in_building = i % UNITS_PER_BUILDING
        stairway = str(in_building // ROOMS_PER_STAIRWAY + 1)
        room = f"{in_building % ROOMS_PER_STAIRWAY // 2 + 1:02d}{in_building % 2 + 1:02d}"
        area = f"{60 + (offset * 37) % 9000 / 100:.2f}"
        bucket = i % 100
        units.append(
            (
                unit_id,
                building_id,
                estate_id,
                stairway,
                room,
                UnitUse.RESIDENTIAL,
                area,
                area,
                AreaSource.REGISTERED,
                bucket != 0,  # one unit in a hundred not yet delivered
            )
        )
        if bucket < 3:  # the developer's unsold or undelivered units: one counted owner together
            if estate_id not in developer_of:
                owner_id = developer_of[estate_id] = next(owner_ids)
                owners.append((owner_id, OwnerKind.ORGANIZATION, None, f"开发商{estate_id}", True, estate_id, now))
            holdings.append((unit_id, developer_of[estate_id], on, None))
        elif bucket in (11, 12):  # a buyer of several units: the owner of the unit before
            holdings.append((unit_id, holdings[-1][1], on, None))
        else:
            shares = ("0.5000", "0.5000") if bucket < 10 else (None,)
            for share in shares:
                person_id, owner_id = next(person_ids), next(owner_ids)
                people.append((person_id, f"业主{person_id}", estate_id, now))
                owners.append((owner_id, OwnerKind.PERSON, person_id, "", False, estate_id, now))
                holdings.append((unit_id, owner_id, on, share))
    copy_rows(
        PropertyUnit,
        [
            "id",
            "building_id",
            "estate_id",
            "stairway",
            "room",
            "use",
            "registered_area",
            "area",
            "area_source",
            "delivered",
        ],
        units,
    )
    copy_rows(Person, ["id", "name", "place_id", "created_at"], people)
    copy_rows(Owner, ["id", "kind", "person_id", "org_name", "is_developer", "place_id", "created_at"], owners)
    copy_rows(Ownership, ["unit_id", "owner_id", "start", "share"], holdings)
    return len(units)


def user_with_role(username: str, role: str, place: Place) -> User:
    """A login holding ``role`` over ``place`` (created, or found from an earlier run)."""
    user, _created = User.objects.get_or_create(username=username)
    RoleAssignment.objects.get_or_create(user=user, role=role, place=place)
    return user


def find_district(name: str) -> District | None:
    """A district generated earlier under ``name``, with its first street, community and estate; or None."""
    district = Place.objects.filter(name=name, parent__isnull=True, kind=PlaceKind.DISTRICT).first()
    if district is None:
        return None
    in_tree = Place.objects.filter(tree_id=district.tree_id).order_by("lft")
    estate = in_tree.filter(kind=PlaceKind.ESTATE).first()
    community = Place.objects.get(pk=estate.parent_id)
    return District(
        district=district,
        street=Place.objects.get(pk=community.parent_id),
        community=community,
        estate=estate,
        estate_ids=list(in_tree.filter(kind=PlaceKind.ESTATE).values_list("pk", flat=True)),
        units=PropertyUnit.objects.filter(estate__tree_id=district.tree_id).count(),
    )


def ensure_district(name: str, shape: Shape) -> tuple[District, bool]:
    """The district generated under ``name`` (made now if missing); whether it was made now."""
    found = find_district(name)
    if found is not None:
        return found, False
    return generate_district(name, shape), True


def drop_tree(tree_id: int) -> None:
    """Delete a generated district (its register and places) by its tree id, committed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM governance_place WHERE tree_id = %s AND kind = 'estate'", [tree_id])
        estates = [r[0] for r in cursor.fetchall()]
        units = "SELECT id FROM residents_propertyunit WHERE estate_id = ANY(%s)"
        cursor.execute(f"DELETE FROM residents_ownership WHERE unit_id IN ({units})", [estates])
        cursor.execute("DELETE FROM residents_owner WHERE place_id = ANY(%s)", [estates])
        cursor.execute("DELETE FROM governance_person WHERE place_id = ANY(%s)", [estates])
        cursor.execute("DELETE FROM residents_propertyunit WHERE estate_id = ANY(%s)", [estates])
        places = "SELECT id FROM governance_place WHERE tree_id = %s"
        cursor.execute(f"DELETE FROM governance_roleassignment WHERE place_id IN ({places})", [tree_id])
        cursor.execute("DELETE FROM governance_place WHERE tree_id = %s", [tree_id])
