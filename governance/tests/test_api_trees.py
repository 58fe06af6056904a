import pytest

from governance.models import Organization, OrgKind, Place, PlaceKind
from governance.tests.factories import org, place

pytestmark = pytest.mark.django_db


def test_a_secretary_creates_a_building_in_their_estate(api, cast, world):
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/places/", {"kind": "building", "name": "3栋", "parent": world["estate_a"].pk}, format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["estate"] == world["estate_a"].pk
    created = Place.objects.get(pk=response.data["id"])
    assert (created.name, created.parent, created.estate) == ("3栋", world["estate_a"], world["estate_a"])


def test_an_illegal_nesting_answers_400_with_a_readable_detail(api, cast, world):
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/places/", {"kind": "estate", "name": "错位", "parent": world["building_a1"].pk}, format="json"
    )
    assert response.status_code == 400
    assert "不能挂在" in response.data["detail"]
    assert response.data["code"] == "illegal_nesting"
    assert not Place.objects.filter(name="错位").exists()


def test_a_validation_error_lists_its_fields(api, cast, world):
    before = Place.objects.count()
    response = api.as_user(cast["secretary_a"]).post("/api/v1/places/", {"kind": "castle"}, format="json")
    assert response.status_code == 400
    assert set(response.data["fields"]) >= {"kind", "name"}
    assert response.data["detail"]
    assert Place.objects.count() == before


def test_move_endpoint_moves_a_building_between_estates_in_scope(api, cast, world):
    response = api.as_user(cast["street_staff"]).post(
        f"/api/v1/places/{world['building_a2'].pk}/move/", {"parent": world["estate_a"].pk}, format="json"
    )
    assert response.status_code == 200
    assert Place.objects.get(pk=world["building_a2"].pk).parent == world["estate_a"]


