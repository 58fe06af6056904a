"""Files the committees keep and write: uploads checked by content, downloads scoped, exports inert."""

import datetime
import importlib
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from openpyxl import load_workbook

from committees import services
from committees.models import LedgerTransaction, MeetingAttachment, MeetingKind, Stage
from committees.tests.factories import aware, committee, income, voucher
from core.errors import ApplicationError
from governance.models import AuditEvent
from governance.scoping import SYSTEM
from residents.models import Owner

D = Decimal
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
def meetings(estate, cast):
    board = committee(estate, n=5)
    published = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="三月例会", held_at=aware(2026, 3, 5), actor=SYSTEM
    )
    services.meeting_record_attendance(meeting=published, attendees=[p.person for p in board.posts.all()], actor=SYSTEM)
    services.meeting_record_minutes(meeting=published, minutes="审议停车收费。", actor=SYSTEM)
    shown = services.meeting_attach(meeting=published, title="签到表", file=voucher("sign-in.pdf"), actor=SYSTEM)
    services.meeting_publish_minutes(meeting=published, actor=SYSTEM)
    draft = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="四月例会", held_at=aware(2026, 4, 5), actor=SYSTEM
    )
    hidden = services.meeting_attach(meeting=draft, title="方案草稿", file=voucher("draft.pdf"), actor=SYSTEM)
    return shown, hidden


# Uploads --------------------------------------------------------------------------------


def test_a_voucher_that_is_not_a_document_is_refused_before_anything_is_stored(api, cast, estate, ledger, settings):
    page = SimpleUploadedFile("receipt.pdf", b"<script>alert(1)</script>", content_type="application/pdf")
    response = api.as_user(cast["committee_member"]).post(
        reverse("ledger-transaction-list"),
        {
            "estate": estate.pk,
            "date": "2026-02-01",
            "memo": "广告收入",
            "voucher": page,
            "legs": json.dumps(
                [{"account": ledger["1001"].pk, "debit": "10.00"}, {"account": ledger["4001"].pk, "credit": "10.00"}]
            ),
        },
        format="multipart",
    )
    assert response.status_code == 400 and response.json()["code"] == "upload_type"
    assert not LedgerTransaction.objects.exists()
    assert not (settings.MEDIA_ROOT / "ledger").exists()


