"""Updates record each changed field's old and new value (issue 8 item 4); ID and phone numbers only masked."""

import datetime

import pytest

from governance import services
from governance.models import AuditEvent, OrgKind, PostBody, PostKind
from governance.scoping import SYSTEM
from governance.tests.factories import org

pytestmark = pytest.mark.django_db


def last(action: str) -> dict:
    return AuditEvent.objects.filter(action=action).latest("pk").data["changes"]


def test_a_place_rename_records_the_old_and_new_name(api, cast, world):
    api.as_user(cast["secretary_a"]).patch(f"/api/v1/places/{world['estate_a'].pk}/", {"name": "新名"}, format="json")
    assert last("place.update") == {"name": {"old": "南方上格林", "new": "新名"}}


def test_an_update_that_changes_nothing_records_nothing(cast, world):
    services.place_update(place=world["estate_a"], name="南方上格林", actor=cast["secretary_a"])
    assert not AuditEvent.objects.filter(action="place.update").exists()


def test_a_move_records_the_old_and_new_parent(cast, world):
    services.place_move(place=world["estate_a"], parent=world["community_b"], actor=cast["admin"])
    assert last("place.move") == {"parent": {"old": world["community_a"].pk, "new": world["community_b"].pk}}


def test_an_organization_update_records_name_and_buildings(cast, world):
    committee = org(OrgKind.COMMUNITY_COMMITTEE, "社区党委", world["community_a"])
    general = org(OrgKind.ESTATE_GENERAL_BRANCH, "党总支", world["estate_a"], committee)
    branch = org(OrgKind.RESIDENT_BRANCH, "支部", world["estate_a"], general)
    group = org(OrgKind.BUILDING_GROUP, "党小组", world["building_a1"], branch)
    services.organization_update(
        organization=group,
        name="联合党小组",
        buildings=[world["building_a1"], world["building_a2"]],
        actor=cast["secretary_a"],
    )
    assert last("organization.update") == {
        "name": {"old": "党小组", "new": "联合党小组"},
        "buildings": {
            "old": [world["building_a1"].pk],
            "new": sorted([world["building_a1"].pk, world["building_a2"].pk]),
        },
    }


def test_a_person_update_records_id_and_phone_changes_masked_never_in_clear(cast, world):
    person = services.person_create(
        name="张三", place=world["estate_a"], id_number="500105195305121234", phone="13812345678", actor=SYSTEM
    )
    services.person_update(person=person, phone="13987654321", name="张三丰", actor=cast["secretary_a"])
    event = AuditEvent.objects.filter(action="person.update").latest("pk")
    assert event.data["changes"] == {
        "name": {"old": "张三", "new": "张三丰"},
        "phone": {"old": "138****5678", "new": "139****4321"},
    }
    assert "13987654321" not in str(event.data) and "13812345678" not in str(event.data)


def test_ending_a_post_records_the_old_and_new_end(cast, world):
    person = services.person_create(name="张三", place=world["estate_a"], actor=SYSTEM)
    post = services.post_create(
        person=person, kind=PostKind.CHAIR, body=PostBody.OWNERS_COMMITTEE, place=world["estate_a"], actor=SYSTEM
    )
    services.post_end(post=post, end=datetime.date(2026, 1, 31), actor=cast["secretary_a"])
    assert last("post.end") == {"end": {"old": None, "new": "2026-01-31"}}
