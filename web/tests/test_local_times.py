"""Times are local (Asia/Shanghai) in pages, PDF and XLSX alike, and XLSX holds them as date cells (issue 12 item 6)."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from committees import exports
from committees import services as committee_services
from committees.tests.factories import committee, income
from governance.scoping import SYSTEM
from oversight.reports import report_figures, write_xlsx

pytestmark = pytest.mark.django_db


def test_a_statement_workbook_holds_its_publication_time_as_a_local_date_cell(world):
    estate = world["estate_a"]
    committee_services.ledger_open(estate=estate, actor=SYSTEM)
    income(estate, "1000.00", datetime.date(2026, 1, 5))
    statement = committee_services.statement_publish(
        estate=estate, period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 3, 31), actor=SYSTEM
    )
    sheet = load_workbook(io.BytesIO(exports.statement_xlsx(statement))).active
    cell = sheet["B3"]
    assert isinstance(cell.value, datetime.datetime)
    assert cell.value == timezone.localtime(statement.published_at).replace(tzinfo=None, microsecond=0)
    assert sheet["A5"].value == "期初余额"


def test_a_report_workbook_writes_dates_as_date_cells(world):
    committee(world["estate_a"], n=5, term_start=datetime.date(2024, 1, 1))
    figures = report_figures("committees", world["district"], datetime.date(2026, 1, 1), datetime.date(2026, 6, 30))
    workbook = load_workbook(io.BytesIO(write_xlsx(figures)))
    assert workbook.worksheets[0]["B3"].value == datetime.datetime(2026, 1, 1)
    sheet = workbook.worksheets[1]
    header = [c.value for c in sheet[1]]
    term_end = sheet.cell(row=2, column=header.index("任期届满") + 1)
    assert isinstance(term_end.value, datetime.datetime) and term_end.number_format == "yyyy-mm-dd"
    assert figures["sections"][0]["rows"][0][header.index("任期届满")] == term_end.value.date().isoformat()


def test_pages_show_local_times(cast, login, world):
    committee(world["estate_a"], n=5)
    late = timezone.make_aware(datetime.datetime(2026, 3, 1, 23, 30), datetime.UTC)  # 07:30 next day locally
    committee_services.meeting_create(
        estate=world["estate_a"], kind="assembly", title="夜间会议", held_at=late, actor=SYSTEM
    )
    page = login(cast["secretary_a"]).get(f"/meetings/?place={world['community_a'].pk}").content.decode()
    assert "2026-03-02 07:30" in page
