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


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded mandates and records go to the test's own directory, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
