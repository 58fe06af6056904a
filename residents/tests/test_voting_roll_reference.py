"""``voting_roll`` against the straightforward version it replaced (issue 13), on generated odd registers.

The roll is the single source of every quorum and tally: the faster build must give exactly the
same entries (keys, units, owners, areas to the last digit of their text), totals and unit areas.
"""

import datetime
import random
from decimal import Decimal

import pytest

from governance.rules import rule
from residents.models import Ownership, PropertyUnit, UnitUse
from residents.selectors import DEVELOPER_KEY, RollEntry, VotingRoll, _find, voting_roll

from .factories import DeveloperFactory, OwnershipFactory, PersonOwnerFactory, PropertyUnitFactory

DAY = datetime.date(2026, 3, 1)


def reference_roll(estate, on: datetime.date) -> VotingRoll:
    """The roll as ``voting_roll`` built it before issue 13 (owners read in order, tuples per holder)."""
    units = PropertyUnit.objects.filter(estate=estate)
    if not rule("PARKING_COUNTS_FOR_AREA", estate):
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
    return VotingRoll(estate_id=estate.pk, on=on, entries=entries, total_area=total, unit_areas=area_of)


def as_text(roll: VotingRoll) -> tuple:
    """Everything the roll says, with every decimal as its text (``Decimal('1.0') == Decimal('1.00')``)."""
    return (
        [(e.key, e.unit_ids, e.owner_ids, str(e.area), e.is_developer) for e in roll.entries],
        str(roll.total_area),
        {u: str(a) for u, a in roll.unit_areas.items()},
    )


def odd_register(estate, building, rng: random.Random) -> None:
    """Units delivered or not, parking, no owner, co-owners, chains of shared owners, ended and future titles."""
    people = [PersonOwnerFactory(place=estate) for _ in range(14)]
    developers = [DeveloperFactory(place=estate) for _ in range(2)]
    for _ in range(45):
        area = Decimal(rng.randrange(100, 20000)) / 100
        unit = PropertyUnitFactory(
            building=building,
            registered_area=area,
            delivered=rng.random() > 0.15,
            use=UnitUse.PARKING if rng.random() < 0.2 else UnitUse.RESIDENTIAL,
        )
        holders = rng.sample(people + developers * (rng.random() < 0.15), k=rng.choice((0, 1, 1, 1, 2, 3)))
        for owner in holders:
            when = rng.random()
            if when < 0.15:  # ended before the day: the unit may fall back to the developer
                OwnershipFactory(unit=unit, owner=owner, end=DAY - datetime.timedelta(days=rng.randrange(0, 30)))
            elif when < 0.25:  # starts after the day
                OwnershipFactory(unit=unit, owner=owner, start=DAY + datetime.timedelta(days=1))
            elif when < 0.35:  # ends after the day: held on it
                OwnershipFactory(unit=unit, owner=owner, end=DAY + datetime.timedelta(days=rng.randrange(1, 30)))
            else:
                OwnershipFactory(unit=unit, owner=owner)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
def test_voting_roll_equals_the_reference_roll_on_a_generated_odd_register(world, settings, seed):
    from governance.models import Place

    estate = Place.objects.get(pk=world["estate_a"].pk)
    odd_register(estate, world["building_a1"], random.Random(seed))
    assert voting_roll(estate, on=DAY).entries, "the generated register has counted owners"
    for on in (DAY, DAY + datetime.timedelta(days=1), DAY + datetime.timedelta(days=40)):
        assert as_text(voting_roll(estate, on=on)) == as_text(reference_roll(estate, on))
    settings.GONGZHI = {**settings.GONGZHI, "PARKING_COUNTS_FOR_AREA": False}
    assert as_text(voting_roll(estate, on=DAY)) == as_text(reference_roll(estate, DAY))
