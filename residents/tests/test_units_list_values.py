"""The units list read with ``.values_list()`` (``core.values``) answers exactly what the serializer would.

The list's page is built from tuples, not model instances; these tests generate units with odd values
(areas missing or with trailing zeros, every use and area source, undelivered, no stairway) and compare
the API's rows with ``PropertyUnitSerializer`` over the same units, row by row, so the two cannot drift.
They also hold the count read in the page's own query to the exact count, and the estate filter to its
answers without a lookup: a 400 for an id that is not a whole number, an empty page outside the scope.
"""

import itertools
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from core.values import ValuesRepresentation, values_representation
from governance.models import Place, PlaceKind
from governance.tests.factories import place
from residents.api.serializers import PropertyUnitSerializer
from residents.models import AreaSource, PropertyUnit, UnitUse
from residents.tests.factories import PropertyUnitFactory

ORDER = ("building_id", "stairway", "room", "pk")
AREAS = [None, Decimal("0.01"), Decimal("88.50"), Decimal("100.00"), Decimal("12345678.90"), Decimal("7.05")]


@pytest.fixture
def odd_units(world):
    """Three hundred units of estate A with every kind of odd value, in three buildings."""
    random.seed(13)
    estate = world["estate_a"]
    buildings = [
        Place.objects.get(pk=world["building_a1"].pk),
        Place.objects.get(pk=world["building_a2"].pk),
        place(PlaceKind.BUILDING, "商业楼 A座", estate),
    ]
    uses = itertools.cycle(UnitUse.values)
    for n in range(300):
        registered, surveyed, contract = (random.choice(AREAS) for _ in range(3))
        if registered is surveyed is contract is None:
            contract = Decimal("50.10")
        unit = PropertyUnit(
            building=buildings[n % 3],
            estate=estate,
            stairway=random.choice(["", "1", "2", "东"]),
            room=f"{n + 1:04d}",
            use=next(uses),
            registered_area=registered,
            surveyed_area=surveyed,
            contract_area=contract,
            delivered=n % 7 != 0,
        )
        unit.apply_area_precedence()
        unit.save()
    return estate


def _serialized(queryset):
    return [dict(row) for row in PropertyUnitSerializer(queryset, many=True).data]


@pytest.mark.django_db
def test_the_values_rows_equal_the_serializers_rows_for_odd_units(odd_units):
    units = PropertyUnit.objects.select_related("building").filter(estate=odd_units).order_by(*ORDER)
    reader = values_representation(PropertyUnitSerializer)
    fast = reader.rows(units.values_list(*reader.columns))
    slow = _serialized(units)
    assert len(fast) == len(slow) == 300
    for quick, model in zip(fast, slow, strict=True):
        assert list(quick) == list(model)  # the same keys in the same order
        assert quick == model
    # The generated units did cover what could drift: missing areas, every use and area source, undelivered.
    assert any(row["registered_area"] is None for row in fast) and any(not row["delivered"] for row in fast)
    assert {row["use"] for row in fast} == set(UnitUse.values)
    assert {row["area_source"] for row in fast} == set(AreaSource.values)
    assert any(row["stairway"] == "" for row in fast)


@pytest.mark.django_db
def test_the_units_list_answers_the_serializers_rows_with_the_exact_count(odd_units, cast, api):
    client = api.as_user(cast["secretary_a"])
    body = client.get(f"/api/v1/units/?estate={odd_units.pk}&page_size=120&page=2").json()
    units = PropertyUnit.objects.select_related("building").filter(estate=odd_units).order_by(*ORDER)
    assert body["results"] == _serialized(units[120:240])
    assert body["count"] == units.count() == 300
    assert body["next"].endswith("page=3&page_size=120") and body["previous"]


