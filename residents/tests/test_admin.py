"""The register's admin pages open for staff, scoped to what they may see."""

from decimal import Decimal

import pytest

from governance.models import AuditEvent
from residents.exports import OwnerResource
from residents.models import Owner, PropertyUnit

from .factories import DeveloperFactory, OwnershipFactory, PersonOwnerFactory, PropertyUnitFactory

PAGES = ["propertyunit", "owner", "ownership", "resident", "occupancy", "skill", "partymember", "importjob"]


@pytest.mark.parametrize("model", PAGES)
def test_admin_changelists_open_for_a_staff_secretary(client, cast, world, model):
    unit = PropertyUnitFactory(building=world["building_a1"])
    OwnershipFactory(unit=unit, owner=PersonOwnerFactory(place=world["estate_a"]))
    client.force_login(cast["secretary_a"])
    assert client.get(f"/admin/residents/{model}/").status_code == 200


def test_admin_unit_list_hides_another_communitys_units(client, cast, world):
    PropertyUnitFactory(building=world["building_a1"], room="A-101")
    PropertyUnitFactory(building=world["building_b1"], room="B-999")
    client.force_login(cast["secretary_a"])
    page = client.get("/admin/residents/propertyunit/").content.decode()
    assert "A-101" in page and "B-999" not in page


def test_admin_owner_export_masks_numbers(world):
    owner = PersonOwnerFactory(place=world["estate_a"])
    owner.person.set_id_number("110105194912310029")
    owner.person.set_phone("13812345678")
    owner.person.save()
    body = OwnerResource().export(Owner.objects.all()).csv
    assert "1101**********0029" in body and "138****5678" in body
    assert "110105194912310029" not in body and "13812345678" not in body


def _unit_form(unit, **changes):
    form = {
        "stairway": unit.stairway,
        "room": unit.room,
        "use": unit.use,
        "registered_area": str(unit.registered_area or ""),
        "surveyed_area": "",
        "contract_area": "",
        "delivered": "on",
    }
    return {**form, **changes}


def test_an_admin_change_goes_through_the_service_and_records_old_and_new_values(client, cast, world):
    unit = PropertyUnitFactory(building=world["building_a1"], room="101")
    client.force_login(cast["secretary_a"])
    response = client.post(f"/admin/residents/propertyunit/{unit.pk}/change/", _unit_form(unit, surveyed_area="95.50"))
    assert response.status_code == 302, response.content.decode()[:1000]
    unit.refresh_from_db()
    assert (unit.surveyed_area, unit.area, unit.area_source) == (Decimal("95.50"), Decimal("100.00"), "registered")
    event = AuditEvent.objects.get(action="unit.update")
    assert event.actor == cast["secretary_a"]
    assert event.data["changes"] == {"surveyed_area": {"old": None, "new": "95.50"}}


def test_an_admin_change_the_service_refuses_is_shown_and_writes_nothing(client, cast, world):
    PropertyUnitFactory(building=world["building_a1"], room="102")
    unit = PropertyUnitFactory(building=world["building_a1"], room="101")
    client.force_login(cast["secretary_a"])
    response = client.post(
        f"/admin/residents/propertyunit/{unit.pk}/change/", _unit_form(unit, room="102"), follow=True
    )
    assert response.status_code == 200 and "已登记，不能重复" in response.content.decode()
    unit.refresh_from_db()
    assert unit.room == "101" and not AuditEvent.objects.filter(action="unit.update").exists()


def test_the_admin_offers_no_deletion_of_register_records(client, cast, world):
    unit = PropertyUnitFactory(building=world["building_a1"])
    client.force_login(cast["admin"])
    assert client.post(f"/admin/residents/propertyunit/{unit.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PropertyUnit.objects.filter(pk=unit.pk).exists()


def test_an_admin_edit_of_an_owner_goes_through_the_service(client, cast, world):
    developer = DeveloperFactory(place=world["estate_a"])
    client.force_login(cast["secretary_a"])
    response = client.post(
        f"/admin/residents/owner/{developer.pk}/change/", {"org_name": "南方置业", "is_developer": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    assert Owner.objects.get().org_name == "南方置业"
    event = AuditEvent.objects.get(action="owner.update")
    assert event.actor == cast["secretary_a"] and event.data["changes"]["org_name"]["new"] == "南方置业"


def test_an_admin_edit_that_blanks_an_organizations_name_is_refused(client, cast, world):
    developer = DeveloperFactory(place=world["estate_a"])
    client.force_login(cast["secretary_a"])
    response = client.post(
        f"/admin/residents/owner/{developer.pk}/change/", {"org_name": " ", "is_developer": "on"}, follow=True
    )
    assert response.status_code == 200
    assert Owner.objects.get().org_name == developer.org_name
    assert not AuditEvent.objects.filter(action="owner.update").exists()
