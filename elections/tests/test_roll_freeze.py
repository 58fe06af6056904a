"""The roll frozen when voting opens, written fast (issue 13) and still exactly the roll.

The digest of the roll link is computed without the canonical form's generic pass, the rows are
written as ``COPY`` text lines, and a roll unit's or owner's (vote, entry) is one composite key:
each must leave the frozen roll and its link as they were.
"""

import random
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from elections.chain import roll_digest, roll_entry_row, units_text
from elections.models import ChainLink, RollEntry, RollOwner, RollUnit
from elections.services.roll import roll_entries_digest
from elections.tests.factories import OwnerFactory, UnitFactory, open_resolution, own, register
from residents.selectors import RollEntry as Entry
from residents.selectors import VotingRoll, voting_roll
from residents.tests.factories import DeveloperFactory


def generic_digest(roll: VotingRoll) -> str:
    """The roll's digest as ``chain`` defines it (what ``verify_vote`` recomputes from an export)."""
    return roll_digest(
        roll_entry_row(
            key=e.key,
            area=e.area,
            is_developer=e.is_developer,
            owners=len(e.owner_ids),
            units=units_text((u, roll.unit_areas[u]) for u in e.unit_ids),
        )
        for e in roll.entries
    )


def odd_roll(rng: random.Random) -> VotingRoll:
    """Entries with keys to escape, areas of every scale, units out of order, co-owners, a developer."""
    unit_areas, entries, next_unit = {}, [], 1
    keys = ["developer", 'u"1', "u\\2", "t9", "u10", "u2", "业主甲", "u\t3", "\u00e9", "u" + "9" * 30]
    for n, key in enumerate(keys):
        units = rng.sample(range(next_unit, next_unit + 8), k=rng.randrange(1, 5))
        next_unit += 8
        for u in units:
            unit_areas[u] = rng.choice(
                [
                    Decimal("0.00"),
                    Decimal("12"),
                    Decimal("85.5"),
                    Decimal("1.005"),
                    Decimal(rng.randrange(1, 10**7)) / 100,
                ]
            )
        area = sum((unit_areas[u] for u in units), Decimal("0.00"))
        owners = tuple(sorted(rng.sample(range(1, 50), k=rng.randrange(0, 4))))
        entries.append(Entry(key=key, unit_ids=tuple(units), owner_ids=owners, area=area, is_developer=n == 0))
    total = sum(unit_areas.values(), Decimal("0.00"))
    return VotingRoll(estate_id=1, on=None, entries=entries, total_area=total, unit_areas=unit_areas)


@pytest.mark.parametrize("seed", range(20))
def test_the_freezes_roll_digest_is_the_chains_roll_digest_byte_for_byte(seed):
    roll = odd_roll(random.Random(seed))
    area_text = {u: f"{Decimal(a):.2f}" for u, a in roll.unit_areas.items()}
    assert roll_entries_digest(roll, area_text) == generic_digest(roll)


def test_an_empty_rolls_digest_is_the_chains_too():
    roll = VotingRoll(estate_id=1, on=None)
    assert roll_entries_digest(roll, {}) == generic_digest(roll)


@pytest.fixture
def mixed_register(world):
    """Single owners, co-owners, a buyer of two flats and the developer's unsold flat."""
    building = world["building_a1"]
    rows = register(building, ["80.00", "95.50", "120.25"])
    pair = UnitFactory(building=building, area=Decimal("70.10"))
    a, b = OwnerFactory(place=building.estate), OwnerFactory(place=building.estate)
    own(pair, a)
    own(pair, b)
    for area in ("60.00", "61.00"):
        own(UnitFactory(building=building, area=Decimal(area)), rows[0][1])
    own(UnitFactory(building=building, area=Decimal("99.99")), DeveloperFactory(place=building.estate))
    return rows


def test_the_frozen_rows_are_the_roll_and_its_link_holds_the_chains_digest(world, mixed_register):
    vote = open_resolution(world["estate_a"])
    roll = voting_roll(vote.estate)
    stored = {
        e.key: (e.area, e.is_developer, e.frozen)
        for e in RollEntry.objects.filter(vote=vote).only("key", "area", "is_developer", "frozen")
    }
    assert stored == {e.key: (e.area, e.is_developer, True) for e in roll.entries}
    units = set(RollUnit.objects.filter(vote=vote).values_list("entry__key", "unit_id", "area"))
    assert units == {(e.key, u, roll.unit_areas[u]) for e in roll.entries for u in e.unit_ids}
    owners = sorted(RollOwner.objects.filter(vote=vote).values_list("entry__key", "owner_id"))
    assert owners == sorted((e.key, o) for e in roll.entries for o in e.owner_ids)
    link = ChainLink.objects.get(vote=vote, kind="roll")
    assert link.body["entries"] == generic_digest(roll)
    assert link.body["total_owners"] == roll.total_owners == 5


@pytest.mark.postgres
def test_the_database_refuses_a_roll_owner_whose_entry_belongs_to_another_vote(world, mixed_register):
    first = open_resolution(world["estate_a"])
    second = open_resolution(world["estate_a"], title="第二项表决")
    entry = RollEntry.objects.filter(vote=first).exclude(key="developer").first()
    owner_id = mixed_register[1][1].pk
    before = RollOwner.objects.count()
    with pytest.raises(IntegrityError, match="roll_owner_entry_of_vote_fk"), transaction.atomic():
        RollOwner.objects.create(vote=second, entry=entry, owner_id=owner_id)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert RollOwner.objects.count() == before


@pytest.mark.postgres
def test_the_database_refuses_a_roll_unit_pointing_at_no_entry(world, mixed_register):
    vote = open_resolution(world["estate_a"])
    unit = UnitFactory(building=world["building_a1"], area=Decimal("50.00"))
    missing = (RollEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    with pytest.raises(IntegrityError, match="roll_unit_entry_of_vote_fk"), transaction.atomic():
        RollUnit.objects.create(vote=vote, entry_id=missing, unit=unit, area=Decimal("50.00"))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not RollUnit.objects.filter(vote=vote, unit=unit).exists()