@pytest.mark.django_db
def test_the_last_page_and_a_page_past_the_end_answer_as_before(odd_units, cast, api):
    client = api.as_user(cast["secretary_a"])
    last = client.get(f"/api/v1/units/?estate={odd_units.pk}&page_size=120&page=last").json()
    assert len(last["results"]) == 60 and last["count"] == 300 and last["next"] is None
    assert client.get(f"/api/v1/units/?estate={odd_units.pk}&page_size=120&page=3").json() == last
    assert client.get(f"/api/v1/units/?estate={odd_units.pk}&page_size=120&page=4").status_code == 404
    assert client.get(f"/api/v1/units/?estate={odd_units.pk}&page=0").status_code == 404
    assert client.get(f"/api/v1/units/?estate={odd_units.pk}&page=x").status_code == 404


@pytest.mark.django_db
def test_an_empty_first_page_counts_nothing(world, cast, api):
    body = api.as_user(cast["secretary_a"]).get(f"/api/v1/units/?estate={world['estate_a'].pk}").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.django_db
def test_the_page_and_its_count_are_one_query(odd_units, cast, api):
    client = api.as_user(cast["auditor"])
    client.get("/api/v1/units/")  # the user's scope is read once and kept on the (forced) user
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"/api/v1/units/?estate={odd_units.pk}").json()
    assert body["count"] == 300 and len(body["results"]) == 50
    units = [q["sql"] for q in queries if 'FROM "residents_propertyunit"' in q["sql"]]
    assert len(units) == 1


@pytest.mark.django_db
def test_an_estates_whole_register_is_counted_from_the_counts_the_database_keeps(odd_units, cast, api):
    client = api.as_user(cast["auditor"])
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"/api/v1/units/?estate={odd_units.pk}").json()
    (page,) = [q["sql"] for q in queries if 'FROM "residents_propertyunit"' in q["sql"]]
    assert "residents_estateunitcount" in page and "COUNT(*)" not in page
    assert body["count"] == 300 == PropertyUnit.objects.filter(estate=odd_units).count()


@pytest.mark.django_db
def test_the_kept_count_follows_a_unit_added_to_the_estate(odd_units, world, cast, api):
    unit = PropertyUnit(building=world["building_a1"], estate=odd_units, room="9999", registered_area=Decimal("1"))
    unit.apply_area_precedence()
    unit.save()
    body = api.as_user(cast["auditor"]).get(f"/api/v1/units/?estate={odd_units.pk}").json()
    assert body["count"] == 301


@pytest.mark.django_db
def test_a_list_filtered_further_than_its_estate_counts_its_own_rows(odd_units, cast, api):
    client = api.as_user(cast["auditor"])
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"/api/v1/units/?estate={odd_units.pk}&use=residential").json()
    (page,) = [q["sql"] for q in queries if 'FROM "residents_propertyunit"' in q["sql"]]
    assert "COUNT(*)" in page and "residents_estateunitcount" not in page
    assert body["count"] == PropertyUnit.objects.filter(estate=odd_units, use="residential").count() < 300


@pytest.mark.django_db
def test_an_estate_that_is_not_a_whole_number_is_refused_with_a_message(odd_units, cast, api):
    client = api.as_user(cast["secretary_a"])
    for wrong in ("abc", "1.5"):
        response = client.get(f"/api/v1/units/?estate={wrong}")
        assert response.status_code == 400
        assert response.json()["fields"]["estate"]  # django's own message for a whole number (输入整数。)


@pytest.mark.django_db
def test_an_estate_outside_the_scope_or_missing_gives_an_empty_page(odd_units, world, cast, api):
    client = api.as_user(cast["secretary_b"])  # community B: estate A is outside
    for estate in (odd_units.pk, 987654):
        body = client.get(f"/api/v1/units/?estate={estate}").json()
        assert body["count"] == 0 and body["results"] == []


@pytest.mark.django_db
def test_the_estate_filter_reads_no_place(odd_units, cast, api):
    client = api.as_user(cast["secretary_a"])
    client.get("/api/v1/units/")
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/api/v1/units/?estate={odd_units.pk}")
    assert not any('FROM "governance_place"' in q["sql"] for q in queries)