def test_move_endpoint_moves_an_estate_to_another_community_of_the_street(api, cast, world):
    other = place(PlaceKind.COMMUNITY, "北城天街社区", world["street_a"])
    response = api.as_user(cast["street_staff"]).post(
        f"/api/v1/places/{world['estate_a'].pk}/move/", {"parent": other.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.data["parent"] == other.pk
    moved = Place.objects.get(pk=world["estate_a"].pk)
    assert moved.parent == other
    assert Place.objects.get(pk=world["building_a1"].pk).is_descendant_of(moved)


def test_a_secretary_cannot_move_an_estate_out_of_their_community(api, cast, world):
    other = place(PlaceKind.COMMUNITY, "北城天街社区", world["street_a"])
    response = api.as_user(cast["secretary_a"]).post(
        f"/api/v1/places/{world['estate_a'].pk}/move/", {"parent": other.pk}, format="json"
    )
    assert response.status_code == 400  # the other community is out of their sight
    assert Place.objects.get(pk=world["estate_a"].pk).parent == world["community_a"]


def test_move_endpoint_refuses_a_move_under_a_descendant_with_400(api, cast, world):
    response = api.as_user(cast["street_staff"]).post(
        f"/api/v1/places/{world['community_a'].pk}/move/", {"parent": world["estate_a"].pk}, format="json"
    )
    assert response.status_code == 400
    assert "下级" in response.data["detail"]
    assert Place.objects.get(pk=world["community_a"].pk).parent == world["street_a"]


def test_children_descendants_and_ancestors_walk_the_tree(api, cast, world):
    client = api.as_user(cast["auditor"])
    children = client.get(f"/api/v1/places/{world['estate_a'].pk}/children/").data["results"]
    descendants = client.get(f"/api/v1/places/{world['community_a'].pk}/descendants/").data["results"]
    ancestors = client.get(f"/api/v1/places/{world['building_a1'].pk}/ancestors/").data["results"]
    assert {c["name"] for c in children} == {"1栋", "2栋"}
    assert [d["kind"] for d in descendants] == ["estate", "building", "building"]
    assert [a["kind"] for a in ancestors] == ["district", "street", "community", "estate"]


def test_places_filter_by_kind_and_name(api, cast, world):
    response = api.as_user(cast["auditor"]).get("/api/v1/places/", {"kind": "estate", "name": "石马"})
    assert [p["name"] for p in response.data["results"]] == ["石马河小区"]


def test_places_list_runs_a_bounded_number_of_queries(api, cast, world, django_assert_max_num_queries):
    for n in range(3, 30):
        place(PlaceKind.BUILDING, f"{n}栋", world["estate_a"])
    client = api.as_user(cast["auditor"])
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/places/", {"page_size": 100})
    assert response.data["count"] == 37


def test_an_organization_is_created_with_kind_name_parent_place_and_function(api, cast, world):
    committee = org(OrgKind.COMMUNITY_COMMITTEE, "社区党委", world["community_a"])
    general = org(OrgKind.ESTATE_GENERAL_BRANCH, "党总支", world["estate_a"], committee)
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/organizations/",
        {
            "kind": "functional_branch",
            "name": "业委会党支部",
            "parent": general.pk,
            "place": world["estate_a"].pk,
            "function": "owners_committee",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    assert Organization.objects.get(pk=response.data["id"]).function == "owners_committee"


def test_an_organization_nested_illegally_over_the_api_answers_400(api, cast, world):
    committee = org(OrgKind.COMMUNITY_COMMITTEE, "社区党委", world["community_a"])
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/organizations/",
        {"kind": "building_group", "name": "党小组", "parent": committee.pk, "place": world["building_a1"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "不能挂在" in response.data["detail"]
    assert not Organization.objects.filter(name="党小组").exists()


def test_deleting_an_organization_with_children_answers_409(api, cast, world):
    committee = org(OrgKind.COMMUNITY_COMMITTEE, "社区党委", world["community_a"])
    org(OrgKind.ESTATE_GENERAL_BRANCH, "党总支", world["estate_a"], committee)
    response = api.as_user(cast["secretary_a"]).delete(f"/api/v1/organizations/{committee.pk}/")
    assert response.status_code == 409
    assert Organization.objects.filter(pk=committee.pk).exists()


def test_descendants_of_an_organization_run_a_bounded_number_of_queries(
    api, cast, world, django_assert_max_num_queries
):
    committee = org(OrgKind.COMMUNITY_COMMITTEE, "社区党委", world["community_a"])
    general = org(OrgKind.ESTATE_GENERAL_BRANCH, "党总支", world["estate_a"], committee)
    branch = org(OrgKind.RESIDENT_BRANCH, "居民党支部", world["estate_a"], general)
    for n in range(3, 15):
        building = place(PlaceKind.BUILDING, f"{n}栋", world["estate_a"])
        org(OrgKind.BUILDING_GROUP, f"{n}栋党小组", building, branch)
    client = api.as_user(cast["auditor"])
    with django_assert_max_num_queries(7):
        response = client.get(f"/api/v1/organizations/{committee.pk}/descendants/")
    assert response.data["count"] == 14


def test_moving_under_a_parent_out_of_sight_answers_400_naming_the_parent(api, cast, world):
    response = api.as_user(cast["secretary_a"]).post(
        f"/api/v1/places/{world['building_a1'].pk}/move/", {"parent": world["estate_b"].pk}, format="json"
    )
    assert response.status_code == 400
    assert "parent" in response.data["fields"]
    assert Place.objects.get(pk=world["building_a1"].pk).parent_id == world["estate_a"].pk


def test_a_top_level_place_posted_without_a_parent_is_a_root(api, cast, world):
    response = api.as_user(cast["admin"]).post("/api/v1/places/", {"kind": "district", "name": "渝北区"}, format="json")
    assert response.status_code == 201, response.data
    created = Place.objects.get(pk=response.data["id"])
    assert (created.parent, created.level) == (None, 0)


def test_a_second_root_of_the_same_name_answers_409(api, cast, world):
    response = api.as_user(cast["admin"]).post("/api/v1/places/", {"kind": "district", "name": "江北区"}, format="json")
    assert response.status_code == 409
    assert Place.objects.filter(name="江北区").count() == 1


def test_only_a_superuser_adds_a_top_level_place(api, cast, world):
    response = api.as_user(cast["street_staff"]).post(
        "/api/v1/places/", {"kind": "district", "name": "渝北区"}, format="json"
    )
    assert response.status_code == 403
    assert not Place.objects.filter(name="渝北区").exists()


def test_a_top_level_organization_posted_without_a_parent_is_a_root(api, cast, world):
    response = api.as_user(cast["street_staff"]).post(
        "/api/v1/organizations/",
        {"kind": "community_committee", "name": "南桥苑社区党委", "place": world["community_a"].pk},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert Organization.objects.get(pk=response.data["id"]).parent is None


def test_a_sibling_place_of_the_same_name_answers_409_not_400(api, cast, world):
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/places/", {"kind": "building", "name": "1栋", "parent": world["estate_a"].pk}, format="json"
    )
    assert response.status_code == 409
    assert Place.objects.filter(parent=world["estate_a"], name="1栋").count() == 1
