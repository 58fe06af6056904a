"""The API's filter backend (``core.filters``): plain ids without django-filter's form, anything else through it.

Each test that says the form is not built replaces the filterset's ``form`` with one that fails the
test when read; each that says it is built counts the reads. The rows are compared with the answer
django-filter gives for the same filter through its form.
"""

from decimal import Decimal

import django_filters
import pytest

from core.filters import plain_id_filters
from governance.models import Place
from residents.api.views import IdFilter, UnitFilter
from residents.models import PropertyUnit
from residents.tests.factories import PropertyUnitFactory


@pytest.fixture
def units(world):
    for room in ("101", "102", "201"):
        PropertyUnitFactory(
            building=Place.objects.get(pk=world["building_a1"].pk), room=room, registered_area=Decimal("80.00")
        )
    PropertyUnitFactory(building=Place.objects.get(pk=world["building_b1"].pk), room="101")
    return world["estate_a"]


@pytest.fixture
def form_reads(monkeypatch):
    """Count the reads of the filterset's form (django-filter reads it while validating and filtering)."""
    reads = []
    original = UnitFilter.form

    def counted(self):
        reads.append(1)
        return original.fget(self)

    monkeypatch.setattr(UnitFilter, "form", property(counted))
    return reads


def _ids(body):
    return [row["id"] for row in body["results"]]


@pytest.mark.django_db
def test_a_list_filtered_by_an_estates_id_builds_no_filter_form(units, cast, api, form_reads):
    body = api.as_user(cast["secretary_a"]).get(f"/api/v1/units/?estate={units.pk}&page=1&page_size=2").json()
    assert body["count"] == PropertyUnit.objects.filter(estate=units).count() == 3
    assert len(body["results"]) == 2
    assert form_reads == []


@pytest.mark.django_db
def test_the_plain_path_answers_the_rows_the_form_answers(units, cast, api, form_reads):
    client = api.as_user(cast["auditor"])
    plain = client.get(f"/api/v1/units/?estate={units.pk}").json()
    assert form_reads == []
    # An empty ``room`` is no plain id: the form runs, finds it empty and filters by the estate alone.
    through_form = client.get(f"/api/v1/units/?estate={units.pk}&room=").json()
    assert form_reads
    assert plain == through_form and len(_ids(plain)) == 3


@pytest.mark.django_db
def test_an_id_with_spaces_goes_through_the_form_and_is_read_as_the_form_reads_it(units, cast, api, form_reads):
    client = api.as_user(cast["auditor"])
    spaced = client.get(f"/api/v1/units/?estate=%20{units.pk}%20").json()
    assert form_reads
    assert _ids(spaced) == _ids(client.get(f"/api/v1/units/?estate={units.pk}").json())


@pytest.mark.django_db
def test_a_filter_given_twice_goes_through_the_form_which_keeps_the_last(units, world, cast, api, form_reads):
    client = api.as_user(cast["auditor"])
    twice = client.get(f"/api/v1/units/?estate={units.pk}&estate={world['estate_b'].pk}").json()
    assert form_reads
    assert _ids(twice) == _ids(client.get(f"/api/v1/units/?estate={world['estate_b'].pk}").json()) != []


@pytest.mark.django_db
def test_a_parameter_the_backend_does_not_know_sends_the_request_through_the_form(units, cast, api, form_reads):
    body = api.as_user(cast["auditor"]).get(f"/api/v1/units/?estate={units.pk}&area_min=3").json()
    assert form_reads and len(body["results"]) == 3


@pytest.mark.django_db
def test_a_filter_that_is_not_a_plain_id_goes_through_the_form(units, cast, api, form_reads):
    body = api.as_user(cast["auditor"]).get(f"/api/v1/units/?estate={units.pk}&room=10").json()
    assert form_reads
    assert sorted(row["room"] for row in body["results"]) == ["101", "102"]


@pytest.mark.django_db
def test_a_value_that_is_not_a_whole_number_is_still_djangos_400(units, cast, api, form_reads):
    response = api.as_user(cast["auditor"]).get("/api/v1/units/?estate=12x", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["fields"]["estate"] == ["Enter a whole number."]


def test_only_plain_integer_filters_with_an_exact_lookup_are_taken_without_the_form():
    assert set(plain_id_filters(UnitFilter)) == {"estate"}


def test_a_filterset_that_filters_in_its_own_way_always_runs_its_form():
    class Own(django_filters.FilterSet):
        estate = IdFilter(field_name="estate_id")

        class Meta:
            model = PropertyUnit
            fields = ["estate"]

        def filter_queryset(self, queryset):
            return super().filter_queryset(queryset).exclude(room="")

    assert plain_id_filters(Own) is None


def test_a_filterset_with_a_required_filter_always_runs_its_form():
    class Required(django_filters.FilterSet):
        estate = IdFilter(field_name="estate_id", required=True)

        class Meta:
            model = PropertyUnit
            fields = ["estate"]

    assert plain_id_filters(Required) is None


def test_an_id_filter_with_bounds_or_another_lookup_is_not_plain():
    class Bounded(django_filters.FilterSet):
        estate = IdFilter(field_name="estate_id", min_value=1)
        building = IdFilter(field_name="building_id", lookup_expr="gte")

        class Meta:
            model = PropertyUnit
            fields = ["estate", "building"]

    assert plain_id_filters(Bounded) == {}


@pytest.mark.django_db
def test_a_view_with_filterset_fields_keeps_one_filterset_class_across_requests(world, cast, api):
    from core.filters import FilterBackend

    client = api.as_user(cast["auditor"])
    client.get(f"/api/v1/supervision-groups/?estate={world['estate_a'].pk}")
    classes = dict(FilterBackend._built)
    known = plain_id_filters.cache_info().currsize
    for _ in range(3):
        assert client.get(f"/api/v1/supervision-groups/?estate={world['estate_a'].pk}").status_code == 200
    assert FilterBackend._built == classes and any("SupervisionGroup" in str(key) for key in classes)
    assert plain_id_filters.cache_info().currsize == known  # nothing is cached per request
