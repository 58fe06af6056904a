import pytest

from elections.tests.factories import register


@pytest.fixture
def estate(world):
    return world["estate_a"]


@pytest.fixture
def ten_owners(world):
    """Ten owners of 100 m² each in estate A (1,000 m², ten counted owners)."""
    return register(world["building_a1"], [100] * 10)
