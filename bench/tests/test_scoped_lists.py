"""The scope filter by estate id matches exactly the rows the range filter matched, in bounded queries.

``governance.scoping.scope_filter`` matches rows that reach their place through an estate by
the estate's id (an index condition) instead of joining the place tree's ranges; these tests
hold it to the rows the range filter (``scope_q`` over the model's path) selects, for every role,
including roles held over a single building, and bound the list endpoint's queries.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import Place, PlaceKind, RoleAssignment
from governance.scoping import CAPABILITIES, EVERYWHERE, scope_filter, scope_q, scope_ranges
from governance.tests.factories import UserFactory, place
from residents.models import ImportJob, PropertyUnit
from residents.tests.factories import PropertyUnitFactory


@pytest.fixture
def register(world):
    """Units in every building of the small district, and a complex with a building of its own."""
    complex_ = place(PlaceKind.COMPLEX, "东苑", world["estate_a"])
    inner = place(PlaceKind.BUILDING, "9栋", complex_)
    world = {**world, "complex_a": complex_, "building_a9": inner}
    for key in ("building_a1", "building_a2", "building_b1", "building_a9"):
        building = Place.objects.get(pk=world[key].pk)
        for _ in range(3):
            PropertyUnitFactory(building=building)
    for estate in ("estate_a", "estate_b"):
        ImportJob.objects.create(estate=world[estate], file="register-imports/x.csv")
    return world


def _by_ranges(model, user, action):
    """The rows the range filter over the model's own path selects: what scoping did before."""
    ranges = scope_ranges(user, action)
    if ranges is None:
        return set(model.objects.values_list("pk", flat=True))
    return set(model.objects.filter(scope_q(ranges, model.scope_path)).values_list("pk", flat=True))


def _by_scope_filter(model, user, action):
    q = scope_filter(model, user, action)
    queryset = model.objects.all() if q is EVERYWHERE else model.objects.filter(q)
    return set(queryset.values_list("pk", flat=True))


def _building_user(register):
    user = UserFactory(username="building_clerk")
    RoleAssignment.objects.create(user=user, role="clerk", place=register["building_a9"])
    RoleAssignment.objects.create(user=user, role="committee_member", place=register["building_a1"])
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("model", [PropertyUnit, ImportJob])
def test_estate_scope_selects_the_same_rows_as_the_range_scope_for_every_role_and_action(register, cast, model):
    users = [*cast.values(), _building_user(register)]
    actions = sorted({a for capabilities in CAPABILITIES.values() for a in capabilities})
    compared = 0
    for user in users:
        for action in actions:
            assert _by_scope_filter(model, user, action) == _by_ranges(model, user, action), (user, action)
            compared += bool(_by_ranges(model, user, action))
    assert compared > 5  # the comparison saw rows, not only empty scopes


@pytest.mark.django_db
def test_a_role_over_one_building_sees_that_buildings_units_only(register):
    user = UserFactory(username="one_building")
    RoleAssignment.objects.create(user=user, role="committee_member", place=register["building_a9"])
    seen = _by_scope_filter(PropertyUnit, user, "view")
    assert seen == set(PropertyUnit.objects.filter(building=register["building_a9"]).values_list("pk", flat=True))
    assert len(seen) == 3


@pytest.mark.django_db
def test_the_estate_filter_does_not_join_the_place_tree(register, cast):
    q = scope_filter(PropertyUnit, cast["auditor"], "view")
    sql = str(PropertyUnit.objects.filter(q).values("pk").query)
    assert "governance_place" not in sql


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:200]
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["secretary_a", "street_staff", "auditor", "committee_member", "admin"])
def test_units_list_queries_do_not_grow_with_page_size_or_scope(register, cast, api, role):
    client = api.as_user(cast[role])
    small = _list_queries(client, "/api/v1/units/?page_size=2")
    for key in ("building_a1", "building_b1"):
        for _ in range(20):
            PropertyUnitFactory(building=Place.objects.get(pk=register[key].pk))
    more = [
        _list_queries(client, "/api/v1/units/?page_size=50"),
        _list_queries(client, "/api/v1/units/?page_size=10&page=2"),
        _list_queries(client, f"/api/v1/units/?estate={register['estate_a'].pk}"),
    ]
    assert all(n <= small for n in more), (small, more)  # the estate filter reads no place; the count rides the page
    assert small <= 4


@pytest.mark.django_db
def test_a_secretary_who_owns_a_flat_elsewhere_sees_it_beside_the_scope_in_bounded_queries(register, cast, api):
    from governance.tests.factories import PersonFactory
    from residents.tests.factories import OwnershipFactory, PersonOwnerFactory

    secretary = cast["secretary_a"]  # community A
    secretary.person = PersonFactory()
    secretary.save(update_fields=["person"])
    flat = PropertyUnit.objects.filter(estate=register["estate_b"]).first()
    OwnershipFactory(unit=flat, owner=PersonOwnerFactory(person=secretary.person, place=register["estate_b"]))
    client = api.as_user(secretary)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/units/?page_size=100").json()
    seen = {row["id"] for row in body["results"]}
    in_scope = set(PropertyUnit.objects.filter(estate=register["estate_a"]).values_list("pk", flat=True))
    assert seen == in_scope | {flat.pk} and body["count"] == len(seen)
    assert len(queries) <= 3  # the role assignments with their estates, the user's own units, the page with its count
