"""Occupancy counted from the latest record of each unit, as before, now in a pass over the records."""

import datetime
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import Place
from residents.models import Occupancy, OccupancyState, PropertyUnit, UnitUse
from residents.selectors import occupancy_by_estate, occupancy_rate, occupancy_series, units_in
from residents.tests.factories import PropertyUnitFactory

DAYS = [datetime.date(2024, 1, 1) + datetime.timedelta(days=d) for d in range(0, 400, 37)]


@pytest.fixture
def histories(world):
    """Units in both estates with random occupancy histories (some none, one a parking space)."""
    rng = random.Random(13)
    units = [
        PropertyUnitFactory(building=world[key])
        for key in ("building_a1", "building_a2", "building_b1")
        for _ in range(9)
    ]
    units.append(PropertyUnitFactory(building=world["building_a1"], use=UnitUse.PARKING))
    for unit in units:
        for since in sorted(rng.sample(DAYS, rng.randint(0, 4))):
            Occupancy.objects.create(unit=unit, since=since, state=rng.choice(OccupancyState.values))
    return units


def _by_hand(units, on):
    occupied = 0
    for unit in units:
        records = sorted(unit.occupancy_states.filter(since__lte=on), key=lambda o: o.since)
        occupied += bool(records) and records[-1].state == OccupancyState.OCCUPIED
    return len(units), occupied


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["district", "street_a", "estate_a", "estate_b", "building_a1"])
def test_occupancy_rate_counts_each_units_latest_record_on_the_day(histories, world, key):
    place = Place.objects.get(pk=world[key].pk)  # the tree numbers as stored, after the fixtures grew the tree
    units = list(units_in(place).filter(use=UnitUse.RESIDENTIAL))
    assert units
    for on in DAYS:
        figures = occupancy_rate(place, on=on)
        assert (figures["units"], figures["occupied"]) == _by_hand(units, on), on


@pytest.mark.django_db
def test_occupancy_by_estate_agrees_with_the_rate_of_each_estate(histories, world):
    for on in DAYS:
        rows = occupancy_by_estate(Place.objects.get(pk=world["district"].pk), on)
        for estate in (world["estate_a"], world["estate_b"]):
            rate = occupancy_rate(estate, on=on)
            assert rows[estate.pk] == {k: rate[k] for k in ("units", "occupied", "rate")}


@pytest.mark.django_db
def test_units_of_a_higher_place_are_those_of_its_estates(histories, world):
    for key in ("district", "street_a", "street_b", "community_a"):
        place = Place.objects.get(pk=world[key].pk)
        by_buildings = PropertyUnit.objects.filter(
            building__tree_id=place.tree_id, building__lft__gte=place.lft, building__lft__lte=place.rght
        )
        assert set(units_in(place).values_list("pk", flat=True)) == set(by_buildings.values_list("pk", flat=True))


@pytest.mark.django_db
def test_occupancy_rate_takes_one_query_however_many_units(histories, world):
    district = Place.objects.get(pk=world["district"].pk)
    with CaptureQueriesContext(connection) as queries:
        occupancy_rate(district, on=DAYS[-1])
    assert len(queries) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["district", "estate_a"])
def test_the_units_of_an_estate_or_higher_are_read_from_the_kept_counts_not_counted(histories, world, key):
    place = Place.objects.get(pk=world[key].pk)
    with CaptureQueriesContext(connection) as queries:
        occupancy_rate(place, on=DAYS[-1])
        occupancy_by_estate(place, DAYS[-1])
    sql = " ".join(q["sql"] for q in queries)
    assert "residents_estateunitcount" in sql
    assert 'COUNT("residents_propertyunit"."id")' not in sql


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["community_a", "estate_a", "building_a1"])
def test_occupancy_series_agrees_with_the_rate_at_each_month_end(histories, world, key):
    place = Place.objects.get(pk=world[key].pk)
    series = occupancy_series(place, DAYS[0], DAYS[-1])
    assert len(series) > 10
    for point in series:
        rate = occupancy_rate(place, on=datetime.date.fromisoformat(point["on"]))
        assert (point["units"], point["occupied"]) == (rate["units"], rate["occupied"]), point["on"]
