import pytest

from elections.tests.factories import register


@pytest.fixture
def estate(world):
    """Estate A, read afresh (the tree numbers of ``world``'s objects go stale as places are added)."""
    from governance.models import Place

    return Place.objects.get(pk=world["estate_a"].pk)


@pytest.fixture
def ten_owners(world):
    """Ten owners of 100 m² each in estate A (1,000 m², ten counted owners)."""
    return register(world["building_a1"], [100] * 10)
