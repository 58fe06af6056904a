"""The register's pages (issue 12): the units in a user's scope, one unit's owners and residents, who may open them."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from governance.demo import ensure_place
from governance.models import PlaceKind
from governance.tests.factories import PersonFactory, org
from residents.identifiers import make_resident_id
from residents.models import Occupancy, OccupancyState
from residents.tests.factories import (
    OwnershipFactory,
    PartyMemberFactory,
    PersonOwnerFactory,
    PropertyUnitFactory,
    ResidentFactory,
)

pytestmark = pytest.mark.django_db

ID_NUMBER = make_resident_id("500105", datetime.date(1970, 1, 1), 1)
PHONE = "13912345678"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _unit(building, room: str, *, stairway: str = "1", area: str = "100.00", owner_name: str = ""):
    unit = PropertyUnitFactory(building=building, stairway=stairway, room=room, registered_area=Decimal(area))
    if owner_name:
        owner = PersonOwnerFactory(place=building.estate, person=PersonFactory(name=owner_name))
        OwnershipFactory(unit=unit, owner=owner)
    return unit


def _person_with_numbers(name: str):
    person = PersonFactory(name=name)
    person.set_id_number(ID_NUMBER)
    person.set_phone(PHONE)
    person.save()
    return person


def test_a_community_secretary_sees_the_units_of_their_community(cast, world):
    _unit(world["building_a1"], "101", owner_name="张甲")
    _unit(world["building_b1"], "909", owner_name="李乙")
    page = _client(cast["secretary_a"]).get("/register/").content.decode()
    assert "1栋-1单元-101" in page and "张甲" in page
    assert "1栋-1单元-909" not in page and "李乙" not in page


def test_a_community_secretary_gets_404_for_a_unit_of_another_community(cast, world):
    unit = _unit(world["building_b1"], "909")
    assert _client(cast["secretary_a"]).get(f"/register/units/{unit.pk}/").status_code == 404


def test_a_community_secretary_gets_404_for_an_estate_of_another_community(cast, world):
    response = _client(cast["secretary_a"]).get(f"/register/?estate={world['estate_b'].pk}")
    assert response.status_code == 404


def test_a_resident_is_refused_the_register_list(cast, world):
    assert _client(cast["resident"]).get("/register/").status_code == 403


def test_a_resident_is_refused_the_page_of_their_own_unit(cast, world):
    unit = _unit(world["building_a1"], "101")
    OwnershipFactory(unit=unit, owner=PersonOwnerFactory(place=world["estate_a"], person=cast["resident"].person))
    assert _client(cast["resident"]).get(f"/register/units/{unit.pk}/").status_code == 403


def test_a_logged_out_visitor_is_sent_to_log_in(world):
    response = Client().get("/register/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("query", ["102", "2栋", "2", "2栋-102", "2-102", "2栋-3单元-102", "2栋－3单元－102"])
def test_the_search_finds_a_unit_by_its_short_form(query, cast, world):
    _unit(world["building_a2"], "102", stairway="3")
    _unit(world["building_a1"], "201")
    page = _client(cast["secretary_a"]).get("/register/", {"q": query}).content.decode()
    assert "2栋-3单元-102" in page
    assert "1栋-1单元-201" not in page


def test_the_search_names_no_unit_when_none_has_that_number(cast, world):
    _unit(world["building_a1"], "101")
    page = _client(cast["secretary_a"]).get("/register/", {"q": "1栋-2单元-101"}).content.decode()
    assert "1栋-1单元-101" not in page and "没有找到这个房号的房屋" in page


def test_the_estate_filter_shows_only_that_estates_units(cast, world):
    _unit(world["building_a1"], "101")
    _unit(world["building_b1"], "909")
    page = _client(cast["street_staff"]).get("/register/", {"estate": world["estate_a"].pk}).content.decode()
    assert "1栋-1单元-101" in page and "1栋-1单元-909" not in page


def test_the_list_shows_areas_with_thousands_separators_and_occupancy(cast, world):
    unit = _unit(world["building_a1"], "101", area="1234.50")
    Occupancy.objects.create(unit=unit, state=OccupancyState.OCCUPIED, since=datetime.date(2021, 1, 1))
    ResidentFactory(unit=unit)
    community = org("community_committee", "南桥苑社区党委", world["community_a"])
    branch = org("estate_general_branch", "南方上格林党总支", world["estate_a"], community)
    ResidentFactory(unit=unit, person=PartyMemberFactory(organization=branch).person)
    page = _client(cast["secretary_a"]).get("/register/").content.decode()
    row = page[page.index("1栋-1单元-101") :].split("</tr>")[0]
    assert "1,234.50" in row and "已入住" in row
    assert [c.split(">")[-1] for c in row.split("</td>")[-3:-1]] == ["2", "1"]  # residents, party members


def test_the_register_pages_never_show_an_id_or_phone_number(cast, world):
    unit = _unit(world["building_a1"], "101")
    person = _person_with_numbers("王丙")
    OwnershipFactory(unit=unit, owner=PersonOwnerFactory(place=world["estate_a"], person=person))
    ResidentFactory(unit=unit, person=person)
    client = _client(cast["secretary_a"])
    for url in ("/register/", f"/register/units/{unit.pk}/"):
        page = client.get(url).content.decode()
        assert "王丙" in page, url
        for secret in (ID_NUMBER, ID_NUMBER[-4:], ID_NUMBER[:6], PHONE, PHONE[-4:], PHONE[:3] + "****"):
            assert secret not in page, (url, secret)


def test_the_unit_page_shows_the_ownership_history_with_shares_and_the_residents(cast, world):
    unit = _unit(world["building_a1"], "101")
    seller = PersonOwnerFactory(place=world["estate_a"], person=PersonFactory(name="赵卖"))
    OwnershipFactory(unit=unit, owner=seller, start=datetime.date(2020, 1, 1), end=datetime.date(2024, 6, 1))
    for name in ("钱买", "孙买"):
        buyer = PersonOwnerFactory(place=world["estate_a"], person=PersonFactory(name=name))
        OwnershipFactory(unit=unit, owner=buyer, start=datetime.date(2024, 6, 1), share=Decimal("0.5"))
    ResidentFactory(unit=unit, person=PersonFactory(name="周租"), relation="tenant")
    page = _client(cast["committee_member"]).get(f"/register/units/{unit.pk}/").content.decode()
    assert "赵卖" in page and "2024-06-01" in page and "已转让" in page
    assert page.count("现业主") == 2 and "0.50" in page
    assert "周租" in page and "租户" in page


def test_the_unit_pages_breadcrumbs_lead_to_the_register_and_its_estate(cast, world):
    unit = _unit(world["building_a1"], "101")
    page = _client(cast["secretary_a"]).get(f"/register/units/{unit.pk}/").content.decode()
    crumbs = page[page.index('class="crumbs"') : page.index("</nav>", page.index('class="crumbs"'))]
    assert 'href="/register/"' in crumbs and f'href="/register/?estate={world["estate_a"].pk}"' in crumbs


def test_whoever_may_import_sees_the_import_button(cast, world):
    page = _client(cast["secretary_a"]).get("/register/").content.decode()
    assert 'href="/register/imports/"' in page and "导入登记册" in page


def test_a_committee_member_reads_the_register_without_an_import_button(cast, world):
    response = _client(cast["committee_member"]).get("/register/")
    assert response.status_code == 200 and 'href="/register/imports/"' not in response.content.decode()


def test_the_auditor_reads_the_register_without_an_import_button(cast, world):
    response = _client(cast["auditor"]).get("/register/")
    assert response.status_code == 200 and 'href="/register/imports/"' not in response.content.decode()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def _owned_units(building, n: int, start: int):
    for i in range(start, start + n):
        unit = _unit(building, str(100 + i), owner_name=f"业主{i}")
        ResidentFactory(unit=unit)
        Occupancy.objects.create(unit=unit, state=OccupancyState.OCCUPIED, since=datetime.date(2021, 1, 1))


def test_the_register_list_runs_the_same_number_of_queries_whatever_the_scope(cast, world):
    client = _client(cast["street_staff"])
    _owned_units(world["building_a1"], 2, 0)
    few = _queries(client, "/register/")
    community = world["community_a"]
    for n in range(3):
        estate = ensure_place(PlaceKind.ESTATE, f"新小区{n}", community)
        _owned_units(ensure_place(PlaceKind.BUILDING, "1栋", estate), 30, 0)
    assert _queries(client, "/register/") == few
    assert _queries(client, "/register/?page=2") == few


def test_the_import_page_leads_back_to_the_register(cast, world):
    page = _client(cast["secretary_a"]).get("/register/imports/").content.decode()
    crumbs = page[page.index('class="crumbs"') : page.index("</nav>", page.index('class="crumbs"'))]
    assert 'href="/register/"' in crumbs and "导入登记册" in crumbs
