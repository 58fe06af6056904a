"""The auditor's reports (built by the task, figures equal to the API's, downloads recorded) and the audit trail."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from committees.tests.factories import committee
from governance.models import AuditEvent
from oversight.models import Report, ReportState

pytestmark = pytest.mark.django_db


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """Ask for a report through the page; the build task runs once the request's transaction commits."""

    def post(client, world, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return _ask(client, world, **extra)

    return post


def _ask(client, world, **extra):
    data = {
        "kind": "committees",
        "place": world["district"].pk,
        "start": "2026-01-01",
        "end": "2026-06-30",
        "format": "xlsx",
        **extra,
    }
    return client.post("/reports/", data)


def test_the_auditor_builds_a_report_and_reads_the_api_s_figures_on_the_page(cast, login, api, world, ask):
    committee(world["estate_a"], n=5)
    client = login(cast["auditor"])
    response = ask(client, world)
    report = Report.objects.get()
    assert response["Location"] == f"/reports/{report.pk}/"
    assert report.state == ReportState.DONE  # Celery runs eagerly in the tests
    page = client.get(f"/reports/{report.pk}/").content.decode()
    from_api = (
        api.as_user(cast["auditor"])
        .get(
            "/api/v1/reports/figures/",
            {"kind": "committees", "place": world["district"].pk, "start": "2026-01-01", "end": "2026-06-30"},
        )
        .json()
    )
    assert from_api["sections"] == report.figures["sections"]
    section = from_api["sections"][0]
    assert section["title"] in page
    for cell in section["rows"][0]:
        if isinstance(cell, str) and cell:
            assert cell in page
    assert 'id="download"' in page


def test_the_report_is_downloaded_as_the_workbook_and_the_download_is_recorded(cast, login, world, ask):
    committee(world["estate_a"], n=5)
    client = login(cast["auditor"])
    ask(client, world)
    report = Report.objects.get()
    response = client.get(f"/reports/{report.pk}/download/")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "南方上格林" in [c.value for row in workbook.worksheets[1].iter_rows() for c in row]
    assert AuditEvent.objects.filter(action="report.download", actor=cast["auditor"]).count() == 1


def test_a_report_s_progress_is_polled_as_json(cast, login, world, ask):
    client = login(cast["auditor"])
    ask(client, world)
    report = Report.objects.get()
    assert client.get(f"/reports/{report.pk}/progress/").json() == {
        "state": "done",
        "state_display": "已完成",
        "progress": 100,
        "done": True,
    }


def test_a_bad_period_is_refused_by_its_field(cast, login, world, ask):
    page = ask(login(cast["auditor"]), world, start="2026-06-30", end="2026-01-01")
    assert page.status_code == 400
    assert 'id="id_end_error"' in page.content.decode()
    assert not Report.objects.exists()


def test_a_report_of_another_street_is_not_offered_nor_opened(cast, login, world, ask):
    client = login(cast["reviewer"])  # street A's discipline reviewer
    page = ask(client, world, place=world["street_b"].pk)
    assert page.status_code == 400  # not a choice the form offers
    assert not Report.objects.exists()


def test_the_history_lists_the_reports_of_the_scope(cast, login, world, ask):
    client = login(cast["auditor"])
    ask(client, world)
    assert "业委会构成" in client.get("/reports/").content.decode()


# The audit trail ---------------------------------------------------------------------------


@pytest.fixture
def writes(world, cast):
    """A committee recorded in each estate: audit rows in both streets."""
    committee(world["estate_a"], n=5)
    committee(world["estate_b"], n=5)


def test_the_trail_lists_the_writes_in_scope_only(cast, login, world, writes):
    page = login(cast["secretary_a"]).get("/audit/").content.decode()
    assert "南方上格林" in page and "石马河小区" not in page


def test_the_trail_filters_by_what_when_and_object(cast, login, world, writes):
    client = login(cast["auditor"])
    page = client.get(f"/audit/?place={world['district'].pk}&action=committee.record").content.decode()
    assert page.count("登记业委会") >= 2
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    empty = client.get(f"/audit/?place={world['district'].pk}&start={tomorrow}").content.decode()
    assert "没有符合条件的记录" in empty
    by_object = client.get(f"/audit/?place={world['district'].pk}&model=committees.ownerscommittee").content.decode()
    assert "登记业委会" in by_object and "任职" not in by_object.split('id="trail"')[1]


def test_the_trail_filters_by_who(cast, login, world, writes):
    client = login(cast["auditor"])
    assert "没有符合条件的记录" in client.get(f"/audit/?place={world['district'].pk}&who=nobody-here").content.decode()
    assert "登记业委会" in client.get(f"/audit/?place={world['district'].pk}&system=1").content.decode()


def test_the_trail_is_exported_with_local_times_as_date_cells_and_the_export_is_recorded(cast, login, world, writes):
    response = login(cast["auditor"]).get(f"/audit/export/?place={world['district'].pk}&file_type=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert header[0] == "时间" and "摘要" in header
    first = sheet.cell(row=2, column=1)
    assert isinstance(first.value, datetime.datetime) and first.number_format == "yyyy-mm-dd hh:mm:ss"
    newest = AuditEvent.objects.exclude(action="audit_trail.export").order_by("-created_at", "-pk").first()
    local = newest.created_at.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
    assert first.value == local.replace(tzinfo=None, microsecond=0)
    export = AuditEvent.objects.get(action="audit_trail.export")
    assert export.actor == cast["auditor"] and export.data["format"] == "xlsx" and export.data["rows"] >= 2


def test_a_formula_typed_into_a_summary_is_exported_as_text(cast, login, world):
    from governance.audit import audit_record
    from governance.events import GovernanceEvent
    from governance.scoping import SYSTEM

    audit_record(actor=SYSTEM, action=GovernanceEvent.PLACE_UPDATE, place=world["estate_a"], summary="=HYPERLINK(1)")
    response = login(cast["auditor"]).get(f"/audit/export/?place={world['district'].pk}&file_type=csv")
    assert "'=HYPERLINK(1)" in response.content.decode("utf-8-sig")


def test_a_resident_cannot_export_the_trail(cast, login, world, writes):
    assert login(cast["resident"]).get("/audit/export/?file_type=csv").status_code == 403
    assert not AuditEvent.objects.filter(action="audit_trail.export").exists()
