import pytest

from committees import services


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep uploaded vouchers out of the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(world):
    """The shared small district, each place as the database holds it.

    Places created early in ``district_world`` keep tree positions (``lft``) from before
    their later siblings moved them; the services check rights against the place's position.
    """
    for place in world.values():
        place.refresh_from_db()
    return world


@pytest.fixture
def estate(world):
    return world["estate_a"]


@pytest.fixture
def ledger(estate, cast):
    """The estate's chart of accounts, by code."""
    return {a.code: a for a in services.ledger_open(estate=estate, actor=cast["committee_member"])}
