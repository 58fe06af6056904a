"""Every write service of the governance layer checks the actor's right itself (issue 8 item 2).

One row per service: how to call it on records of estate A. Each is called by actors who
lack the right there (another community's secretary, the district auditor, a resident) and
with no actor at all; each call is refused with ``NotPermitted`` and leaves every
governance table, the audit trail included, exactly as it was.
"""

import datetime
import inspect

import pytest

from core.errors import NotPermitted
from governance import services
from governance.models import (
    AuditEvent,
    CoverageSnapshot,
    DistrictRule,
    Organization,
    OrgKind,
    Person,
    Place,
    PlaceKind,
    Post,
    PostBody,
    PostKind,
    RoleAssignment,
    User,
)
from governance.scoping import SYSTEM
from governance.tests.factories import org

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(world, cast):
    committee = org(OrgKind.COMMUNITY_COMMITTEE, "南桥苑社区党委", world["community_a"])
    general = org(OrgKind.ESTATE_GENERAL_BRANCH, "南方上格林党总支", world["estate_a"], committee)
    person = services.person_create(
        name="张三", place=world["estate_a"], id_number="500105195305121234", phone="13812345678", actor=SYSTEM
    )
    post = services.post_create(
        person=person, kind=PostKind.CHAIR, body=PostBody.OWNERS_COMMITTEE, place=world["estate_a"], actor=SYSTEM
    )
    assignment = RoleAssignment.objects.get(user=cast["clerk"])
    return {"committee": committee, "general": general, "person": person, "post": post, "assignment": assignment}


WRITES = {
    "place_create": lambda w, r, c, actor: services.place_create(
        kind=PlaceKind.BUILDING, name="9栋", parent=w["estate_a"], actor=actor
    ),
    "place_update": lambda w, r, c, actor: services.place_update(place=w["estate_a"], name="改名", actor=actor),
    "place_move": lambda w, r, c, actor: services.place_move(place=w["building_a2"], parent=w["estate_a"], actor=actor),
    "place_delete": lambda w, r, c, actor: services.place_delete(place=w["building_a2"], actor=actor),
    "organization_create": lambda w, r, c, actor: services.organization_create(
        kind=OrgKind.RESIDENT_BRANCH, name="第一党支部", place=w["estate_a"], parent=r["general"], actor=actor
    ),
    "organization_update": lambda w, r, c, actor: services.organization_update(
        organization=r["general"], name="改名", actor=actor
    ),
    "organization_move": lambda w, r, c, actor: services.organization_move(
        organization=r["general"], parent=r["committee"], actor=actor
    ),
    "organization_delete": lambda w, r, c, actor: services.organization_delete(organization=r["general"], actor=actor),
    "person_create": lambda w, r, c, actor: services.person_create(name="李四", place=w["estate_a"], actor=actor),
    "person_update": lambda w, r, c, actor: services.person_update(person=r["person"], name="张三丰", actor=actor),
    "person_reveal": lambda w, r, c, actor: services.person_reveal(person=r["person"], actor=actor),
    "post_create": lambda w, r, c, actor: services.post_create(
        person=r["person"], kind=PostKind.SECRETARY, body=PostBody.PARTY, organization=r["general"], actor=actor
    ),
    "post_update": lambda w, r, c, actor: services.post_update(post=r["post"], kind=PostKind.VICE_CHAIR, actor=actor),
    "post_end": lambda w, r, c, actor: services.post_end(post=r["post"], end=datetime.date(2030, 1, 1), actor=actor),
    "role_assignment_create": lambda w, r, c, actor: services.role_assignment_create(
        user=c["resident"], role="clerk", place=w["estate_a"], actor=actor
    ),
    "role_assignment_delete": lambda w, r, c, actor: services.role_assignment_delete(
        assignment=r["assignment"], actor=actor
    ),
    "user_create": lambda w, r, c, actor: services.user_create(
        username="new-login", password="a-long-enough-passphrase", person=r["person"], actor=actor
    ),
    "rule_set": lambda w, r, c, actor: services.rule_set(
        district=w["district"], key="VOTE_NOTICE_DAYS", value=20, actor=actor
    ),
    "coverage_recount": lambda w, r, c, actor: services.coverage_recount(place=w["estate_a"], actor=actor),
    "coverage_snapshot_create": lambda w, r, c, actor: services.coverage_snapshot_create(
        place=w["estate_a"], actor=actor
    ),
    "personal_data_reencrypt": lambda w, r, c, actor: services.personal_data_reencrypt(actor=actor),
}

# Actors without the right at estate A: another community's secretary, the auditor (reads, reveals
# personal data, never writes), a resident of the estate itself, and no actor at all.
OUTSIDERS = ["secretary_b", "auditor", "resident", None]
# The auditor's role is to see personal data: revealing it is the one governance write they may make.
ALLOWED = {("person_reveal", "auditor")}

TABLES = (Place, Organization, Person, Post, RoleAssignment, User, DistrictRule, AuditEvent, CoverageSnapshot)


def snapshot() -> dict:
    """Every row of every governance table, to compare before and after a refused write."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TABLES}


def test_every_write_service_has_a_row_here():
    public = {
        name
        for name, fn in inspect.getmembers(services, inspect.isfunction)
        if fn.__module__ == services.__name__ and not name.startswith("_") and not name.endswith("_refusal")
    }
    assert public == set(WRITES)


REFUSALS = [(write, outsider) for write in sorted(WRITES) for outsider in OUTSIDERS if (write, outsider) not in ALLOWED]


@pytest.mark.parametrize(("write", "outsider"), REFUSALS)
def test_a_write_without_the_right_is_refused_and_changes_nothing(world, cast, records, write, outsider):
    actor = cast[outsider] if outsider else None
    before = snapshot()
    with pytest.raises(NotPermitted):
        WRITES[write](world, records, cast, actor)
    assert snapshot() == before


@pytest.mark.parametrize("write", sorted(WRITES))
def test_the_same_write_by_the_system_goes_through(world, cast, records, write, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        WRITES[write](world, records, cast, SYSTEM)
