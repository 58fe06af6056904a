import pytest
from django.test import Client

from governance.models import AuditEvent, Place

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_for(cast):
    def login(user):
        client = Client()
        client.force_login(user)
        return client

    return login


def test_the_admin_shows_the_place_tree(admin_client_for, cast, world):
    response = admin_client_for(cast["admin"]).get("/admin/governance/place/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "南方上格林" in content and "江北区" in content
    assert "draggable-admin" in content


def test_the_admin_shows_the_organization_tree(admin_client_for, cast, world):
    from governance.models import OrgKind
    from governance.tests.factories import org

    org(OrgKind.COMMUNITY_COMMITTEE, "南桥苑社区党委", world["community_a"])
    response = admin_client_for(cast["admin"]).get("/admin/governance/organization/")
    assert response.status_code == 200
    assert "南桥苑社区党委" in response.content.decode()


def test_a_secretary_sees_only_their_subtree_in_the_admin(admin_client_for, cast, world):
    content = admin_client_for(cast["secretary_a"]).get("/admin/governance/place/").content.decode()
    assert "南方上格林" in content
    assert "石马河小区" not in content


def test_a_drop_that_breaks_the_nesting_rules_is_refused(admin_client_for, cast, world):
    response = admin_client_for(cast["admin"]).post(
        "/admin/governance/place/",
        {
            "cmd": "move_node",
            "cut_item": world["estate_a"].pk,
            "pasted_on": world["building_b1"].pk,
            "position": "last-child",
        },
    )
    assert response.content.startswith(b"FAIL")
    assert Place.objects.get(pk=world["estate_a"].pk).parent_id == world["community_a"].pk


def test_a_lawful_drop_moves_the_node(admin_client_for, cast, world):
    response = admin_client_for(cast["admin"]).post(
        "/admin/governance/place/",
        {
            "cmd": "move_node",
            "cut_item": world["estate_a"].pk,
            "pasted_on": world["community_b"].pk,
            "position": "last-child",
        },
    )
    assert response.content.startswith(b"OK")
    assert Place.objects.get(pk=world["estate_a"].pk).parent_id == world["community_b"].pk


def test_the_admin_add_form_refuses_an_illegal_parent(admin_client_for, cast, world):
    response = admin_client_for(cast["admin"]).post(
        "/admin/governance/place/add/", {"kind": "estate", "name": "错位小区", "parent": world["street_a"].pk}
    )
    assert response.status_code == 200  # the form comes back with the error
    assert "不能挂在" in response.content.decode()
    assert not Place.objects.filter(name="错位小区").exists()


def test_the_dashboard_shows_coverage_to_a_secretary(admin_client_for, cast, world):
    response = admin_client_for(cast["secretary_a"]).get(f"/places/{world['community_a'].pk}/")
    assert response.status_code == 200
    assert "南方上格林" in response.content.decode()


def test_a_superuser_opens_a_users_change_form_with_its_person(admin_client_for, cast):
    response = admin_client_for(cast["admin"]).get(f"/admin/governance/user/{cast['clerk'].pk}/change/")
    assert response.status_code == 200
    assert 'name="person"' in response.content.decode()


def test_a_secretary_cannot_manage_logins_in_the_admin(admin_client_for, cast):
    response = admin_client_for(cast["secretary_a"]).get("/admin/governance/user/")
    assert response.status_code == 403


def test_a_secretary_cannot_grant_a_role_outside_their_community_in_the_admin(admin_client_for, cast, world):
    from governance.models import RoleAssignment

    response = admin_client_for(cast["secretary_a"]).post(
        "/admin/governance/roleassignment/add/",
        {"user": cast["resident"].pk, "role": "clerk", "place": world["estate_b"].pk},
    )
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(user=cast["resident"], place=world["estate_b"]).exists()


def test_a_secretary_cannot_add_a_place_under_another_community_in_the_admin(admin_client_for, cast, world):
    response = admin_client_for(cast["secretary_a"]).post(
        "/admin/governance/place/add/", {"kind": "building", "name": "越界楼", "parent": world["estate_b"].pk}
    )
    assert response.status_code == 200
    assert not Place.objects.filter(name="越界楼").exists()


def test_a_secretary_cannot_add_a_top_level_place_in_the_admin(admin_client_for, cast, world):
    response = admin_client_for(cast["secretary_a"]).post(
        "/admin/governance/place/add/", {"kind": "district", "name": "新区"}
    )
    assert response.status_code == 200
    assert "系统管理员" in response.content.decode()
    assert not Place.objects.filter(name="新区").exists()


def test_a_secretary_adds_a_building_in_their_estate_in_the_admin(admin_client_for, cast, world):
    response = admin_client_for(cast["secretary_a"]).post(
        "/admin/governance/place/add/", {"kind": "building", "name": "3栋", "parent": world["estate_a"].pk}
    )
    assert response.status_code == 302
    assert Place.objects.get(name="3栋", parent=world["estate_a"]).estate == world["estate_a"]


def test_a_drop_by_a_staff_user_without_the_right_to_change_is_refused_by_the_service(admin_client_for, cast, world):
    auditor = cast["auditor"]
    auditor.is_staff = True
    auditor.save(update_fields=["is_staff"])
    response = admin_client_for(auditor).post(
        "/admin/governance/place/",
        {
            "cmd": "move_node",
            "cut_item": world["building_a2"].pk,
            "pasted_on": world["estate_b"].pk,
            "position": "last-child",
        },
    )
    assert response.content.startswith(b"FAIL")
    assert Place.objects.get(pk=world["building_a2"].pk).parent_id == world["estate_a"].pk
    assert not AuditEvent.objects.filter(action="place.move").exists()


def test_a_person_renamed_in_the_admin_is_audited_with_old_and_new_name(admin_client_for, cast, world):
    from governance import services
    from governance.scoping import SYSTEM

    person = services.person_create(name="张三", place=world["estate_a"], actor=SYSTEM)
    response = admin_client_for(cast["secretary_a"]).post(
        f"/admin/governance/person/{person.pk}/change/",
        {"name": "张三丰", "birth_date": "", "place": world["estate_a"].pk},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="person.update", object_id=str(person.pk))
    assert event.data["changes"] == {"name": {"old": "张三", "new": "张三丰"}}
    assert event.actor == cast["secretary_a"]


def test_a_superuser_sets_a_districts_own_rule_in_the_admin_and_it_is_audited(admin_client_for, cast, world):
    from governance.models import DistrictRule
    from governance.rules import rule

    response = admin_client_for(cast["admin"]).post(
        "/admin/governance/districtrule/add/",
        {"district": world["district"].pk, "key": "VOTE_NOTICE_DAYS", "value": "20"},
    )
    assert response.status_code == 302
    assert rule("VOTE_NOTICE_DAYS", world["estate_a"]) == 20
    assert DistrictRule.objects.get(key="VOTE_NOTICE_DAYS").district == world["district"]
    assert AuditEvent.objects.filter(action="rule.set", summary="VOTE_NOTICE_DAYS").exists()


def test_the_admin_refuses_a_district_rule_below_the_law_and_writes_nothing(admin_client_for, cast, world):
    from governance.models import DistrictRule

    response = admin_client_for(cast["admin"]).post(
        "/admin/governance/districtrule/add/",
        {"district": world["district"].pk, "key": "VOTE_NOTICE_DAYS", "value": "10"},
    )
    assert response.status_code == 200
    assert "法定范围" in response.content.decode()
    assert not DistrictRule.objects.exists()
    assert not AuditEvent.objects.filter(summary="VOTE_NOTICE_DAYS").exists()
