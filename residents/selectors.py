"""Reads of the register; ``voting_roll`` is the single source of every quorum and tally."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from governance.models import Place
from residents.models import Ownership, PropertyUnit, UnitUse

DEVELOPER_KEY = "developer"


@dataclass(frozen=True)
class RollEntry:
    """One counted owner (DOMAIN.md §4): the units it holds, their owners, and the area it counts with.

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

    Two queries, whatever the size of the estate.
    """
    on = on or timezone.localdate()
    units = PropertyUnit.objects.filter(estate=estate)
    if not settings.GONGZHI["PARKING_COUNTS_FOR_AREA"]:
        units = units.exclude(use=UnitUse.PARKING)
    unit_rows = list(units.values_list("id", "area", "delivered").order_by("id"))
    owners_of: dict[int, list[tuple[int, bool]]] = {}
    for unit_id, owner_id, is_developer in (
        Ownership.objects.active_on(on)
        .filter(unit__in=units)
        .values_list("unit_id", "owner_id", "owner__is_developer")
        .order_by("unit_id", "owner_id")
    ):
        owners_of.setdefault(unit_id, []).append((owner_id, is_developer))

    developer_units: list[int] = []
    developer_owners: set[int] = set()
    area_of: dict[int, Decimal] = {}
    parent: dict[int, int] = {}
    first_unit_of_owner: dict[int, int] = {}
    for unit_id, area, delivered in unit_rows:
        area_of[unit_id] = area
        holders = owners_of.get(unit_id, [])
        if not delivered or not holders or any(is_dev for _o, is_dev in holders):
            developer_units.append(unit_id)
            developer_owners.update(o for o, is_dev in holders if is_dev)
            continue
        parent[unit_id] = unit_id
        for owner_id, _is_dev in holders:
            other = first_unit_of_owner.setdefault(owner_id, unit_id)
            if other != unit_id:
                a, b = _find(parent, other), _find(parent, unit_id)
                if a != b:
                    parent[max(a, b)] = min(a, b)

    groups: dict[int, list[int]] = {}
    for unit_id in parent:
        groups.setdefault(_find(parent, unit_id), []).append(unit_id)

    entries: list[RollEntry] = []
    if developer_units:
        entries.append(
            RollEntry(
                key=DEVELOPER_KEY,
                unit_ids=tuple(developer_units),
                owner_ids=tuple(sorted(developer_owners)),
                area=sum((area_of[u] for u in developer_units), Decimal("0.00")),
                is_developer=True,
            )
        )
    for root, unit_ids in sorted(groups.items()):
        owner_ids = sorted({o for u in unit_ids for o, _d in owners_of[u]})
        entries.append(
            RollEntry(
                key=f"u{root}",
                unit_ids=tuple(unit_ids),
                owner_ids=tuple(owner_ids),
                area=sum((area_of[u] for u in unit_ids), Decimal("0.00")),
            )
        )
    total = sum(area_of.values(), Decimal("0.00"))
    return VotingRoll(estate_id=estate.pk, on=on, entries=entries, total_area=total)
