"""The platform's own pages around the work: 403 and 404 in the user's language, the favicon, the owner's page,
the register's template and import result, breadcrumbs that lead only where the user may go."""

import csv
import io

import pytest
from openpyxl import load_workbook

from governance.models import Place
from residents.importer import COLUMNS
from residents.models import ImportJob
from residents.tests.factories import OwnershipFactory, PersonOwnerFactory, PropertyUnitFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_the_platform_s_own_404_in_chinese(cast, login):
    page = login(cast["resident"]).get("/estates/999999/")
    assert page.status_code == 404
    assert "找不到这个页面" in page.content.decode() and "共治平台" in page.content.decode()


def test_the_404_page_speaks_english_to_an_english_user(cast, login):
    client = login(cast["resident"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/estates/999999/")
    assert page.status_code == 404
    assert 'lang="en"' in page.content.decode()


def test_a_refused_page_is_the_platform_s_own_403(cast, login):
    page = login(cast["resident"]).get("/reports/")
    assert page.status_code == 403
    assert "您无权打开这个页面" in page.content.decode()


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.ico")
    assert 'rel="icon"' in client.get("/login/").content.decode()


def test_the_owner_s_page_names_their_unit_as_people_do_with_the_household(cast, login, world):
    unit = PropertyUnitFactory(building=world["building_a1"], stairway="1", room="101")
    owner = PersonOwnerFactory(place=world["estate_a"], person=cast["resident"].person)
    OwnershipFactory(unit=unit, owner=owner)
    ResidentFactory(unit=unit, person=cast["resident"].person)
    ResidentFactory(unit=unit, relation="family")
    page = login(cast["resident"]).get("/mine/").content.decode()
    assert "1栋-1单元-101" in page
    assert "家庭成员" in page
    assert f"u{unit.pk}" not in page


def test_breadcrumbs_of_a_place_link_only_to_places_the_user_may_open(cast, login, world):
    page = login(cast["resident"]).get(f"/places/{world['estate_a'].pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert f"/places/{world['district'].pk}/" not in text  # a resident may not open the district
    assert "南方上格林" in text


def test_the_register_template_downloads_with_the_expected_header(cast, login):
    client = login(cast["secretary_a"])
    rows = list(csv.reader(io.StringIO(client.get("/register/imports/template.csv").content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 2
    sheet = load_workbook(io.BytesIO(client.get("/register/imports/template.xlsx").content)).active
    assert tuple(c.value for c in sheet[1]) == COLUMNS


def test_the_import_result_shows_its_figures_with_labels(cast, login, world):
    job = ImportJob.objects.create(
        estate=Place.objects.get(pk=world["estate_a"].pk),
        file_name="register.csv",
        state="done",
        summary={"rows": 1200, "units": 1100, "units_created": 1100, "owners_created": 980, "on": "2026-11-01"},
    )
    page = login(cast["secretary_a"]).get(f"/register/imports/{job.pk}/").content.decode()
    assert "新增房屋" in page and "1,100" in page and "新增业主" in page
    assert "units_created" not in page
