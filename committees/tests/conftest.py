import pytest

from committees import services


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep uploaded vouchers out of the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def estate(world):
    return world["estate_a"]


@pytest.fixture
def ledger(estate, cast):
    """The estate's chart of accounts, by code."""
    return {a.code: a for a in services.ledger_open(estate=estate, actor=cast["committee_member"])}
