"""The register import's write, set by set: what changes on a re-import, and the bulk encryption it stages with."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from core import crypto
from governance.models import AuditEvent, Person
from residents.identifiers import make_credit_code
from residents.models import Owner, Ownership, PropertyUnit

from .factories import import_file, person_id, register_csv, register_row

DAY = datetime.date(2026, 1, 10)
LATER = DAY + datetime.timedelta(days=40)
DEVELOPER = make_credit_code(7)


def _import(estate, rows, on=DAY):
    report, summary = import_file(estate, register_csv(rows), on=on)
    assert report.ok, report.errors
    return summary


def _open(room):
    return sorted(
        PropertyUnit.objects.get(room=room)
        .ownerships.filter(end__isnull=True)
        .values_list("owner__person__name", "share", "start")
    )


def test_bulk_encryption_and_hashes_read_back_as_one_by_one():
    values = [person_id(n) for n in range(50)] + ["", " 138 0013 8000 "]
    tokens = crypto.encrypt_many(values)
    assert [crypto.decrypt(t) for t in tokens] == values
    assert len({t for t in tokens if t}) == len(values) - 1  # a fresh IV each
    assert crypto.keyed_hash_many(values) == [crypto.keyed_hash(v) for v in values]


def test_a_co_owner_added_later_ends_the_old_ownership_and_starts_both(estate):
    _import(estate, [register_row(room="101", n=1, name="张三")])
    summary = _import(
        estate,
        [
            register_row(room="101", n=1, name="张三", share="0.5"),
            register_row(room="101", n=2, name="李四", share="0.5"),
        ],
        on=LATER,
    )
    assert (summary["ownerships_ended"], summary["ownerships_started"], summary["units_changing_hands"]) == (1, 2, 1)
    assert _open("101") == [("张三", Decimal("0.5"), LATER), ("李四", Decimal("0.5"), LATER)]
    assert Ownership.objects.get(end=LATER).start == DAY


def test_a_same_day_correction_replaces_the_ownership_instead_of_ending_it(estate):
    _import(estate, [register_row(room="101", n=1, name="张三")])
    summary = _import(estate, [register_row(room="101", n=2, name="李四")])
    assert (summary["ownerships_corrected"], summary["ownerships_ended"], summary["ownerships_started"]) == (1, 0, 1)
    assert _open("101") == [("李四", None, DAY)] and Ownership.objects.count() == 1


def test_a_unit_left_out_of_a_later_file_is_left_alone(estate):
    _import(estate, [register_row(room="101", n=1), register_row(room="102", n=2, name="李四")])
    summary = _import(estate, [register_row(room="101", n=1)], on=LATER)
    assert summary["units_changing_hands"] == 0
    assert _open("102") == [("李四", None, DAY)]


def test_a_renamed_person_and_a_new_phone_update_the_person_once(estate):
    _import(estate, [register_row(room="101", n=1, name="张三")])
    summary = _import(estate, [register_row(room="101", n=1, name="张叁", phone="13900139000")], on=LATER)
    assert summary["persons_updated"] == 1 and summary["persons_created"] == 0
    assert summary["units_changing_hands"] == 0
    person = Person.objects.get()
    assert (person.name, person.phone, person.phone_hash) == ("张叁", "13900139000", crypto.keyed_hash("13900139000"))
    again = _import(estate, [register_row(room="101", n=1, name="张叁", phone="")], on=LATER)
    assert again["persons_updated"] == 0 and Person.objects.get().phone == "13900139000"


def test_a_person_takes_the_phone_of_their_first_row_that_has_one(estate):
    rows = [register_row(room="101", n=1, phone=""), register_row(room="102", n=1, phone="13700137000")]
    _import(estate, rows)
    assert Person.objects.get().phone == "13700137000"
    assert _import(estate, rows, on=LATER)["persons_updated"] == 0


def test_a_renamed_developer_updates_the_organization(estate):
    row = {"ident": DEVELOPER, "developer": "yes", "phone": ""}
    _import(estate, [register_row(room="101", name="南方地产", **row)])
    summary = _import(estate, [register_row(room="101", name="南方置业", **row)], on=LATER)
    assert summary["owners_updated"] == 1 and summary["owners_created"] == 0
    assert Owner.objects.get().org_name == "南方置业"


def test_an_area_from_another_source_is_added_and_the_old_one_kept(estate):
    _import(estate, [register_row(room="101", n=1)])
    summary = _import(estate, [register_row(room="101", n=1, area="88.00", source="surveyed")], on=LATER)
    assert summary["units_updated"] == 1 and summary["units_changing_hands"] == 0
    unit = PropertyUnit.objects.get()
    assert (unit.registered_area, unit.surveyed_area, unit.area, unit.area_source) == (
        Decimal("89.50"),
        Decimal("88.00"),
        Decimal("89.50"),
        "registered",
    )


def test_rows_made_after_an_import_get_ids_of_their_own(estate):
    _import(estate, [register_row(room=str(101 + i), n=i) for i in range(5)])
    person = Person.objects.create(name="王五")
    assert person.pk not in set(Person.objects.exclude(pk=person.pk).values_list("pk", flat=True))
    assert Person.objects.count() == 6


def test_the_audit_row_names_the_units_that_changed_hands(estate):
    _import(estate, [register_row(room="101", n=1), register_row(room="102", n=2, name="李四")])
    _import(estate, [register_row(room="101", n=3, name="王五"), register_row(room="102", n=2, name="李四")], on=LATER)
    event = AuditEvent.objects.filter(action="register.import").order_by("pk").last()
    assert event.data["changed_unit_ids"] == [PropertyUnit.objects.get(room="101").pk]


def test_a_file_of_new_and_known_units_starts_the_new_ones_and_ends_only_the_changed_known_ones(estate):
    _import(estate, [register_row(room="101", n=1, name="张三"), register_row(room="102", n=2, name="李四")])
    summary = _import(
        estate,
        [
            register_row(room="101", n=1, name="张三"),  # unchanged
            register_row(room="102", n=3, name="王五"),  # sold
            register_row(room="103", n=4, name="赵六"),  # new
        ],
        on=LATER,
    )
    assert (summary["units_created"], summary["units_changing_hands"]) == (1, 2)
    assert (summary["ownerships_ended"], summary["ownerships_started"], summary["ownerships_corrected"]) == (1, 2, 0)
    assert _open("101") == [("张三", None, DAY)]
    assert _open("102") == [("王五", None, LATER)]
    assert _open("103") == [("赵六", None, LATER)]
    assert Ownership.objects.get(end=LATER).owner.person.name == "李四"


@pytest.mark.postgres
def test_the_import_leaves_an_enclosing_transactions_memory_and_jit_settings_as_they_were(estate):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '5MB'")
        cursor.execute("SET LOCAL jit = on")
        _import(estate, [register_row(room="101", n=1), register_row(room="102", n=2, name="李四")])
        cursor.execute("SELECT current_setting('work_mem'), current_setting('jit')")
        assert cursor.fetchone() == ("5MB", "on")
