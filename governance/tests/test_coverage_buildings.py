"""Coverage counts each building once, however many building groups cover it."""

import pytest

from governance.models import Organization, OrgKind, Place, PlaceKind
from governance.selectors import coverage
from governance.tests.factories import district_world


@pytest.mark.django_db
def test_a_building_in_two_building_groups_counts_once_as_covered():
    world = district_world()
    estate = world["estate_a"]
    committee = Organization.objects.create(
        name="社区党委", kind=OrgKind.COMMUNITY_COMMITTEE, place=world["community_a"]
    )
    general = Organization.objects.create(
        name="小区党总支", kind=OrgKind.ESTATE_GENERAL_BRANCH, place=estate, parent=committee
    )
    branch = Organization.objects.create(name="第一支部", kind=OrgKind.RESIDENT_BRANCH, place=estate, parent=general)
    first = Organization.objects.create(name="一组", kind=OrgKind.BUILDING_GROUP, place=estate, parent=branch)
    second = Organization.objects.create(name="二组", kind=OrgKind.BUILDING_GROUP, place=estate, parent=branch)
    first.buildings.add(world["building_a1"])
    second.buildings.add(world["building_a1"])
    buildings = Place.objects.filter(kind=PlaceKind.BUILDING, estate=estate).count()
    assert buildings >= 2

    parts = coverage(Place.objects.get(pk=estate.pk))["parts"]

    assert (parts["buildings"], parts["buildings_covered"]) == (buildings, 1)
    assert parts["estates_all_buildings_covered"] == 0
