import pytest

from core.errors import ApplicationError, Conflict
from governance import services
from governance.models import Organization, OrgFunction, OrgKind, PlaceKind, PostBody, PostKind
from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory, org, place

Kind = OrgKind
ALLOWED = {
    (Kind.COMMUNITY_COMMITTEE, None),
    (Kind.ESTATE_GENERAL_BRANCH, Kind.COMMUNITY_COMMITTEE),
    (Kind.RESIDENT_BRANCH, Kind.ESTATE_GENERAL_BRANCH),
    (Kind.BUILDING_GROUP, Kind.RESIDENT_BRANCH),
    (Kind.FUNCTIONAL_BRANCH, Kind.ESTATE_GENERAL_BRANCH),
    (Kind.FUNCTIONAL_BRANCH, Kind.COMMUNITY_COMMITTEE),
}


@pytest.fixture
def tree(db):
    d = place(PlaceKind.DISTRICT, "区")
    s = place(PlaceKind.STREET, "街道", d)
    c = place(PlaceKind.COMMUNITY, "社区", s)
    e = place(PlaceKind.ESTATE, "小区", c)
    x = place(PlaceKind.COMPLEX, "苑", e)
    b1 = place(PlaceKind.BUILDING, "1栋", x)
    b2 = place(PlaceKind.BUILDING, "2栋", x)
    cc = org(Kind.COMMUNITY_COMMITTEE, "社区党委", c)
    gb = org(Kind.ESTATE_GENERAL_BRANCH, "小区党总支", e, cc)
    rb = org(Kind.RESIDENT_BRANCH, "苑党支部", x, gb)
    bg = org(Kind.BUILDING_GROUP, "1栋党小组", b1, rb)
    fb = org(Kind.FUNCTIONAL_BRANCH, "物业党支部", e, gb, function=OrgFunction.PROPERTY_COMPANY)
    return {
        "places": {"community": c, "estate": e, "complex": x, "b1": b1, "b2": b2},
        Kind.COMMUNITY_COMMITTEE: cc,
        Kind.ESTATE_GENERAL_BRANCH: gb,
        Kind.RESIDENT_BRANCH: rb,
        Kind.BUILDING_GROUP: bg,
        Kind.FUNCTIONAL_BRANCH: fb,
    }


def _place_for(kind, places):
    return {
        Kind.COMMUNITY_COMMITTEE: places["community"],
        Kind.ESTATE_GENERAL_BRANCH: places["estate"],
        Kind.RESIDENT_BRANCH: places["complex"],
        Kind.BUILDING_GROUP: places["b2"],
        Kind.FUNCTIONAL_BRANCH: places["estate"],
    }[kind]


@pytest.mark.parametrize("kind", Kind.values)
@pytest.mark.parametrize("parent_kind", [None, *Kind.values])
def test_an_organization_may_sit_only_under_the_kinds_the_domain_allows(tree, kind, parent_kind):
    parent = tree[parent_kind] if parent_kind else None
    place_ = _place_for(kind, tree["places"])
    if kind == Kind.COMMUNITY_COMMITTEE and parent is None:
        place_ = place(PlaceKind.COMMUNITY, "新社区", tree["places"]["community"].parent)
    function = OrgFunction.IN_SERVICE if kind == Kind.FUNCTIONAL_BRANCH else ""
    attempt = dict(kind=kind, name=f"新{kind}", place=place_, parent=parent, function=function)
    if (kind, parent_kind) in ALLOWED:
        assert org(**attempt).parent == parent
    else:
        with pytest.raises(ApplicationError):
            org(**attempt)
        assert not Organization.objects.filter(name=f"新{kind}").exists()


def test_a_building_group_under_a_general_branch_is_refused_with_a_clear_message(tree):
    with pytest.raises(ApplicationError, match="楼栋党小组 不能挂在 小区党总支 之下"):
        org(Kind.BUILDING_GROUP, "2栋党小组", tree["places"]["b2"], tree[Kind.ESTATE_GENERAL_BRANCH])


def test_a_functional_branch_must_name_its_function(tree):
    with pytest.raises(ApplicationError, match="职能"):
        org(Kind.FUNCTIONAL_BRANCH, "无名支部", tree["places"]["estate"], tree[Kind.ESTATE_GENERAL_BRANCH])


def test_an_organization_must_serve_a_place_inside_its_parents_place(tree):
    other_estate = place(PlaceKind.ESTATE, "别的小区", tree["places"]["community"])
    other_b = place(PlaceKind.BUILDING, "9栋", other_estate)
    with pytest.raises(ApplicationError, match="不在上级组织"):
        org(Kind.BUILDING_GROUP, "越界党小组", other_b, tree[Kind.RESIDENT_BRANCH])


def test_a_general_branch_cannot_serve_a_building(tree):
    with pytest.raises(ApplicationError, match="只能服务于"):
        org(Kind.ESTATE_GENERAL_BRANCH, "楼栋党总支", tree["places"]["b1"], tree[Kind.COMMUNITY_COMMITTEE])


def test_a_building_group_covers_its_own_building_by_default(tree):
    assert list(tree[Kind.BUILDING_GROUP].buildings.all()) == [tree["places"]["b1"]]


def test_a_building_group_may_cover_a_set_of_buildings(tree):
    group = org(
        Kind.BUILDING_GROUP,
        "联合党小组",
        tree["places"]["complex"],
        tree[Kind.RESIDENT_BRANCH],
        buildings=[tree["places"]["b1"], tree["places"]["b2"]],
    )
    assert set(group.buildings.all()) == {tree["places"]["b1"], tree["places"]["b2"]}


def test_moving_an_organization_under_its_own_descendant_is_refused(tree):
    with pytest.raises(ApplicationError, match="下级"):
        services.organization_move(
            organization=tree[Kind.ESTATE_GENERAL_BRANCH], parent=tree[Kind.BUILDING_GROUP], actor=SYSTEM
        )


def test_moving_a_building_group_to_a_general_branch_is_refused(tree):
    with pytest.raises(ApplicationError, match="不能挂在"):
        services.organization_move(
            organization=tree[Kind.BUILDING_GROUP], parent=tree[Kind.ESTATE_GENERAL_BRANCH], actor=SYSTEM
        )


def test_moving_a_functional_branch_up_to_the_community_committee_is_allowed(tree):
    moved = services.organization_move(
        organization=tree[Kind.FUNCTIONAL_BRANCH], parent=tree[Kind.COMMUNITY_COMMITTEE], actor=SYSTEM
    )
    assert moved.parent == tree[Kind.COMMUNITY_COMMITTEE]


def test_an_organization_with_children_cannot_be_deleted(tree):
    with pytest.raises(Conflict, match="下级组织"):
        services.organization_delete(organization=tree[Kind.RESIDENT_BRANCH], actor=SYSTEM)


def test_an_organization_with_members_cannot_be_deleted(tree):
    services.post_create(
        person=PersonFactory(),
        kind=PostKind.GROUP_LEADER,
        body=PostBody.PARTY,
        organization=tree[Kind.BUILDING_GROUP],
        actor=SYSTEM,
    )
    with pytest.raises(Conflict, match="任职人员"):
        services.organization_delete(organization=tree[Kind.BUILDING_GROUP], actor=SYSTEM)


def test_an_empty_leaf_organization_can_be_deleted(tree):
    services.organization_delete(organization=tree[Kind.BUILDING_GROUP], actor=SYSTEM)
    assert not Organization.objects.filter(pk=tree[Kind.BUILDING_GROUP].pk).exists()
