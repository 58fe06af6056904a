"""Role grants (issue 10 item 3): only roles below one's own, inside one's scope, to users one may see,
never one's own; every grant audited and visible to the street's staff."""

import pytest
from django.test import Client

from core.errors import NotPermitted
from governance import services
from governance.models import AuditEvent, RoleAssignment
from governance.tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def grants() -> list:
    """Every role assignment and every grant or withdrawal recorded, to check a refusal wrote nothing."""
    return [
        list(RoleAssignment.objects.order_by("pk").values_list("user", "role", "place")),
        list(AuditEvent.objects.filter(action__in=["role.grant", "role.revoke"]).values_list("pk", flat=True)),
    ]


def grant(api, actor, user, role, place):
    return api.as_user(actor).post(
        "/api/v1/role-assignments/", {"user": user.pk, "role": role, "place": place.pk}, format="json"
    )


def test_a_secretary_grants_a_clerk_role_in_their_estate_and_it_is_audited(api, cast, world):
    response = grant(api, cast["secretary_a"], cast["resident"], "clerk", world["estate_a"])
    assert response.status_code == 201, response.data
    assignment = RoleAssignment.objects.get(user=cast["resident"], role="clerk")
    assert assignment.granted_by == cast["secretary_a"]
    event = AuditEvent.objects.get(action="role.grant", object_id=str(assignment.pk))
    assert (event.actor, event.place, event.data["role"]) == (cast["secretary_a"], world["estate_a"], "clerk")


def test_the_street_staff_see_a_grant_made_in_their_street(api, cast, world):
    grant(api, cast["secretary_a"], cast["resident"], "clerk", world["estate_a"])
    rows = api.as_user(cast["street_staff"]).get("/api/v1/role-assignments/", {"role": "clerk"}).data["results"]
    granted = [r for r in rows if r["user"] == cast["resident"].pk]
    assert [(r["place"], r["granted_by"]) for r in granted] == [(world["estate_a"].pk, cast["secretary_a"].pk)]


def test_a_secretary_cannot_grant_themselves_the_auditors_role(api, cast, world):
    before = grants()
    response = grant(api, cast["secretary_a"], cast["secretary_a"], "district_auditor", world["community_a"])
    assert response.status_code == 403
    assert grants() == before


@pytest.mark.parametrize("role", ["district_auditor", "discipline_reviewer"])
def test_a_secretary_cannot_grant_an_oversight_role(api, cast, world, role):
    before = grants()
    response = grant(api, cast["secretary_a"], cast["resident"], role, world["estate_a"])
    assert response.status_code == 403
    assert grants() == before


@pytest.mark.parametrize("role", ["community_secretary", "street_staff"])
def test_a_secretary_cannot_grant_a_role_as_high_as_their_own_or_higher(api, cast, world, role):
    before = grants()
    response = grant(api, cast["secretary_a"], cast["resident"], role, world["estate_a"])
    assert response.status_code == 403
    assert "低于自己" in response.data["detail"]
    assert grants() == before


def test_street_staff_grant_a_community_secretary_in_their_street(api, cast, world):
    response = grant(api, cast["street_staff"], cast["resident"], "community_secretary", world["community_a"])
    assert response.status_code == 201
    assert RoleAssignment.objects.filter(user=cast["resident"], role="community_secretary").exists()


def test_street_staff_cannot_grant_street_staff(api, cast, world):
    before = grants()
    response = grant(api, cast["street_staff"], cast["resident"], "street_staff", world["street_a"])
    assert response.status_code == 403
    assert grants() == before


def test_a_secretary_cannot_grant_to_a_user_they_cannot_see(api, cast, world):
    stranger = UserFactory(username="stranger", person=PersonFactory(place=world["estate_b"]))
    RoleAssignment.objects.create(user=stranger, role="resident", place=world["estate_b"])
    before = grants()
    response = grant(api, cast["secretary_a"], stranger, "clerk", world["estate_a"])
    assert response.status_code == 400  # a user out of sight is a user that does not exist
    assert "user" in response.data["fields"]
    with pytest.raises(NotPermitted, match="管辖范围"):
        services.role_assignment_create(user=stranger, role="clerk", place=world["estate_a"], actor=cast["secretary_a"])
    assert grants() == before


