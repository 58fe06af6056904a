"""The district's reports: built by a task with progress, kept with who and when; the files carry the API's figures."""

import base64
import csv
import datetime
import io
import re
import zlib
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from openpyxl import load_workbook

from committees.tests.factories import committee
from core.errors import NotPermitted
from governance.scoping import SYSTEM
from oversight import services
from oversight.models import Report, ReportState
from oversight.tests.factories import assembly, days_ago, fresh, ledger, pdf

pytestmark = pytest.mark.django_db
START, END = days_ago(400), days_ago(0)


@pytest.fixture
def district_data(world, party, cast):
    """A little of everything a report shows."""
    estate = world["estate_a"]
    committee(estate, n=5, term_start=days_ago(300))
    ledger(estate, entries=[(days_ago(200), "12000.50"), (days_ago(100), "8000.00")])
    services.fund_allocate(
        community=fresh(world["community_a"]),
        estate=fresh(estate),
        amount=Decimal("5000.00"),
        purpose="楼道照明",
        voucher=pdf(),
        allocated_on=days_ago(50),
        actor=SYSTEM,
    )
    services.obligations_for_meeting(meeting=assembly(estate, days_ago(30)), actor=SYSTEM)
    services.obligations_for_meeting(meeting=assembly(world["estate_b"], days_ago(30)), actor=SYSTEM)
    for n in range(6):
        services.petition_create(
            received_on=days_ago(10 + n),
            place=fresh(estate),
            category="property" if n < 2 else "other",
            channel="phone",
            summary='=HYPERLINK("http://x","y")' if n == 0 else "诉求",
            actor=SYSTEM,
        )
    services.obligations_sweep(actor=SYSTEM)
    return world


def _figures(api, user, place, kind="overview"):
    response = api.as_user(user).get(
        reverse("report-figures"), {"kind": kind, "place": place.pk, "start": START, "end": END}
    )
    assert response.status_code == 200, response.json()
    return response.json()


def _build(api, user, place, fmt, django_capture_on_commit_callbacks, kind="overview"):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(user).post(
            reverse("report-list"),
            {"kind": kind, "place": place.pk, "start": START, "end": END, "format": fmt},
            format="json",
        )
    assert response.status_code == 202, response.json()
    return Report.objects.get(pk=response.json()["id"])


def _same(cell, value, kind):
    if kind in ("money", "percent"):
        if value in ("", None):
            return cell in ("", None)
        return Decimal(str(cell)).quantize(Decimal("0.01")) == Decimal(value)
    if kind == "bool":
        return cell == ("是" if value else "否")
    if kind == "int":
        return cell == value
    if kind == "date":  # a date cell in the workbook, ISO text in the figures
        return (cell.date().isoformat() if cell else "") == (value or "")
    return (cell or "") == (value or "") or cell == "'" + str(value)


