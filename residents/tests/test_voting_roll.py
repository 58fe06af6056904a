"""The voting roll (docs/domain.md §4): one counted owner per unit, merged by common owners, the developer as one."""

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from governance.scoping import SYSTEM
from residents import services
from residents.models import PropertyUnit, UnitUse
from residents.selectors import DEVELOPER_KEY, voting_roll

from .factories import DeveloperFactory, OwnershipFactory, PersonOwnerFactory, PropertyUnitFactory

DAY = datetime.date(2026, 3, 1)


@pytest.fixture
def unit(b1):
    def make(area="100.00", **extra):
        return PropertyUnitFactory(building=b1, registered_area=Decimal(area), **extra)

    return make


@pytest.fixture
def owner(estate):
    return lambda: PersonOwnerFactory(place=estate)


def test_each_unit_with_its_own_owner_counts_once_with_its_area(estate, unit, owner):
    for area in ("80.00", "120.50"):
        OwnershipFactory(unit=unit(area), owner=owner())
    roll = voting_roll(estate, on=DAY)
    assert roll.total_owners == 2
    assert roll.total_area == Decimal("200.50")
    assert sorted(e.area for e in roll.entries) == [Decimal("80.00"), Decimal("120.50")]


def test_developer_unsold_and_undelivered_units_count_as_one_owner_with_their_full_area(estate, unit, owner):
    developer = DeveloperFactory(place=estate)
    OwnershipFactory(unit=unit("90.00"), owner=developer)
    OwnershipFactory(unit=unit("110.00"), owner=developer)
    OwnershipFactory(unit=unit("70.00", delivered=False), owner=owner())  # sold, not delivered
    unit("50.00")  # no owner recorded: still the developer's
    OwnershipFactory(unit=unit("100.00"), owner=owner())
    roll = voting_roll(estate, on=DAY)
    developer_entry = next(e for e in roll.entries if e.key == DEVELOPER_KEY)
    assert developer_entry.is_developer and len(developer_entry.unit_ids) == 4
    assert developer_entry.area == Decimal("320.00")
    assert developer_entry.owner_ids == (developer.pk,)
    assert roll.total_owners == 2 and roll.total_area == Decimal("420.00")


def test_a_buyer_of_three_flats_counts_as_one_owner_with_their_areas_added(estate, unit, owner):
    buyer = owner()
    for area in ("80.00", "90.00", "100.00"):
        OwnershipFactory(unit=unit(area), owner=buyer)
    OwnershipFactory(unit=unit("60.00"), owner=owner())
    roll = voting_roll(estate, on=DAY)
    assert roll.total_owners == 2
    entry = next(e for e in roll.entries if buyer.pk in e.owner_ids)
    assert len(entry.unit_ids) == 3 and entry.area == Decimal("270.00")


def test_co_owners_of_one_unit_count_as_one_owner(estate, unit, owner):
    shared = unit("100.00")
    a, b = owner(), owner()
    OwnershipFactory(unit=shared, owner=a, share=Decimal("0.5"))
    OwnershipFactory(unit=shared, owner=b, share=Decimal("0.5"))
    roll = voting_roll(estate, on=DAY)
    assert roll.total_owners == 1
    assert roll.entries[0].owner_ids == tuple(sorted((a.pk, b.pk)))


def test_units_linked_through_a_common_co_owner_merge_into_one_counted_owner(estate, unit, owner):
    a, b = owner(), owner()
    first, second = unit(), unit()
    OwnershipFactory(unit=first, owner=a)
    OwnershipFactory(unit=first, owner=b)
    OwnershipFactory(unit=second, owner=b)
    assert voting_roll(estate, on=DAY).total_owners == 1