def test_a_serializer_field_that_is_not_a_column_is_refused():
    class WithMethod(PropertyUnitSerializer):
        extra = serializers.SerializerMethodField()

        class Meta(PropertyUnitSerializer.Meta):
            fields = [*PropertyUnitSerializer.Meta.fields, "extra"]

        def get_extra(self, obj):
            return 1

    with pytest.raises(ImproperlyConfigured):
        ValuesRepresentation(WithMethod)


def test_a_property_without_its_computation_is_refused():
    class WithoutLabel(PropertyUnitSerializer):
        values_computed = {}

    with pytest.raises(ImproperlyConfigured):
        ValuesRepresentation(WithoutLabel)


@pytest.mark.django_db
def test_a_unit_built_by_the_factory_reads_the_same_both_ways(world):
    unit = PropertyUnitFactory(building=Place.objects.get(pk=world["building_b1"].pk), stairway="")
    reader = values_representation(PropertyUnitSerializer)
    row = reader.rows(PropertyUnit.objects.filter(pk=unit.pk).values_list(*reader.columns))
    assert row == _serialized(PropertyUnit.objects.filter(pk=unit.pk))


def _scoped_ids(user, estate):
    """The units of ``estate`` the scope filter and the user's own units let ``user`` read: what the list was."""
    from governance.scoping import EVERYWHERE, scope_filter
    from residents.selectors import own_unit_id_list

    q = scope_filter(PropertyUnit, user, "view")
    units = PropertyUnit.objects.filter(estate=estate)
    if q is not EVERYWHERE:
        units = units.filter(q | Q(pk__in=own_unit_id_list(user)))
    return set(units.values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["admin", "auditor", "street_staff", "secretary_a", "secretary_b", "clerk", "resident"]
)
def test_a_list_of_one_estate_answers_the_scoped_rows_for_every_role(odd_units, world, cast, api, role):
    from governance.tests.factories import PersonFactory
    from residents.tests.factories import OwnershipFactory, PersonOwnerFactory

    user = cast[role]
    user.person = PersonFactory()
    user.save(update_fields=["person"])
    own = PropertyUnit.objects.filter(estate=odd_units).order_by("pk").first()  # a flat in estate A, in scope or not
    OwnershipFactory(unit=own, owner=PersonOwnerFactory(person=user.person, place=odd_units))
    PropertyUnitFactory(building=Place.objects.get(pk=world["building_b1"].pk))  # a unit of estate B
    for estate in (odd_units, world["estate_b"]):
        body = api.as_user(user).get(f"/api/v1/units/?estate={estate.pk}&page_size=500").json()
        expected = _scoped_ids(user, estate)
        assert {row["id"] for row in body["results"]} == expected and body["count"] == len(expected), estate
    assert own.pk in _scoped_ids(user, odd_units)  # the comparison saw the user's own flat


def test_the_units_estate_filter_is_the_column_the_scope_matches():
    from residents.api.views import PropertyUnitViewSet, UnitFilter

    assert PropertyUnitViewSet.pinned_estate_param == "estate"
    assert UnitFilter.base_filters["estate"].field_name == f"{PropertyUnit.scope_estate_field}_id"
    assert UnitFilter.base_filters["estate"].lookup_expr == "exact"


@pytest.mark.django_db
def test_the_estate_filters_refusal_speaks_the_requests_language_with_the_form_class_kept(odd_units, cast, api):
    client = api.as_user(cast["secretary_a"])
    chinese = client.get("/api/v1/units/?estate=abc", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    english = client.get("/api/v1/units/?estate=abc", HTTP_ACCEPT_LANGUAGE="en").json()
    again = client.get("/api/v1/units/?estate=abc", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert chinese["fields"]["estate"] == again["fields"]["estate"] != english["fields"]["estate"]
    assert english["fields"]["estate"] == ["Enter a whole number."]
