"""The voting-roll API answers its entries a page at a time: the pages together are the whole roll."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from residents.selectors import voting_roll
from residents.tests.factories import DeveloperFactory, OwnershipFactory, PersonOwnerFactory, PropertyUnitFactory


@pytest.fixture
def estate(world):
    """An estate of 23 counted owners: a developer's unit, a buyer of two units, a co-owned flat, 19 others."""
    building = world["building_a1"]
    estate = world["estate_a"]
    OwnershipFactory(unit=PropertyUnitFactory(building=building), owner=DeveloperFactory(place=estate))
    buyer = PersonOwnerFactory(place=estate)
    for _ in range(2):
        OwnershipFactory(unit=PropertyUnitFactory(building=building), owner=buyer)
    flat = PropertyUnitFactory(building=building)
    for _ in range(2):
        OwnershipFactory(unit=flat, owner=PersonOwnerFactory(place=estate), share="0.5000")
    for _ in range(20):
        unit = PropertyUnitFactory(building=world["building_a2"])
        OwnershipFactory(unit=unit, owner=PersonOwnerFactory(place=estate))
    return estate


def _url(estate, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/places/{estate.pk}/voting-roll/" + (f"?{query}" if query else "")


@pytest.mark.django_db
def test_a_small_roll_comes_whole_on_the_first_page(api, cast, estate):
    body = api.as_user(cast["secretary_a"]).get(_url(estate)).json()
    roll = voting_roll(estate)
    assert body["count"] == len(roll.entries) == len(body["entries"]) == 23
    assert body["pages"] == 1 and body["next"] is None and body["previous"] is None
    assert [e["key"] for e in body["entries"]] == [e.key for e in roll.entries]


@pytest.mark.django_db
def test_the_pages_together_are_the_whole_roll_with_the_same_totals(api, cast, estate):
    client = api.as_user(cast["secretary_a"])
    whole = client.get(_url(estate)).json()
    pages, url = [], _url(estate, page_size=5)
    while url:
        body = client.get(url).json()
        assert (body["total_owners"], body["total_area"], body["count"]) == (
            whole["total_owners"],
            whole["total_area"],
            whole["count"],
        )
        pages.append(body)
        url = body["next"]
    assert len(pages) == 5 and pages[-1]["previous"] is not None
    assert [e for p in pages for e in p["entries"]] == whole["entries"]


@pytest.mark.django_db
def test_a_page_past_the_end_answers_404_and_a_bad_size_400(api, cast, estate):
    client = api.as_user(cast["secretary_a"])
    assert client.get(_url(estate, page=2)).status_code == 404
    assert client.get(_url(estate, page_size=0)).status_code == 400
    assert client.get(_url(estate, page="x")).status_code == 400


@pytest.mark.django_db
def test_the_roll_api_queries_do_not_grow_with_the_roll_or_the_page(api, cast, estate, world):
    client = api.as_user(cast["secretary_a"])

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    queries(_url(estate))  # warm: the district's rules are read once
    before = queries(_url(estate))
    for _ in range(40):
        unit = PropertyUnitFactory(building=world["building_a2"])
        OwnershipFactory(unit=unit, owner=PersonOwnerFactory(place=estate))
    assert queries(_url(estate)) == before
    assert queries(_url(estate, page_size=7, page=3)) == before
    assert queries(_url(estate, on=datetime.date.today().isoformat())) == before