def test_a_report_is_built_in_the_background_and_kept_with_who_built_it(
    api, cast, district_data, django_capture_on_commit_callbacks
):
    report = _build(api, cast["auditor"], fresh(district_data["district"]), "xlsx", django_capture_on_commit_callbacks)
    assert (report.state, report.progress, report.created_by) == (ReportState.DONE, 100, cast["auditor"])
    assert report.finished_at is not None and report.file
    detail = api.as_user(cast["auditor"]).get(reverse("report-detail", args=[report.pk])).json()
    assert (detail["state"], detail["progress"], detail["created_by"]) == ("done", 100, "auditor")
    download = api.as_user(cast["auditor"]).get(reverse("report-download", args=[report.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"


def test_the_xlsx_read_back_carries_the_figures_of_the_api(
    api, cast, district_data, django_capture_on_commit_callbacks
):
    district = fresh(district_data["district"])
    figures = _figures(api, cast["auditor"], district)
    report = _build(api, cast["auditor"], district, "xlsx", django_capture_on_commit_callbacks)
    assert report.figures["sections"] == figures["sections"]
    workbook = load_workbook(io.BytesIO(report.file.read()))
    sheets = workbook.worksheets[1:]
    assert len(sheets) == len(figures["sections"])
    checked = 0
    for sheet, section in zip(sheets, figures["sections"], strict=True):
        rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
        assert [c.value for c in sheet[1]] == [c["label"] for c in section["columns"]]
        assert len(rows) == len(section["rows"])
        for row, expected in zip(rows, section["rows"], strict=True):
            for cell, value, column in zip(row, expected, section["columns"], strict=True):
                assert _same(cell, value, column["type"]), (section["key"], column["key"], cell, value)
                checked += 1
    assert checked > 50
    revenue = next(s for s in figures["sections"] if s["key"] == "revenue")
    assert revenue["rows"][0][1:] == ["20000.50", "5000.00", "0.00"]


def test_the_csv_carries_the_same_rows_with_formulas_quoted(
    api, cast, district_data, django_capture_on_commit_callbacks
):
    district = fresh(district_data["district"])
    figures = _figures(api, cast["auditor"], district, kind="compliance")
    report = _build(api, cast["auditor"], district, "csv", django_capture_on_commit_callbacks, kind="compliance")
    lines = list(csv.reader(io.StringIO(report.file.read().decode("utf-8-sig"))))
    by_kind = next(s for s in figures["sections"] if s["key"] == "compliance")
    at = lines.index([c["label"] for c in by_kind["columns"]])
    assert lines[at + 1 : at + 1 + len(by_kind["rows"])] == [[str(v) for v in row] for row in by_kind["rows"]]


def test_the_pdf_opens_and_carries_the_same_numbers(api, cast, district_data, django_capture_on_commit_callbacks):
    district = fresh(district_data["district"])
    figures = _figures(api, cast["auditor"], district)
    report = _build(api, cast["auditor"], district, "pdf", django_capture_on_commit_callbacks)
    content = report.file.read()
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    text = b""
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        # ReportLab writes its streams ASCII85-encoded, then deflated.
        data = stream.strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2], ignorechars=b" \t\r\n")
        try:
            text += zlib.decompress(data)
        except zlib.error:
            text += data
    numbers = {
        str(value)
        for section in figures["sections"]
        for row in section["rows"]
        for value, column in zip(row, section["columns"], strict=True)
        if column["type"] in ("int", "money", "percent") and value not in ("", None)
    }
    assert {"20000.50", "5000.00"} <= numbers
    for number in numbers:
        assert f"({number})".encode() in text, number


def test_the_petition_section_counts_the_property_share(api, cast, district_data):
    figures = _figures(api, cast["auditor"], fresh(district_data["district"]), kind="petitions")
    (section,) = figures["sections"]
    this_year = next(row for row in section["rows"] if row[0] == str(END.year))
    assert this_year[1:4] == [6, 2, "33.33"]


def test_a_report_of_a_place_out_of_scope_is_refused(api, cast, world):
    response = api.as_user(cast["secretary_a"]).post(
        reverse("report-list"),
        {"kind": "overview", "place": world["community_b"].pk, "start": START, "end": END, "format": "csv"},
        format="json",
    )
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_a_report_of_another_scope_is_not_found(api, cast, world, django_capture_on_commit_callbacks):
    report = _build(api, cast["secretary_b"], fresh(world["community_b"]), "csv", django_capture_on_commit_callbacks)
    assert api.as_user(cast["secretary_a"]).get(reverse("report-detail", args=[report.pk])).status_code == 404
    assert api.as_user(cast["secretary_a"]).get(reverse("report-download", args=[report.pk])).status_code == 404
    assert api.as_user(cast["resident"]).get(reverse("report-list")).json()["results"] == []


def test_building_twice_builds_once(world, cast):
    report = Report.objects.create(
        kind="petitions", place=fresh(world["district"]), start=START, end=END, format="csv", created_by=cast["admin"]
    )
    services.report_build(report=report)
    finished = Report.objects.get(pk=report.pk).finished_at
    services.report_build(report=report)
    assert Report.objects.get(pk=report.pk).finished_at == finished


def test_a_failing_report_is_kept_as_failed_with_its_message(world, cast, monkeypatch):
    report = Report.objects.create(
        kind="petitions", place=fresh(world["district"]), start=START, end=END, format="csv", created_by=cast["admin"]
    )

    def broken(figures):
        raise RuntimeError("disk full")

    monkeypatch.setitem(services.reports.WRITERS, "csv", broken)
    services.report_build(report=report)
    report.refresh_from_db()
    assert report.state == ReportState.FAILED and "disk full" in report.error


def test_a_period_longer_than_three_years_is_refused(api, cast, world):
    response = api.as_user(cast["auditor"]).get(
        reverse("report-figures"),
        {"kind": "overview", "place": world["district"].pk, "start": datetime.date(2015, 1, 1), "end": END},
    )
    assert response.status_code == 400 and response.json()["code"] == "period_too_long"


@pytest.fixture
def shared_media(settings, tmp_path, monkeypatch):
    """A media folder that a worker process started after this fixture sees too."""
    root = tmp_path / "shared-media"
    settings.MEDIA_ROOT = root
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_a_requested_report(world, cast, shared_media, celery_worker_process):
    import time

    report = services.report_request(
        kind="petitions", place=fresh(world["district"]), start=START, end=END, format="xlsx", actor=cast["auditor"]
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.state in (ReportState.DONE, ReportState.FAILED):
            break
        time.sleep(0.2)
    assert (report.state, report.progress) == (ReportState.DONE, 100), report.error
    assert load_workbook(io.BytesIO(report.file.read())).sheetnames[1] == "信访中物业类的占比"


def _pending_report(world, cast, minutes_ago: int) -> Report:
    report = Report.objects.create(
        kind="petitions", place=fresh(world["district"]), start=START, end=END, format="csv", created_by=cast["admin"]
    )
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago))
    return report


def test_a_report_left_pending_past_the_resend_time_is_sent_again_and_built(world, cast):
    report = _pending_report(world, cast, minutes_ago=15)
    assert services.reports_resend_pending(actor=SYSTEM) == [report.pk]
    assert Report.objects.get(pk=report.pk).state == ReportState.DONE  # tasks run eagerly here


def test_a_report_asked_for_a_moment_ago_is_left_to_its_own_message(world, cast):
    report = _pending_report(world, cast, minutes_ago=2)
    assert services.reports_resend_pending(actor=SYSTEM) == []
    assert Report.objects.get(pk=report.pk).state == ReportState.PENDING


def test_a_secretary_cannot_resend_pending_reports(world, cast):
    report = _pending_report(world, cast, minutes_ago=15)
    with pytest.raises(NotPermitted):
        services.reports_resend_pending(actor=cast["secretary_a"])
    assert Report.objects.get(pk=report.pk).state == ReportState.PENDING


def test_the_resend_of_pending_reports_is_scheduled_in_beat(db):
    assert PeriodicTask.objects.get(task="oversight.tasks.reports_resend_pending").enabled
