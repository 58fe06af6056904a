import pytest


@pytest.fixture
def estate(world):
    return world["estate_a"]


@pytest.fixture
def b1(world):
    return world["building_a1"]


@pytest.fixture
def b2(world):
    return world["building_a2"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