def test_a_secretary_may_grant_to_a_new_login_whose_person_lives_in_their_community(api, cast, world):
    newcomer = UserFactory(username="newcomer", person=PersonFactory(place=world["estate_a"]))
    response = grant(api, cast["secretary_a"], newcomer, "clerk", world["estate_a"])
    assert response.status_code == 201
    assert RoleAssignment.objects.filter(user=newcomer, role="clerk", place=world["estate_a"]).exists()


def test_nobody_but_a_superuser_changes_a_superusers_roles(cast, world):
    cast["admin"].person.place = world["estate_a"]
    cast["admin"].person.save()
    before = grants()
    with pytest.raises(NotPermitted, match="系统管理员"):
        services.role_assignment_create(
            user=cast["admin"], role="resident", place=world["estate_a"], actor=cast["secretary_a"]
        )
    assert grants() == before


def test_a_superuser_cannot_change_their_own_roles_either(api, cast, world):
    before = grants()
    response = grant(api, cast["admin"], cast["admin"], "street_staff", world["street_a"])
    assert response.status_code == 403
    assert grants() == before


def test_a_superuser_grants_an_auditor_role(api, cast, world):
    response = grant(api, cast["admin"], cast["resident"], "district_auditor", world["district"])
    assert response.status_code == 201
    stored = RoleAssignment.objects.get(user=cast["resident"], role="district_auditor")
    assert stored.granted_by == cast["admin"]


def test_a_secretary_cannot_withdraw_their_own_role(api, cast, world):
    own = RoleAssignment.objects.get(user=cast["secretary_a"])
    before = grants()
    response = api.as_user(cast["secretary_a"]).delete(f"/api/v1/role-assignments/{own.pk}/")
    assert response.status_code == 403
    assert grants() == before


def test_a_secretary_withdraws_a_clerks_role_and_it_is_audited(api, cast, world):
    clerk = RoleAssignment.objects.get(user=cast["clerk"])
    response = api.as_user(cast["secretary_a"]).delete(f"/api/v1/role-assignments/{clerk.pk}/")
    assert response.status_code == 204
    assert not RoleAssignment.objects.filter(pk=clerk.pk).exists()
    assert AuditEvent.objects.filter(action="role.revoke", actor=cast["secretary_a"]).exists()


def test_a_committee_member_cannot_grant_anything(api, cast, world):
    before = grants()
    response = grant(api, cast["committee_member"], cast["resident"], "clerk", world["estate_a"])
    assert response.status_code in (400, 403)  # they may see no other login, and may grant nowhere
    with pytest.raises(NotPermitted):
        services.role_assignment_create(
            user=cast["resident"], role="clerk", place=world["estate_a"], actor=cast["committee_member"]
        )
    assert grants() == before


# The admin: the same rule, shown on the form ---------------------------------------------------


@pytest.fixture
def staff(cast):
    def login(user):
        client = Client()
        client.force_login(user)
        return client

    return login


def test_the_admin_refuses_a_secretary_granting_the_auditors_role(staff, cast, world):
    before = grants()
    response = staff(cast["secretary_a"]).post(
        "/admin/governance/roleassignment/add/",
        {"user": cast["resident"].pk, "role": "district_auditor", "place": world["estate_a"].pk},
    )
    assert response.status_code == 200  # the form comes back with the refusal
    assert "低于自己" in response.content.decode()
    assert grants() == before


def test_the_admin_refuses_a_secretary_granting_themselves_a_role(staff, cast, world):
    before = grants()
    response = staff(cast["secretary_a"]).post(
        "/admin/governance/roleassignment/add/",
        {"user": cast["secretary_a"].pk, "role": "clerk", "place": world["estate_a"].pk},
    )
    assert response.status_code == 200
    assert "自己的角色" in response.content.decode()
    assert grants() == before


def test_the_admin_lets_a_secretary_grant_a_clerk_role_in_their_estate(staff, cast, world):
    response = staff(cast["secretary_a"]).post(
        "/admin/governance/roleassignment/add/",
        {"user": cast["resident"].pk, "role": "clerk", "place": world["estate_a"].pk},
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=cast["resident"], role="clerk")
    assert assignment.granted_by == cast["secretary_a"]


def test_the_admin_refuses_a_secretary_withdrawing_their_own_role(staff, cast, world):
    own = RoleAssignment.objects.get(user=cast["secretary_a"])
    before = grants()
    response = staff(cast["secretary_a"]).post(
        f"/admin/governance/roleassignment/{own.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert "自己的角色" in response.content.decode()
    assert grants() == before
