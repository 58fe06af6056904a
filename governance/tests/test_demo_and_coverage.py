import io

import pytest
from django.core.management import call_command

from governance.models import Organization, OrgFunction, OrgKind, Place, PlaceKind, Post
from governance.selectors import coverage, secretary_chair_share

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    import datetime

    from committees.models import OwnersCommittee
    from governance import demo

    demo.load(stdout=io.StringIO())
    # Coverage counts committee records (the committees layer's demo records one for each estate
    # whose committee the governance demo names by its chair); here, the bare record is enough.
    for estate_id in (
        Post.objects.current().filter(body="owners_committee", kind="chair").values_list("place_id", flat=True)
    ):
        OwnersCommittee.objects.create(
            estate_id=estate_id, term_start=datetime.date(2022, 6, 1), term_end=datetime.date(2027, 5, 31)
        )
    return Place.objects.get(kind=PlaceKind.ESTATE, name="南方上格林")


def test_a_committee_post_without_a_committee_record_does_not_cover_an_estate(db):
    """One count of committees everywhere (issue 12 item 6): coverage counts the committee records."""
    from committees.models import OwnersCommittee
    from governance import demo

    demo.load(stdout=io.StringIO())
    figures = coverage(Place.objects.get(kind=PlaceKind.DISTRICT, name="江北区"))
    assert Post.objects.current().filter(body="owners_committee").exists()
    assert not OwnersCommittee.objects.exists()
    assert figures["parts"]["owners_committee"] == 0


def test_the_reference_estate_has_one_general_branch(demo):
    assert Organization.objects.filter(kind=OrgKind.ESTATE_GENERAL_BRANCH, place=demo).count() == 1


def test_the_reference_general_branch_has_three_functional_branches(demo):
    general = Organization.objects.get(kind=OrgKind.ESTATE_GENERAL_BRANCH, place=demo)
    functions = set(general.get_children().filter(kind=OrgKind.FUNCTIONAL_BRANCH).values_list("function", flat=True))
    assert functions == {OrgFunction.OWNERS_COMMITTEE, OrgFunction.PROPERTY_COMPANY, OrgFunction.IN_SERVICE}


def test_the_reference_general_branch_has_five_resident_branches_holding_26_building_groups(demo):
    general = Organization.objects.get(kind=OrgKind.ESTATE_GENERAL_BRANCH, place=demo)
    branches = general.get_children().filter(kind=OrgKind.RESIDENT_BRANCH)
    assert branches.count() == 5
    groups = Organization.objects.filter(kind=OrgKind.BUILDING_GROUP, parent__in=branches)
    assert groups.count() == 26


def test_the_reference_secretary_also_chairs_the_owners_committee_at_73(demo):
    share = secretary_chair_share(demo)
    assert share["estates_secretary_is_chair"] == 1
    chair = Post.objects.get(place=demo, body="owners_committee", kind="chair").person
    assert chair.age_on(__import__("datetime").date(2026, 11, 29)) == 73
    assert chair.posts.count() >= 3


def test_the_demo_district_coverage_counts_each_part(demo):
    figures = coverage(Place.objects.get(kind=PlaceKind.DISTRICT, name="江北区"))
    assert figures["estates"] == 6
    assert figures["covered_estates"] == 3
    assert figures["share"] == "50.00"
    assert figures["parts"] == {
        "general_branch": 5,
        "buildings": 52,
        "buildings_covered": 43,
        "estates_all_buildings_covered": 4,
        "owners_committee": 4,
        "self_managed": 1,
    }


def test_an_estate_without_a_general_branch_shows_what_is_missing(demo):
    figures = coverage(Place.objects.get(kind=PlaceKind.ESTATE, name="观音桥花园"))
    assert figures["covered"] is False
    assert figures["missing"] == ["general_branch", "building_groups"]


def test_coverage_endpoint_rolls_up_per_street_and_community(api, demo):
    from governance.models import User

    auditor = User.objects.get(username="auditor")
    district = Place.objects.get(kind=PlaceKind.DISTRICT)
    response = api.as_user(auditor).get(f"/api/v1/places/{district.pk}/coverage/")
    assert response.status_code == 200
    street = next(s for s in response.data["children"] if s["place"]["name"] == "观音桥街道")
    assert (street["estates"], street["covered_estates"]) == (3, 2)


def test_coverage_of_a_large_subtree_runs_a_fixed_number_of_queries(demo, django_assert_max_num_queries):
    from governance.demo import ensure_place

    community = Place.objects.get(name="鱼嘴社区")
    for n in range(40):
        estate = ensure_place(PlaceKind.ESTATE, f"新小区{n}", community)
        ensure_place(PlaceKind.BUILDING, "1栋", estate)
    district = Place.objects.get(kind=PlaceKind.DISTRICT)
    with django_assert_max_num_queries(4):  # the places, the general branches, the buildings, the committees
        figures = coverage(district)
    assert figures["estates"] == 46


def test_load_demo_twice_changes_nothing_the_second_time(db):
    call_command("load_demo", stdout=io.StringIO())
    counts = (Place.objects.count(), Organization.objects.count(), Post.objects.count())
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert (Place.objects.count(), Organization.objects.count(), Post.objects.count()) == counts
    assert "gongzhi-demo" in out.getvalue()
