"""The register import: every row checked first, all or nothing, re-import a no-op, changes by natural key."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from governance.models import AuditEvent, Person
from governance.scoping import SYSTEM
from residents import importer
from residents.identifiers import make_credit_code
from residents.importer import validation
from residents.models import ImportRow, Owner, Ownership, PropertyUnit
from residents.selectors import voting_roll

from .factories import HEADER, import_file, person_id, register_csv, register_row

DAY = datetime.date(2026, 1, 10)
DEVELOPER = make_credit_code(7)


def _import(estate, fh, name="register.csv", on=DAY):
    return import_file(estate, fh, name, on=on)


def _thousand_rows(bad_at: int | None = None, bad_row: str = "") -> list[str]:
    rows = []
    for i in range(1000):
        building = "1栋" if i < 500 else "2栋"
        rows.append(register_row(building=building, room=str(1000 + i), area=f"{80 + i % 40}.25", n=i, name=f"业主{i}"))
    if bad_at is not None:
        rows[bad_at] = bad_row
    return rows


def test_valid_file_imports_units_owners_and_ownerships(estate):
    report, summary = _import(estate, register_csv(_thousand_rows()))
    assert report.ok
    assert summary["units_created"] == 1000
    assert PropertyUnit.objects.filter(estate=estate).count() == 1000
    assert Ownership.objects.filter(unit__estate=estate, start=DAY, end__isnull=True).count() == 1000
    assert voting_roll(estate, on=DAY).total_owners == 1000


def test_one_bad_line_in_a_thousand_imports_nothing_and_names_that_line(estate):
    bad = register_row(building="99栋", room="9999", n=5000)
    report, summary = _import(estate, register_csv(_thousand_rows(bad_at=637, bad_row=bad)))
    assert not report.ok and summary == {}
    assert report.errors == [{"line": 639, "column": "building", "message": "小区“南方上格林”中没有名为“99栋”的楼栋。"}]
    assert not PropertyUnit.objects.exists() and not Person.objects.exists() and not Owner.objects.exists()


def test_reimporting_the_same_file_changes_nothing(estate):
    data = register_csv(_thousand_rows()).getvalue()
    _import(estate, io.BytesIO(data))
    before = (
        list(PropertyUnit.objects.order_by("pk").values_list("pk", "updated_at", "area")),
        list(Ownership.objects.order_by("pk").values_list("pk", "start", "end")),
        Person.objects.count(),
        Owner.objects.count(),
    )
    report, summary = _import(estate, io.BytesIO(data), on=DAY + datetime.timedelta(days=30))
    after = (
        list(PropertyUnit.objects.order_by("pk").values_list("pk", "updated_at", "area")),
        list(Ownership.objects.order_by("pk").values_list("pk", "start", "end")),
        Person.objects.count(),
        Owner.objects.count(),
    )
    assert report.ok and before == after
    assert summary["units_created"] == summary["units_updated"] == summary["ownerships_started"] == 0


def test_changed_file_updates_area_and_records_the_sale(estate):
    _import(
        estate, register_csv([register_row(room="101", n=1, name="张三"), register_row(room="102", n=2, name="李四")])
    )
    later = DAY + datetime.timedelta(days=40)
    report, summary = _import(
        estate,
        register_csv(
            [register_row(room="101", n=3, name="王五"), register_row(room="102", n=2, name="李四", area="90.00")]
        ),
        on=later,
    )
    assert report.ok
    assert summary["units_updated"] == 1 and summary["ownerships_started"] == 1 and summary["ownerships_ended"] == 1
    sold = PropertyUnit.objects.get(room="101")
    history = list(sold.ownerships.order_by("start").values_list("owner__person__name", "start", "end"))
    assert history == [("张三", DAY, later), ("王五", later, None)]
    assert PropertyUnit.objects.get(room="102").area == Decimal("90.00")
    assert AuditEvent.objects.filter(action="register.import").count() == 2


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        (register_row(area="-5"), "area", "必须大于 0"),
        (register_row(area=""), "area", "缺少面积"),
        (register_row(area="abc"), "area", "不是数字"),
        (register_row(ident="500105196001010011"), "owner_id_number", "校验位"),
        (register_row(use="garage"), "use", "用途"),
        (register_row(source="guessed"), "area_source", "面积来源"),
        (register_row(delivered="maybe"), "delivered", "yes 或 no"),
        (register_row(phone="12345"), "owner_phone", "格式不正确"),
        (register_row(share="1.5"), "share", "共有份额"),
        (register_row(developer="yes", ident="500105196001010012"), "owner_id_number", "建设单位"),
    ],
)
def test_a_malformed_row_is_reported_with_its_column(estate, row, column, fragment):
    report, _summary = _import(estate, register_csv([row]))
    assert [(e["line"], e["column"]) for e in report.errors] == [(2, column)]
    assert fragment in report.errors[0]["message"]


def test_the_same_room_with_different_areas_is_refused_naming_both_lines(estate):
    rows = [register_row(room="101", n=1), register_row(room="102", n=2), register_row(room="101", n=3, area="70.00")]
    report, _summary = _import(estate, register_csv(rows))
    assert report.errors[0]["line"] == 4 and "第 2 行" in report.errors[0]["message"]


def test_co_owners_are_rows_of_the_same_room_with_shares(estate):
    rows = [register_row(room="101", n=1, share="0.5"), register_row(room="101", n=2, name="李四", share="0.5")]
    report, _summary = _import(estate, register_csv(rows))
    assert report.ok
    unit = PropertyUnit.objects.get()
    assert sorted(unit.ownerships.values_list("share", flat=True)) == [Decimal("0.5"), Decimal("0.5")]
    assert voting_roll(estate, on=DAY).total_owners == 1


def test_shares_of_one_unit_above_one_are_refused(estate):
    rows = [register_row(room="101", n=1, share="0.6"), register_row(room="101", n=2, name="李四", share="0.6")]
    report, _summary = _import(estate, register_csv(rows))
    assert [(e["line"], e["column"]) for e in report.errors] == [(3, "share")]


def test_the_same_buyer_is_matched_by_id_number_across_rows_and_files(estate):
    _import(estate, register_csv([register_row(room="101", n=1), register_row(room="102", n=1)]))
    _import(
        estate,
        register_csv([register_row(room="101", n=1), register_row(room="102", n=1), register_row(room="103", n=1)]),
    )
    assert Person.objects.count() == 1 and Owner.objects.count() == 1
    assert voting_roll(estate, on=DAY).total_owners == 1


def test_developer_rows_make_one_organization_owner(estate):
    rows = [
        register_row(room=str(r), name="南方地产", ident=DEVELOPER, developer="yes", delivered="no", phone="")
        for r in (101, 102, 103)
    ]
    report, _summary = _import(estate, register_csv(rows))
    assert report.ok
    developer = Owner.objects.get()
    assert developer.is_developer and developer.credit_code == DEVELOPER
    entry = voting_roll(estate, on=DAY).entries[0]
    assert entry.is_developer and len(entry.unit_ids) == 3


def test_gb18030_csv_is_read(estate):
    report, _summary = _import(estate, register_csv([register_row(name="欧阳娜娜")], encoding="gb18030"))
    assert report.ok and Person.objects.get().name == "欧阳娜娜"


def test_utf8_csv_with_bom_is_read(estate):
    report, _summary = _import(estate, register_csv([register_row()], encoding="utf-8-sig"))
    assert report.ok and PropertyUnit.objects.count() == 1


def test_xlsx_is_read_with_numbers_as_the_sheet_shows_them(estate):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(
        ["1栋", 1, 101, "residential", 89.5, "surveyed", "yes", "张三", person_id(1), "13800138000", "no", None]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    report, _summary = _import(estate, buffer, name="register.xlsx")
    assert report.ok
    unit = PropertyUnit.objects.get()
    assert (unit.room, unit.area, unit.area_source) == ("101", Decimal("89.50"), "surveyed")


def test_a_missing_column_is_reported_on_the_header_line(estate):
    report, _summary = _import(estate, register_csv([register_row()], header=HEADER.replace("area_source", "source")))
    assert report.errors[0]["line"] == 1 and "area_source" in report.errors[0]["message"]


def test_command_imports_and_prints_what_changed(estate, tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_bytes(register_csv([register_row()]).getvalue())
    call_command("import_register", str(estate.pk), str(path), "--on", "2026-01-10")
    assert "units_created: 1" in capsys.readouterr().out


def test_command_exits_non_zero_naming_the_bad_line(estate, tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_bytes(register_csv([register_row(), register_row(room="102", area="0")]).getvalue())
    with pytest.raises(CommandError):
        call_command("import_register", str(estate.pk), str(path))
    assert "第 3 行 [area]" in capsys.readouterr().err
    assert not PropertyUnit.objects.exists()


def test_staged_rows_hold_no_clear_id_or_phone_numbers(estate):
    report = importer.validate(register_csv([register_row(n=1)]), "r.csv", estate)
    staged = ImportRow.objects.filter(batch=report.batch).values()[0]
    assert person_id(1) not in str(staged) and "13800138000" not in str(staged)
    importer.write(estate, report, on=DAY, actor=SYSTEM)
    assert not ImportRow.objects.exists()


def test_an_invalid_file_leaves_nothing_staged(estate):
    _import(estate, register_csv([register_row(), register_row(room="102", area="x")]))
    assert not ImportRow.objects.exists()


def test_rows_of_one_unit_far_apart_in_the_file_are_one_unit(estate):
    rows = [register_row(room="101", n=1, share="0.5")]
    rows += [register_row(room=str(200 + i), n=10 + i) for i in range(20)]
    rows += [register_row(room="101", n=2, name="李四", share="0.5")]
    report, summary = _import(estate, register_csv(rows))
    assert report.ok and summary["units_created"] == 21
    assert PropertyUnit.objects.get(room="101").ownerships.count() == 2


def test_the_same_id_number_under_two_names_is_refused(estate):
    rows = [register_row(room="101", n=1, name="张三"), register_row(room="102", n=1, name="张叁")]
    report, _summary = _import(estate, register_csv(rows))
    assert [(e["line"], e["column"]) for e in report.errors] == [(3, "owner_name")]
    assert "第 2 行" in report.errors[0]["message"]


def test_a_buyer_whose_units_fall_in_different_batches_is_one_person(estate, monkeypatch):
    monkeypatch.setattr(validation, "BATCH", 2)
    rows = [register_row(building="1栋", room="101", n=1)]
    rows += [register_row(building="1栋", room=str(102 + i), n=10 + i) for i in range(4)]
    rows += [register_row(building="2栋", room="101", n=1)]
    report, summary = _import(estate, register_csv(rows))
    assert report.ok and summary["persons_created"] == 5 and summary["units_created"] == 6
    assert voting_roll(estate, on=DAY).total_owners == 5
    again, summary = _import(estate, register_csv(rows))
    assert again.ok and summary["persons_created"] == 0 and Person.objects.count() == 5