def test_a_meeting_attachment_that_is_not_a_document_is_refused(api, cast, estate, meetings):
    _shown, hidden = meetings
    page = SimpleUploadedFile("minutes.pdf", b"<html><body>x</body></html>", content_type="application/pdf")
    response = api.as_user(cast["committee_member"]).post(
        reverse("meeting-attachments", args=[hidden.meeting_id]), {"title": "纪要", "file": page}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["code"] == "upload_type"
    assert MeetingAttachment.objects.count() == 2


def test_an_oversized_voucher_is_refused(estate, ledger, cast, settings):
    settings.GONGZHI = {**settings.GONGZHI, "UPLOADS": {"voucher": {"max_bytes": 100}}}
    big = voucher(content=b"%PDF-1.4 " + b"x" * 200)
    with pytest.raises(ApplicationError) as err:
        services.income_record(
            estate=estate,
            source="4002",
            amount=D("10"),
            date=datetime.date(2026, 1, 5),
            memo="停车",
            voucher=big,
            actor=cast["committee_member"],
        )
    assert err.value.code == "upload_too_large"
    assert not LedgerTransaction.objects.exists()


# Downloads ------------------------------------------------------------------------------


def test_media_is_not_served_by_the_project_even_in_debug(settings):
    import config.urls

    settings.DEBUG = True
    try:
        urls = importlib.reload(config.urls)
        with pytest.raises(Resolver404):
            resolve("/media/meetings/2026/03/sign-in.pdf", urlconf=urls)
    finally:
        settings.DEBUG = False
        importlib.reload(config.urls)


def test_a_resident_downloads_an_attachment_of_published_minutes(api, cast, meetings):
    shown, _hidden = meetings
    response = api.as_user(cast["resident"]).get(reverse("meeting-attachment-file", args=[shown.meeting_id, shown.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_an_attachment_of_a_draft_or_another_estate_answers_404(api, cast, meetings):
    shown, hidden = meetings
    url = reverse("meeting-attachment-file", args=[hidden.meeting_id, hidden.pk])
    assert api.as_user(cast["resident"]).get(url).status_code == 404
    assert api.as_user(cast["committee_member"]).get(url).status_code == 200
    other = reverse("meeting-attachment-file", args=[shown.meeting_id, shown.pk])
    assert api.as_user(cast["secretary_b"]).get(other).status_code == 404


def test_the_attachment_page_link_is_scoped_like_the_api(cast, meetings):
    shown, hidden = meetings
    client = Client()
    client.force_login(cast["resident"])
    assert client.get(reverse("committees:attachment", args=[shown.pk])).status_code == 200
    assert client.get(reverse("committees:attachment", args=[hidden.pk])).status_code == 404


def test_in_production_nginx_sends_the_file_after_the_check(api, cast, meetings, settings):
    settings.PROTECTED_MEDIA_SERVER = "nginx"
    shown, _hidden = meetings
    response = api.as_user(cast["resident"]).get(reverse("meeting-attachment-file", args=[shown.meeting_id, shown.pk]))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/protected/" + shown.file.name
    assert not response.content


def test_apache_gets_x_sendfile(api, cast, meetings, settings):
    settings.PROTECTED_MEDIA_SERVER = "apache"
    shown, _hidden = meetings
    response = api.as_user(cast["resident"]).get(reverse("meeting-attachment-file", args=[shown.meeting_id, shown.pk]))
    assert response["X-Sendfile"] == shown.file.path


def test_a_voucher_download_is_recorded_in_the_audit_trail(api, cast, estate, ledger):
    tx = income(estate, "100", datetime.date(2026, 1, 5))
    response = api.as_user(cast["auditor"]).get(reverse("ledger-transaction-voucher", args=[tx.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="ledger.voucher_view")
    assert event.actor == cast["auditor"] and event.object_id == str(tx.pk)


def test_a_voucher_outside_the_scope_answers_404_and_is_not_recorded(api, cast, estate, ledger):
    tx = income(estate, "100", datetime.date(2026, 1, 5))
    for user in (cast["secretary_b"], cast["resident"]):
        assert api.as_user(user).get(reverse("ledger-transaction-voucher", args=[tx.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="ledger.voucher_view").exists()


# Exports --------------------------------------------------------------------------------


def test_a_payee_or_memo_written_as_a_formula_comes_out_of_the_statement_xlsx_as_text(estate, ledger, cast):
    from committees.exports import statement_xlsx

    income(estate, "50000", datetime.date(2026, 1, 5))
    board = committee(estate, n=5)
    meeting = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="会议", held_at=aware(2026, 2, 1), actor=SYSTEM
    )
    services.meeting_record_attendance(meeting=meeting, attendees=[p.person for p in board.posts.all()], actor=SYSTEM)
    decision = services.decision_record(meeting=meeting, text="更换门禁", votes_for=5, actor=SYSTEM)
    request = services.spending_request_create(
        estate=estate,
        payee=FORMULA,
        purpose=ledger["5101"],
        amount=D("12000"),
        requested_on=datetime.date(2026, 2, 2),
        actor=cast["committee_member"],
    )
    services.spending_approve(
        request=request, stage=Stage.COMMITTEE, decision=decision, seen=FORMULA, actor=cast["committee_member"]
    )
    supervisor = cast["resident"]
    owner = Owner.objects.create(person=supervisor.person, place=estate)
    services.supervision_group_create(
        estate=estate, term_start=datetime.date(2025, 1, 1), members=[owner], actor=SYSTEM
    )
    services.spending_approve(request=request, stage=Stage.SUPERVISION, seen="三家报价", actor=supervisor)
    services.spending_pay(
        request=request, date=datetime.date(2026, 2, 15), voucher=voucher(), actor=cast["committee_member"]
    )
    statement = services.statement_publish(
        estate=estate,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        actor=cast["committee_member"],
    )
    book = load_workbook(io.BytesIO(statement_xlsx(statement)))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value]
    suspicious = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    # The payee on each approval's row, and what the committee's approver saw.
    assert len(suspicious) == 3
    for cell in suspicious:
        assert cell.data_type == "s" and not cell.value.startswith("=")
    assert not [c for c in cells if c.data_type == "f"]