def test_area_source_precedence_register_then_survey_then_contract(b1):
    both = PropertyUnitFactory.build(
        building=b1, registered_area=None, surveyed_area=Decimal("88.00"), contract_area=Decimal("90.00")
    )
    both.apply_area_precedence()
    assert (both.area, both.area_source) == (Decimal("88.00"), "surveyed")
    both.registered_area = Decimal("87.50")
    both.apply_area_precedence()
    assert (both.area, both.area_source) == (Decimal("87.50"), "registered")
    only_contract = PropertyUnitFactory.build(building=b1, registered_area=None, contract_area=Decimal("91.00"))
    only_contract.apply_area_precedence()
    assert (only_contract.area, only_contract.area_source) == (Decimal("91.00"), "contract")


def test_the_roll_counts_the_area_chosen_by_precedence(estate, b1, owner):
    unit = services.unit_create(
        building=b1, room="101", surveyed_area=Decimal("88.00"), contract_area=Decimal("90.00"), actor=SYSTEM
    )
    OwnershipFactory(unit=unit, owner=owner())
    assert voting_roll(estate, on=DAY).total_area == Decimal("88.00")


def test_an_ownership_that_ended_before_the_date_is_not_counted(estate, unit, owner):
    flat = unit()
    seller, buyer = owner(), owner()
    OwnershipFactory(unit=flat, owner=seller, start=datetime.date(2020, 1, 1), end=datetime.date(2026, 2, 1))
    OwnershipFactory(unit=flat, owner=buyer, start=datetime.date(2026, 2, 1))
    roll = voting_roll(estate, on=DAY)
    assert [e.owner_ids for e in roll.entries] == [(buyer.pk,)]
    # The day before the sale the seller held it; on the sale's day (``end``) the buyer does.
    assert voting_roll(estate, on=datetime.date(2026, 1, 31)).entries[0].owner_ids == (seller.pk,)
    assert voting_roll(estate, on=datetime.date(2026, 2, 1)).entries[0].owner_ids == (buyer.pk,)


def test_a_unit_whose_only_ownership_ended_falls_back_to_the_developer(estate, unit, owner):
    OwnershipFactory(unit=unit(), owner=owner(), end=datetime.date(2026, 1, 1))
    assert voting_roll(estate, on=DAY).entries[0].key == DEVELOPER_KEY


def test_parking_spaces_count_unless_the_district_excludes_them(estate, unit, owner, settings):
    OwnershipFactory(unit=unit("100.00"), owner=owner())
    OwnershipFactory(unit=unit("12.50", use=UnitUse.PARKING), owner=owner())
    assert voting_roll(estate, on=DAY).total_area == Decimal("112.50")
    settings.GONGZHI = {**settings.GONGZHI, "PARKING_COUNTS_FOR_AREA": False}
    roll = voting_roll(estate, on=DAY)
    assert roll.total_area == Decimal("100.00") and roll.total_owners == 1


def test_units_of_another_estate_are_not_on_the_roll(estate, world, owner):
    other = PropertyUnitFactory(building=world["building_b1"])
    OwnershipFactory(unit=other, owner=PersonOwnerFactory(place=world["estate_b"]))
    assert voting_roll(estate, on=DAY).total_owners == 0


def test_the_roll_is_exact_and_feeds_an_exact_quorum(estate, unit, owner):
    for _i in range(3):
        OwnershipFactory(unit=unit("33.33"), owner=owner())
    roll = voting_roll(estate, on=DAY)
    assert isinstance(roll.total_area, Decimal) and roll.total_area == Decimal("99.99")
    two_entries = sum((e.area for e in roll.entries[:2]), Decimal(0))
    assert Fraction(two_entries) / Fraction(roll.total_area) == Fraction(2, 3)


def test_the_roll_takes_three_queries_whatever_the_size(estate, unit, owner, django_assert_num_queries):
    for _i in range(20):
        OwnershipFactory(unit=unit(), owner=owner())
    # The district's parking rule, the units, their ownerships.
    with django_assert_num_queries(3):
        voting_roll(estate, on=DAY)


def test_the_roll_is_the_same_every_time_for_the_same_register(estate, unit, owner):
    for _i in range(5):
        OwnershipFactory(unit=unit(), owner=owner())
    assert voting_roll(estate, on=DAY) == voting_roll(estate, on=DAY)
    assert PropertyUnit.objects.count() == 5
