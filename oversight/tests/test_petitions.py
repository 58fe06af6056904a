"""Petitions: petitioners encrypted and masked, reveals audited, yearly shares, a year's log imported all or none."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from openpyxl import Workbook, load_workbook

from governance.models import AuditEvent
from governance.scoping import SYSTEM
from oversight import selectors, services
from oversight.models import Petition
from oversight.tests.factories import fresh

pytestmark = pytest.mark.django_db


def _petition(place, day, category="property", **extra):
    petition = services.petition_create(
        received_on=day, place=place, category=category, channel="visit", summary="停车位被占", actor=SYSTEM, **extra
    )
    return Petition.objects.get(pk=petition.pk)


def test_the_petitioner_is_encrypted_at_rest_and_masked_when_read(world):
    petition = _petition(
        world["estate_a"], datetime.date(2025, 3, 1), petitioner_name="王小明", petitioner_contact="13812345678"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT petitioner_name, petitioner_contact FROM oversight_petition WHERE id = %s", [petition.pk]
        )
        stored = cursor.fetchone()
    assert "王小明" not in stored[0] and "13812345678" not in stored[1]
    petition = Petition.objects.get(pk=petition.pk)
    assert (petition.petitioner_name_masked, petition.petitioner_contact_masked) == ("王**", "138****5678")


def test_a_reveal_shows_the_petitioner_to_those_allowed_and_is_recorded(world, cast):
    petition = _petition(
        world["estate_a"], datetime.date(2025, 3, 1), petitioner_name="王小明", petitioner_contact="13812345678"
    )
    shown = services.petition_reveal(petition=petition, actor=cast["secretary_a"])
    assert shown == {"petitioner_name": "王小明", "petitioner_contact": "13812345678"}
    event = AuditEvent.objects.get(action="petition.reveal")
    assert event.actor == cast["secretary_a"] and event.object_id == str(petition.pk)


@pytest.mark.parametrize("who", ["reviewer", "committee_member", "resident", "secretary_b"])
def test_a_reveal_is_refused_to_those_without_the_right_and_not_recorded(world, cast, who):
    petition = _petition(world["estate_a"], datetime.date(2025, 3, 1), petitioner_name="王小明")
    with pytest.raises(Exception) as refused:
        services.petition_reveal(petition=petition, actor=cast[who])
    assert refused.value.status == 403
    assert not AuditEvent.objects.filter(action="petition.reveal").exists()


def test_the_property_share_per_year_and_its_change(world):
    for n in range(27):
        _petition(world["estate_a"], datetime.date(2019, 1 + n % 12, 1), category="property" if n < 4 else "labour")
    for n in range(22):
        _petition(world["community_b"], datetime.date(2020, 1 + n % 12, 2), category="property" if n < 1 else "other")
    shares = selectors.petition_shares(fresh(world["district"]), 2020)
    assert (shares["total"], shares["property"], shares["share"]) == (22, 1, "4.55")
    assert shares["previous"] == {"year": 2019, "total": 27, "property": 4, "share": "14.81"}
    # From the exact shares (1/22 − 4/27 = −61/594), not from the rounded ones (4.55 − 14.81).
    assert shares["change"] == "-10.27"


def test_the_shares_of_a_community_count_its_estates_and_itself(world):
    _petition(world["estate_a"], datetime.date(2024, 5, 1))
    _petition(world["community_a"], datetime.date(2024, 5, 1), category="other")
    _petition(world["estate_b"], datetime.date(2024, 5, 1))
    shares = selectors.petition_shares(fresh(world["community_a"]), 2024)
    assert (shares["total"], shares["property"], shares["share"], shares["change"]) == (2, 1, "50.00", None)


# The year's log ---------------------------------------------------------------------------

HEADER = [
    "编号",
    "受理日期",
    "地点",
    "类别",
    "渠道",
    "诉求摘要",
    "承办单位",
    "状态",
    "办理结果",
    "满意度",
    "信访人",
    "联系方式",
]


def _csv(rows, name="log.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")


def _xlsx(rows, name="log.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


GOOD = [
    [
        "XF2024-001",
        "2024-02-03",
        "南方上格林",
        "物业管理",
        "来访",
        "电梯长期故障",
        "观音桥街道",
        "已办结",
        "已维修",
        "满意",
        "张三",
        "13900001111",
    ],
    ["XF2024-002", "2024-03-04", "石马河社区", "劳动社保", "电话", "欠薪", "", "办理中", "", "", "李四", ""],
    [
        "XF2024-003",
        datetime.date(2024, 4, 5),
        "石马河社区/石马河小区",
        "property",
        "online",
        "物业费争议",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
]


def test_a_years_log_is_imported_from_xlsx(world, cast):
    result = services.petitions_import(place=fresh(world["district"]), year=2024, file=_xlsx(GOOD), actor=cast["admin"])
    assert result == {"year": 2024, "imported": 3}
    first = Petition.objects.get(reference="XF2024-001")
    assert (first.place, first.category, first.status, first.satisfaction) == (
        world["estate_a"],
        "property",
        "concluded",
        "satisfied",
    )
    assert first.petitioner_name == "张三"
    assert Petition.objects.get(reference="XF2024-003").place == world["estate_b"]


def test_a_log_with_bad_lines_imports_nothing_and_names_each_line(world, cast):
    rows = [
        GOOD[0],
        ["XF2024-004", "2023-12-31", "南方上格林", "物业管理", "来访", "跨年", "", "", "", "", "", ""],
        ["XF2024-005", "2024-05-01", "不存在的小区", "水电", "飞鸽", "", "", "", "", "", "", ""],
    ]
    with pytest.raises(Exception) as refused:
        services.petitions_import(place=fresh(world["district"]), year=2024, file=_csv(rows), actor=cast["admin"])
    errors = refused.value.extra["errors"]
    assert [e["line"] for e in errors] == [3, 4]
    assert "不在 2024 年" in errors[0]["errors"][0]
    assert len(errors[1]["errors"]) == 4  # place, category, channel, summary
    assert not Petition.objects.exists()


def test_importing_the_same_log_twice_writes_nothing_twice(world, cast):
    district = fresh(world["district"])
    services.petitions_import(place=district, year=2024, file=_csv(GOOD), actor=cast["admin"])
    with pytest.raises(Exception) as refused:
        services.petitions_import(place=district, year=2024, file=_csv(GOOD), actor=cast["admin"])
    assert refused.value.code == "import_errors"
    assert Petition.objects.count() == 3


def test_an_upload_that_is_not_a_table_is_refused_before_parsing(world, cast):
    fake = SimpleUploadedFile("log.csv", b"%PDF-1.4 not a table", content_type="text/csv")
    with pytest.raises(Exception) as refused:
        services.petitions_import(place=fresh(world["district"]), year=2024, file=fake, actor=cast["admin"])
    assert refused.value.code == "upload_type"
    assert not Petition.objects.exists()


def test_an_import_outside_ones_scope_is_refused(world, cast):
    with pytest.raises(Exception) as refused:
        services.petitions_import(
            place=fresh(world["community_b"]), year=2024, file=_csv(GOOD), actor=cast["secretary_a"]
        )
    assert refused.value.status == 403
    assert not Petition.objects.exists()


def test_an_export_masks_petitioners_and_quotes_formulas(world, cast):
    _petition(
        world["estate_a"],
        datetime.date(2024, 6, 1),
        petitioner_name="王小明",
        petitioner_contact="13812345678",
        handled_by='=HYPERLINK("http://x","y")',
    )
    content, count = services.petitions_export(
        place=fresh(world["district"]), year=2024, format="xlsx", actor=cast["auditor"]
    )
    sheet = load_workbook(io.BytesIO(content)).active
    row = [cell.value for cell in sheet[2]]
    assert count == 1
    assert row[10:12] == ["王**", "138****5678"]
    assert row[6] == '\'=HYPERLINK("http://x","y")' and sheet.cell(row=2, column=7).data_type == "s"
    assert AuditEvent.objects.filter(action="petition.export", actor=cast["auditor"]).exists()
