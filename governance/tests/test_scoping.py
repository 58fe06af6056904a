import pytest

from governance.models import OrgKind, Person, Place, RoleAssignment, User
from governance.tests.factories import org

pytestmark = pytest.mark.django_db


def test_a_secretary_reads_a_place_of_their_community(api, cast, world):
    assert api.as_user(cast["secretary_a"]).get(f"/api/v1/places/{world['estate_a'].pk}/").status_code == 200


def test_a_secretary_gets_404_for_a_place_of_another_community(api, cast, world):
    assert api.as_user(cast["secretary_a"]).get(f"/api/v1/places/{world['estate_b'].pk}/").status_code == 404


def test_a_secretary_gets_404_for_an_organization_of_another_community(api, cast, world):
    other = org(OrgKind.COMMUNITY_COMMITTEE, "石马河社区党委", world["community_b"])
    assert api.as_user(cast["secretary_a"]).get(f"/api/v1/organizations/{other.pk}/").status_code == 404


def test_a_secretary_list_holds_only_their_subtree(api, cast, world):
    names = {p["name"] for p in api.as_user(cast["secretary_a"]).get("/api/v1/places/").data["results"]}
    assert names == {"南桥苑社区", "南方上格林", "1栋", "2栋"}


def test_a_secretary_cannot_create_under_a_place_of_another_community(api, cast, world):
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/places/", {"kind": "building", "name": "9栋", "parent": world["estate_b"].pk}, format="json"
    )
    assert response.status_code == 400  # the parent is not theirs to see: it "does not exist"
    assert not Place.objects.filter(name="9栋").exists()


def test_a_secretary_cannot_rename_their_own_street(api, cast, world):
    response = api.as_user(cast["secretary_a"]).patch(
        f"/api/v1/places/{world['street_a'].pk}/", {"name": "改名"}, format="json"
    )
    # The street is outside the secretary's subtree altogether.
    assert response.status_code == 404
    assert Place.objects.get(pk=world["street_a"].pk).name == "观音桥街道"


def test_an_auditor_reads_the_whole_district(api, cast, world):
    response = api.as_user(cast["auditor"]).get("/api/v1/places/")
    assert response.data["count"] == Place.objects.count()


def test_an_auditor_cannot_write_anything(api, cast, world):
    before = list(Place.objects.order_by("pk").values())
    client = api.as_user(cast["auditor"])
    assert client.patch(f"/api/v1/places/{world['estate_a'].pk}/", {"name": "x"}, format="json").status_code == 403
    world["estate_a"].refresh_from_db()
    assert world["estate_a"].name != "x"
    assert Place.objects.get(pk=world["estate_a"].pk).name == "南方上格林"
    created = client.post(
        "/api/v1/places/", {"kind": "building", "name": "9栋", "parent": world["estate_a"].pk}, format="json"
    )
    assert created.status_code == 403
    moved = client.post(
        f"/api/v1/places/{world['building_a1'].pk}/move/", {"parent": world["estate_a"].pk}, format="json"
    )
    assert moved.status_code == 403
    deleted = client.delete(f"/api/v1/places/{world['building_a1'].pk}/")
    assert deleted.status_code == 403
    assert list(Place.objects.order_by("pk").values()) == before


def test_a_discipline_reviewer_reads_their_street_but_cannot_change_it(api, cast, world):
    client = api.as_user(cast["reviewer"])
    assert client.get(f"/api/v1/places/{world['estate_a'].pk}/").status_code == 200
    assert client.get(f"/api/v1/places/{world['estate_b'].pk}/").status_code == 404
    assert client.patch(f"/api/v1/places/{world['estate_a'].pk}/", {"name": "x"}, format="json").status_code == 403
    world["estate_a"].refresh_from_db()
    assert world["estate_a"].name != "x"


def test_street_staff_change_places_of_their_street(api, cast, world):
    response = api.as_user(cast["street_staff"]).patch(
        f"/api/v1/places/{world['estate_a'].pk}/", {"name": "南方上格林（一期）"}, format="json"
    )
    assert response.status_code == 200
    assert Place.objects.get(pk=world["estate_a"].pk).name == "南方上格林（一期）"


def test_a_clerk_cannot_change_places(api, cast, world):
    response = api.as_user(cast["clerk"]).patch(f"/api/v1/places/{world['estate_a'].pk}/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert Place.objects.get(pk=world["estate_a"].pk).name == "南方上格林"


def test_a_resident_sees_their_estate_but_no_people(api, cast, world):
    Person.objects.create(name="别人", place=world["estate_a"])
    client = api.as_user(cast["resident"])
    assert client.get(f"/api/v1/places/{world['estate_a'].pk}/").status_code == 200
    assert client.get("/api/v1/people/").data["count"] == 0


def test_an_anonymous_request_is_refused(api, world):
    assert api.get("/api/v1/places/").status_code in (401, 403)


def test_a_community_secretary_grants_a_role_inside_their_community(api, cast, world):
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/role-assignments/",
        {"user": cast["resident"].pk, "role": "clerk", "place": world["estate_a"].pk},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert RoleAssignment.objects.filter(user=cast["resident"], role="clerk", place=world["estate_a"]).exists()


def test_a_community_secretary_cannot_grant_a_role_on_their_street(api, cast, world):
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/role-assignments/",
        {"user": cast["resident"].pk, "role": "street_staff", "place": world["street_a"].pk},
        format="json",
    )
    # The street is visible to nobody below it, so it does not resolve.
    assert response.status_code == 400
    assert not RoleAssignment.objects.filter(user=cast["resident"], role="street_staff").exists()


def test_an_auditor_cannot_grant_roles(api, cast, world):
    response = api.as_user(cast["auditor"]).post(
        "/api/v1/role-assignments/",
        {"user": cast["resident"].pk, "role": "clerk", "place": world["estate_a"].pk},
        format="json",
    )
    # An auditor may grant nowhere, so no other login is theirs to see: the user "does not exist".
    assert response.status_code == 400
    assert "user" in response.data["fields"]
    assert not RoleAssignment.objects.filter(user=cast["resident"], role="clerk").exists()


def test_granting_the_same_role_twice_answers_409(api, cast, world):
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/role-assignments/",
        {"user": cast["clerk"].pk, "role": "clerk", "place": world["estate_a"].pk},
        format="json",
    )
    assert response.status_code == 409
    assert RoleAssignment.objects.filter(user=cast["clerk"], role="clerk").count() == 1


def test_a_secretary_lists_only_users_holding_roles_in_their_community(api, cast, world):
    usernames = {u["username"] for u in api.as_user(cast["secretary_a"]).get("/api/v1/users/").data["results"]}
    assert usernames == {"secretary_a", "committee_member", "clerk", "resident"}


def test_a_secretary_also_sees_the_logins_of_people_known_in_their_community(api, cast, world):
    from governance.tests.factories import PersonFactory, UserFactory

    UserFactory(username="newcomer", person=PersonFactory(place=world["estate_a"]))
    UserFactory(username="elsewhere", person=PersonFactory(place=world["estate_b"]))
    usernames = {u["username"] for u in api.as_user(cast["secretary_a"]).get("/api/v1/users/").data["results"]}
    assert "newcomer" in usernames and "elsewhere" not in usernames


def test_an_administrator_creates_a_user(api, cast, world):
    response = api.as_user(cast["admin"]).post(
        "/api/v1/users/", {"username": "new-clerk", "password": "long-enough-1"}, format="json"
    )
    assert response.status_code == 201
    assert "password" not in response.data
    assert User.objects.get(username="new-clerk").check_password("long-enough-1")
