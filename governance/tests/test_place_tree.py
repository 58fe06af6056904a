import pytest

from core.errors import ApplicationError, Conflict
from governance import services
from governance.models import Place, PlaceKind
from governance.scoping import SYSTEM
from governance.tests.factories import place

K = PlaceKind
ALLOWED = {
    (K.DISTRICT, None),
    (K.STREET, K.DISTRICT),
    (K.TOWN, K.DISTRICT),
    (K.COMMUNITY, K.STREET),
    (K.COMMUNITY, K.TOWN),
    (K.ESTATE, K.COMMUNITY),
    (K.COMPLEX, K.ESTATE),
    (K.BUILDING, K.ESTATE),
    (K.BUILDING, K.COMPLEX),
}
PARENT_KINDS = [None, *K.values]
CASES = [(kind, parent) for kind in K.values for parent in PARENT_KINDS]


@pytest.fixture
def one_of_each(db):
    """One place of every kind, in a legal chain, to serve as parents."""
    d = place(K.DISTRICT, "区")
    s = place(K.STREET, "街道", d)
    t = place(K.TOWN, "镇", d)
    c = place(K.COMMUNITY, "社区", s)
    e = place(K.ESTATE, "小区", c)
    x = place(K.COMPLEX, "苑", e)
    b = place(K.BUILDING, "楼", x)
    return {K.DISTRICT: d, K.STREET: s, K.TOWN: t, K.COMMUNITY: c, K.ESTATE: e, K.COMPLEX: x, K.BUILDING: b}


@pytest.mark.parametrize(("kind", "parent_kind"), CASES)
def test_a_place_may_sit_only_under_the_kinds_the_domain_allows(one_of_each, kind, parent_kind):
    parent = one_of_each[parent_kind] if parent_kind else None
    if (kind, parent_kind) in ALLOWED:
        created = services.place_create(kind=kind, name=f"新{kind}", parent=parent, actor=SYSTEM)
        assert created.parent == parent
    else:
        with pytest.raises(ApplicationError) as refused:
            services.place_create(kind=kind, name=f"新{kind}", parent=parent, actor=SYSTEM)
        assert refused.value.code == "illegal_nesting"
        assert not Place.objects.filter(name=f"新{kind}").exists()


def test_refusal_message_names_the_kinds_that_are_allowed(one_of_each):
    with pytest.raises(ApplicationError, match="只能挂在 社区 之下"):
        services.place_create(kind=K.ESTATE, name="错位小区", parent=one_of_each[K.STREET], actor=SYSTEM)


def test_buildings_know_their_estate_whether_under_a_complex_or_not(one_of_each):
    direct = place(K.BUILDING, "直属楼", one_of_each[K.ESTATE])
    assert direct.estate == one_of_each[K.ESTATE]
    assert one_of_each[K.BUILDING].estate == one_of_each[K.ESTATE]


def test_two_siblings_cannot_share_a_name(one_of_each):
    with pytest.raises(Conflict):
        place(K.BUILDING, "楼", one_of_each[K.COMPLEX])


def test_moving_a_place_under_its_own_descendant_is_refused(one_of_each):
    with pytest.raises(ApplicationError, match="下级"):
        services.place_move(place=one_of_each[K.ESTATE], parent=one_of_each[K.COMPLEX], actor=SYSTEM)


def test_moving_a_place_under_itself_is_refused(one_of_each):
    with pytest.raises(ApplicationError):
        services.place_move(place=one_of_each[K.COMPLEX], parent=one_of_each[K.COMPLEX], actor=SYSTEM)


def test_moving_a_place_under_an_illegal_parent_kind_is_refused(one_of_each):
    with pytest.raises(ApplicationError, match="不能挂在"):
        services.place_move(place=one_of_each[K.COMMUNITY], parent=one_of_each[K.DISTRICT], actor=SYSTEM)


def test_moving_an_estate_to_another_community_takes_its_subtree_along(one_of_each):
    other = place(K.COMMUNITY, "另一社区", one_of_each[K.TOWN])
    services.place_move(place=one_of_each[K.ESTATE], parent=other, actor=SYSTEM)
    building = Place.objects.get(pk=one_of_each[K.BUILDING].pk)
    other.refresh_from_db()
    assert building.is_descendant_of(other)
    assert building.estate_id == one_of_each[K.ESTATE].pk


def test_moving_a_building_to_another_estate_changes_its_estate(one_of_each):
    other_estate = place(K.ESTATE, "另一小区", one_of_each[K.COMMUNITY])
    moved = services.place_move(place=one_of_each[K.BUILDING], parent=other_estate, actor=SYSTEM)
    assert Place.objects.get(pk=moved.pk).estate == other_estate


def test_a_place_with_children_cannot_be_deleted(one_of_each):
    with pytest.raises(Conflict, match="下级"):
        services.place_delete(place=one_of_each[K.ESTATE], actor=SYSTEM)


def test_a_leaf_place_can_be_deleted(one_of_each):
    services.place_delete(place=one_of_each[K.BUILDING], actor=SYSTEM)
    assert not Place.objects.filter(pk=one_of_each[K.BUILDING].pk).exists()
