"""Exports of the register: masked, formula-safe (issue 10 item 4), and recorded by the service that exports."""

import io

import pytest
from import_export.formats.base_formats import CSV, XLSX
from openpyxl import load_workbook

from core.errors import NotPermitted
from governance.models import AuditEvent
from residents import services
from residents.models import Owner

from .factories import PersonOwnerFactory

FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture
def owners(world):
    owner = PersonOwnerFactory(place=world["estate_a"])
    owner.person.name = FORMULA
    owner.person.set_id_number("110105194912310029")
    owner.person.set_phone("13812345678")
    owner.person.save()
    PersonOwnerFactory(place=world["estate_a"])
    PersonOwnerFactory(place=world["estate_b"])
    return owner


def _formats():
    return {"csv": CSV(), "xlsx": XLSX()}


def test_an_owner_named_like_a_formula_comes_out_of_the_csv_export_as_text(cast, owners):
    body = services.owners_export(
        owners=Owner.objects.filter(place=owners.place), file_format=_formats()["csv"], actor=cast["secretary_a"]
    )
    assert "'" + FORMULA in body
    assert "\n" + FORMULA not in body and "," + FORMULA not in body


def test_an_owner_named_like_a_formula_comes_out_of_the_xlsx_export_as_text(cast, owners):
    body = services.owners_export(
        owners=Owner.objects.filter(place=owners.place), file_format=_formats()["xlsx"], actor=cast["secretary_a"]
    )
    sheet = load_workbook(io.BytesIO(body)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value and FORMULA in str(c.value)]
    assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].value == "'" + FORMULA


def test_the_export_masks_id_and_phone_numbers(cast, owners):
    body = services.owners_export(
        owners=Owner.objects.filter(place=owners.place), file_format=_formats()["csv"], actor=cast["secretary_a"]
    )
    assert "1101**********0029" in body and "138****5678" in body
    assert "110105194912310029" not in body and "13812345678" not in body


def test_the_export_records_who_exported_what_and_how_many_rows(cast, owners, world):
    services.owners_export(owners=Owner.objects.all(), file_format=_formats()["csv"], actor=cast["admin"])
    events = {e.place_id: e for e in AuditEvent.objects.filter(action="register.export")}
    assert set(events) == {world["estate_a"].pk, world["estate_b"].pk}
    event = events[world["estate_a"].pk]
    assert event.actor == cast["admin"] and event.data["rows"] == 2 and event.data["format"] == "csv"
    assert event.data["what"] == "owners"


def test_exporting_owners_outside_ones_scope_is_refused_and_recorded_nowhere(cast, owners):
    with pytest.raises(NotPermitted):
        services.owners_export(owners=Owner.objects.all(), file_format=_formats()["csv"], actor=cast["secretary_a"])
    assert not AuditEvent.objects.filter(action="register.export").exists()


def test_the_admin_owners_export_is_formula_safe_and_audited(client, cast, owners):
    client.force_login(cast["secretary_a"])
    columns = ("id", "name", "kind", "is_developer", "credit_code", "place__name", "id_number", "phone")
    form = {"format": "0", "resource": "0", **{f"ownerresource_{c}": "on" for c in columns}}
    response = client.post("/admin/residents/owner/export/", form)
    assert response.status_code == 200, response.content[:500]
    body = response.content.decode("utf-8-sig")
    assert "'" + FORMULA in body and "110105194912310029" not in body
    event = AuditEvent.objects.get(action="register.export")
    assert event.actor == cast["secretary_a"] and event.data["rows"] == 2
