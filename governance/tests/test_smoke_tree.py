from governance.models import PlaceKind


def test_world_builds_estates_with_their_buildings(world):
    assert world["building_a1"].estate == world["estate_a"]
    assert world["estate_a"].estate == world["estate_a"]
    assert world["estate_a"].get_ancestors().filter(kind=PlaceKind.DISTRICT).get() == world["district"]
