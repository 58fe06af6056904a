"""Each estate's kept unit counts follow every path that writes units, and recount_units repairs them."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from core.bulk import copy_rows
from governance.models import AuditEvent
from governance.scoping import SYSTEM
from residents import services
from residents.models import AreaSource, EstateUnitCount, PropertyUnit, UnitUse

from .factories import PropertyUnitFactory, import_file, register_csv, register_row

pytestmark = pytest.mark.django_db


def kept():
    """The kept counts, zero rows left out."""
    return {
        (e, u): n for e, u, n in EstateUnitCount.objects.filter(units__gt=0).values_list("estate_id", "use", "units")
    }


def counted():
    """The units counted now, per estate and use."""
    rows = PropertyUnit.objects.values("estate_id", "use").annotate(n=Count("id")).order_by()
    return {(r["estate_id"], r["use"]): r["n"] for r in rows}


def test_a_unit_created_by_the_service_is_counted_in_its_estate(world):
    services.unit_create(building=world["building_a1"], room="101", registered_area=Decimal("90"), actor=SYSTEM)
    services.unit_create(
        building=world["building_a2"], room="9", use=UnitUse.PARKING, registered_area=Decimal("12"), actor=SYSTEM
    )
    assert kept() == counted() == {(world["estate_a"].pk, "residential"): 1, (world["estate_a"].pk, "parking"): 1}


def test_a_change_of_use_moves_the_unit_between_counts(world):
    unit = PropertyUnitFactory(building=world["building_a1"])
    services.unit_update(unit=unit, use=UnitUse.COMMERCIAL, actor=SYSTEM)
    assert kept() == counted() == {(world["estate_a"].pk, "commercial"): 1}


def test_a_change_that_refiles_no_unit_leaves_the_counts_alone(world):
    unit = PropertyUnitFactory(building=world["building_a1"])
    before = list(EstateUnitCount.objects.values_list("pk", "estate_id", "use", "units"))
    services.unit_update(unit=unit, surveyed_area=Decimal("95.50"), room="102", actor=SYSTEM)
    unit.save()  # every column, as a stale copy would be saved
    assert list(EstateUnitCount.objects.values_list("pk", "estate_id", "use", "units")) == before


def test_a_unit_added_in_the_admin_is_counted(client, cast, world):
    client.force_login(cast["secretary_a"])
    form = {
        "building": world["building_a1"].pk,
        "stairway": "1",
        "room": "301",
        "use": "residential",
        "registered_area": "88.00",
        "surveyed_area": "",
        "contract_area": "",
        "delivered": "on",
    }
    response = client.post("/admin/residents/propertyunit/add/", form)
    assert response.status_code == 302, response.content.decode()[:500]
    assert kept() == counted() == {(world["estate_a"].pk, "residential"): 1}


def test_a_register_import_counts_its_new_units_and_its_changes_of_use(world):
    estate = world["estate_a"]
    rows = [register_row(room=str(100 + n), n=n) for n in range(1, 6)]
    report, _summary = import_file(estate, register_csv(rows))
    assert report.ok, report.errors
    assert kept() == counted() == {(estate.pk, "residential"): 5}
    rows[0] = register_row(room="101", n=1, use="commercial")
    report, _summary = import_file(estate, register_csv(rows))
    assert report.ok, report.errors
    assert kept() == counted() == {(estate.pk, "residential"): 4, (estate.pk, "commercial"): 1}


def test_units_bulk_created_deleted_and_moved_by_statement_are_counted(world):
    a, b = world["estate_a"], world["estate_b"]
    PropertyUnit.objects.bulk_create(
        PropertyUnit(
            building=world["building_a1"], estate=a, room=str(n), area=Decimal("50"), area_source=AreaSource.REGISTERED
        )
        for n in range(6)
    )
    assert kept() == counted() == {(a.pk, "residential"): 6}
    PropertyUnit.objects.filter(room__in=["0", "1"]).delete()
    PropertyUnit.objects.filter(room="2").update(estate=b, building=world["building_b1"])
    PropertyUnit.objects.filter(room="3").update(use=UnitUse.OTHER)
    assert kept() == counted() == {(a.pk, "residential"): 2, (b.pk, "residential"): 1, (a.pk, "other"): 1}


@pytest.mark.postgres
def test_units_copied_in_are_counted_and_a_truncate_empties_the_counts(world):
    estate = world["estate_b"]
    columns = ["building_id", "estate_id", "stairway", "room", "use", "area", "area_source", "delivered"]
    rows = [
        (world["building_b1"].pk, estate.pk, "1", str(n), "residential", Decimal("60"), "registered", True)
        for n in range(40)
    ]
    copy_rows(PropertyUnit, columns, rows)
    assert kept() == counted() == {(estate.pk, "residential"): 40}
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending: TRUNCATE needs none
        cursor.execute("SET LOCAL gongzhi.allow_truncate = 'on'")  # the append-only tables it cascades to
        cursor.execute("TRUNCATE residents_propertyunit CASCADE")
    assert kept() == counted() == {}


def test_recount_units_repairs_counts_gone_wrong_and_records_it(world):
    PropertyUnitFactory.create_batch(3, building=world["building_a1"])
    estate = world["estate_a"].pk
    EstateUnitCount.objects.filter(estate_id=estate).update(units=7)
    EstateUnitCount.objects.create(estate_id=world["estate_b"].pk, use="parking", units=2)
    out = io.StringIO()
    call_command("recount_units", stdout=out)
    assert kept() == counted() == {(estate, "residential"): 3}
    assert f"estate {estate} residential: kept 7, counted 3 (repaired)" in out.getvalue()
    event = AuditEvent.objects.get(action="unit_counts.repair")
    assert len(event.data["differences"]) == 2


def test_recount_units_check_lists_the_differences_and_repairs_nothing(world):
    PropertyUnitFactory(building=world["building_a1"])
    EstateUnitCount.objects.update(units=5)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("recount_units", "--check", stdout=out)
    assert "kept 5, counted 1" in out.getvalue()
    assert set(kept().values()) == {5}
    assert not AuditEvent.objects.filter(action="unit_counts.repair").exists()


def test_recount_units_says_so_when_the_counts_agree(world):
    PropertyUnitFactory(building=world["building_a1"])
    out = io.StringIO()
    call_command("recount_units", stdout=out)
    assert "all agree" in out.getvalue()
    assert not AuditEvent.objects.filter(action="unit_counts.repair").exists()


def test_only_the_system_or_a_superuser_repairs_the_counts(cast):
    from core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        services.unit_counts_repair(actor=cast["secretary_a"])
