"""Every write service of the register checks the actor's right itself (issue 8 item 2).

Each service is called once by an actor with the right (it succeeds: the refusals below are
about rights, not about the call), and by actors without it, and by ``None``: each refusal is
``NotPermitted`` and leaves the database as it was.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from import_export.formats.base_formats import CSV

from core.errors import NotPermitted
from governance.models import AuditEvent, Person
from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory, org
from residents import services
from residents.models import (
    ImportJob,
    ImportState,
    Occupancy,
    Owner,
    Ownership,
    Participation,
    PartyMember,
    PropertyUnit,
    Resident,
)

from .factories import (
    DeveloperFactory,
    OwnershipFactory,
    PartyMemberFactory,
    PersonOwnerFactory,
    PropertyUnitFactory,
    ResidentFactory,
    register_csv,
    register_row,
)

DAY = datetime.date(2026, 3, 1)


@pytest.fixture
def things(world):
    estate = world["estate_a"]
    unit = PropertyUnitFactory(building=world["building_a1"], room="101")
    owner = PersonOwnerFactory(place=estate)
    OwnershipFactory(unit=unit, owner=owner)
    community = org("community_committee", "南桥苑社区党委", world["community_a"])
    branch = org("estate_general_branch", "南方上格林党总支", estate, community)
    member = PartyMemberFactory(organization=branch)
    stalled = services.register_import_submit(
        estate=estate,
        file=ContentFile(register_csv([register_row()]).getvalue(), name="r.csv"),
        actor=SYSTEM,
        run=False,
    )
    ImportJob.objects.filter(pk=stalled.pk).update(
        state=ImportState.IMPORTING, started_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    return {
        "estate": estate,
        "building": world["building_a1"],
        "unit": unit,
        "owner": owner,
        "developer": DeveloperFactory(place=estate),
        "buyer": PersonOwnerFactory(place=estate),
        "person": PersonFactory(place=estate),
        "resident": ResidentFactory(unit=unit, person=owner.person),
        "branch": branch,
        "member": member,
    }


def _csv(name="r.csv"):
    return ContentFile(register_csv([register_row(room="909")]).getvalue(), name=name)


# name: (the right it needs, a call of the service with the given actor)
SERVICES = {
    "unit_create": (
        "change",
        lambda t, a: services.unit_create(building=t["building"], room="909", registered_area=Decimal("80"), actor=a),
    ),
    "unit_update": ("change", lambda t, a: services.unit_update(unit=t["unit"], room="102", actor=a)),
    "owner_create": ("change", lambda t, a: services.owner_create(estate=t["estate"], person=t["person"], actor=a)),
    "owner_update": ("change", lambda t, a: services.owner_update(owner=t["developer"], org_name="南方置业", actor=a)),
    "owner_for_person": (
        "change",
        lambda t, a: services.owner_for_person(person=t["person"], estate=t["estate"], actor=a),
    ),
    "owner_reveal": ("view_personal", lambda t, a: services.owner_reveal(owner=t["owner"], actor=a)),
    "owners_export": (
        "view",
        lambda t, a: services.owners_export(
            owners=Owner.objects.filter(place=t["estate"]), file_format=_csv_format(), actor=a
        ),
    ),
    "ownership_transfer": (
        "change",
        lambda t, a: services.ownership_transfer(unit=t["unit"], new_owners=[t["buyer"]], on=DAY, actor=a),
    ),
    "resident_move_in": (
        "change",
        lambda t, a: services.resident_move_in(unit=t["unit"], person=t["person"], relation="tenant", on=DAY, actor=a),
    ),
    "resident_move_out": ("change", lambda t, a: services.resident_move_out(resident=t["resident"], on=DAY, actor=a)),
    "party_member_register": (
        "change",
        lambda t, a: services.party_member_register(person=t["person"], organization=t["branch"], actor=a),
    ),
    "party_member_update": (
        "change",
        lambda t, a: services.party_member_update(member=t["member"], workplace="重庆建工", actor=a),
    ),
    "participation_record": (
        "change",
        lambda t, a: services.participation_record(member=t["member"], date=DAY, activity="巡查", actor=a),
    ),
    "register_import_submit": (
        "change",
        lambda t, a: services.register_import_submit(estate=t["estate"], file=_csv(), actor=a, run=False),
    ),
    "register_import_file": (
        "change",
        lambda t, a: services.register_import_file(estate=t["estate"], file=_csv(), name="r.csv", actor=a),
    ),
    "register_imports_fail_stalled": ("change", lambda t, a: services.register_imports_fail_stalled(actor=a)),
}


def _csv_format():
    return CSV()


# Actors without the right, with the one right of those used here that they do have: a
# resident of the estate, a secretary of another community, a discipline reviewer who may
# only read, and no actor at all.
REFUSED = [("resident", None), ("secretary_b", None), ("reviewer", "view"), (None, None)]


def _state():
    """Every row a register service could write, as plain values."""
    models = (PropertyUnit, Owner, Ownership, Resident, Occupancy, PartyMember, Participation, ImportJob, Person)
    state = {m.__name__: list(m.objects.order_by("pk").values()) for m in models}
    state["skills"] = list(PartyMember.skills.through.objects.order_by("pk").values())
    state["AuditEvent"] = list(AuditEvent.objects.order_by("pk").values_list("pk", "action"))
    return state


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_does_its_write_for_an_actor_with_the_right(name, things, cast):
    _right, call = SERVICES[name]
    events = AuditEvent.objects.count()
    call(things, cast["secretary_a"])
    assert AuditEvent.objects.count() > events


@pytest.mark.parametrize(
    ("name", "actor"),
    [(name, actor) for name, (right, _call) in SERVICES.items() for actor, has in REFUSED if has != right],
)
def test_a_service_refuses_an_actor_without_the_right_and_writes_nothing(name, actor, things, cast):
    _right, call = SERVICES[name]
    before = _state()
    with pytest.raises(NotPermitted):
        call(things, cast[actor] if actor else None)
    assert _state() == before
