import pytest

from governance import services as governance_services
from governance.models import OrgKind, PostBody, PostKind
from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory, org


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep uploaded files out of the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def estate(world):
    return world["estate_a"]


@pytest.fixture
def party(world, cast):
    """The community party committees of both communities; community A's secretary is the secretary_a user's person."""
    committee_a = org(OrgKind.COMMUNITY_COMMITTEE, "南桥苑社区党委", world["community_a"])
    committee_b = org(OrgKind.COMMUNITY_COMMITTEE, "石马河社区党委", world["community_b"])
    governance_services.post_create(
        person=cast["secretary_a"].person,
        kind=PostKind.SECRETARY,
        body=PostBody.PARTY,
        organization=committee_a,
        actor=SYSTEM,
    )
    cadre = PersonFactory(name="陈静", place=world["community_a"])
    governance_services.post_create(
        person=cadre, kind=PostKind.STAFF, body=PostBody.COMMUNITY_STAFF, place=world["community_a"], actor=SYSTEM
    )
    return {"a": committee_a, "b": committee_b, "cadre": cadre}
