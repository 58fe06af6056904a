"""The register's admin pages open for staff, scoped to what they may see."""

import pytest

from .factories import OwnershipFactory, PersonOwnerFactory, PropertyUnitFactory

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
    from residents.admin import OwnerResource
    from residents.models import Owner

    owner = PersonOwnerFactory(place=world["estate_a"])
    owner.person.set_id_number("110105194912310029")
    owner.person.set_phone("13812345678")
    owner.person.save()
    body = OwnerResource().export(Owner.objects.all()).csv
    assert "1101**********0029" in body and "138****5678" in body
    assert "110105194912310029" not in body and "13812345678" not in body
