"""Each job done through the pages in Debian's Chromium, against a live server, then checked in the database.

The secretary finds the estates lacking a committee from the workspace in two clicks; the committee
member records a meeting and a ledger entry with its voucher; the supervisor signs a spending request
from the queue; the auditor builds a report and the test reads the workbook back. (The clerk's desk and
the owner's phone: ``test_browser_votes.py``.) Every page is screenshotted, fits its screen and keeps
the Content Security Policy.
"""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from committees import services as committee_services
from committees.models import LedgerTransaction, Meeting, OwnersCommittee, SpendingApproval, SpendingStatus, Stage
from committees.tests.factories import committee, income
from governance.demo import ensure_place
from governance.models import Place, PlaceKind, Role, RoleAssignment
from governance.scoping import SYSTEM
from governance.tests.factories import UserFactory
from oversight.models import Report, ReportState
from residents.tests.factories import PersonOwnerFactory
from web.tests.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_secretary_finds_the_estates_lacking_a_committee_in_two_clicks(screen, cast, world):
    committee(Place.objects.get(pk=world["estate_a"].pk))
    lacking = ensure_place(PlaceKind.ESTATE, "无委会小区", Place.objects.get(pk=world["community_a"].pk))
    s = screen(cast["secretary_a"], "secretary")
    s.go("/")
    s.page.wait_for_selector(".chart canvas")  # the charts are drawn
    s.shot("workspace")
    s.page.click("#gap-owners_committee")  # click 1: the gap's figure
    s.shot("lacking-committee")
    s.page.get_by_role("link", name=lacking.name).click()  # click 2: the estate
    assert s.page.locator("h1").inner_text().startswith(lacking.name)
    s.shot("estate")
    assert not OwnersCommittee.objects.filter(estate=lacking).exists()
    assert OwnersCommittee.objects.filter(estate=world["estate_a"]).exists()
    phone = screen(cast["secretary_a"], "secretary-phone", PHONE)
    phone.go("/")
    phone.shot("workspace")


def test_the_committee_member_records_a_meeting_and_a_ledger_entry_with_its_voucher(screen, cast, world, tmp_path):
    estate = Place.objects.get(pk=world["estate_a"].pk)
    board = committee(estate, n=5)
    committee_services.ledger_open(estate=estate, actor=SYSTEM)
    s = screen(cast["committee_member"], "committee")
    s.go(f"/estates/{estate.pk}/meetings/")
    s.page.get_by_role("link", name="安排会议").click()
    s.page.select_option("#id_kind", "committee")
    s.page.fill("#id_title", "业委会临时会议")
    s.page.fill("#id_held_at", (timezone.localtime() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    s.page.fill("#id_agenda", "电梯维修\n公共收益通报")
    s.shot("meeting-form")
    s.page.get_by_role("button", name="安排会议").click()
    members = [p.person for p in board.posts.select_related("person")]
    for person in members[:4]:
        s.page.get_by_label(person.name, exact=True).check()
    s.page.get_by_label("社区党组织列席（必列席）").check()
    s.page.get_by_role("button", name="保存出席情况").click()
    s.page.fill("#id_min-minutes", "会议同意维修电梯。")
    s.page.get_by_role("button", name="保存纪要").click()
    s.shot("meeting-recorded")
    s.page.once("dialog", lambda dialog: dialog.accept())
    s.page.get_by_role("button", name="公开会议纪要").click()
    s.page.wait_for_url("**/committees/meetings/**")
    s.shot("minutes-published")

    voucher = tmp_path / "停车收据.pdf"
    voucher.write_bytes(b"%PDF-1.4 parking receipt")
    s.go(f"/estates/{estate.pk}/ledger/")
    s.page.get_by_role("link", name="登记收入").click()
    s.page.select_option("#id_source", "4002")
    s.page.fill("#id_amount", "3600.00")
    s.page.fill("#id_memo", "十一月停车收入")
    s.page.set_input_files("#id_voucher", str(voucher))
    s.shot("income-form")
    s.page.get_by_role("button", name="记账").click()
    s.page.wait_for_url(f"**/estates/{estate.pk}/ledger/")
    assert "十一月停车收入" in s.page.locator("#ledger").inner_text()
    assert "3,600.00" in s.page.locator("#ledger").inner_text()
    s.shot("ledger")

    meeting = Meeting.objects.get(title="业委会临时会议")
    assert meeting.party_org_attended and meeting.attendees.count() == 4
    assert meeting.minutes == "会议同意维修电梯。" and meeting.minutes_published_at is not None
    entry = LedgerTransaction.objects.get(memo="十一月停车收入")
    assert entry.voucher and entry.voucher_sha256
    assert sum(leg.debit for leg in entry.legs.all()) == Decimal("3600.00")


def test_the_supervisor_signs_a_spending_request_from_the_queue(screen, cast, world):
    estate = Place.objects.get(pk=world["estate_a"].pk)
    committee(estate, n=5)
    committee_services.ledger_open(estate=estate, actor=SYSTEM)
    income(estate, "80000.00", timezone.localdate() - datetime.timedelta(days=10))
    owner = PersonOwnerFactory(place=estate)
    committee_services.supervision_group_create(
        estate=estate, term_start=datetime.date(2025, 1, 1), members=[owner], actor=SYSTEM
    )
    supervisor = UserFactory(username="supervisor", person=owner.person)
    RoleAssignment.objects.create(user=supervisor, role=Role.RESIDENT, place=estate)
    meeting = committee_services.meeting_create(
        estate=estate,
        kind="assembly",
        title="业主大会",
        held_at=timezone.now() - datetime.timedelta(days=3),
        actor=SYSTEM,
    )
    decision = committee_services.decision_record(meeting=meeting, text="同意更换单元门禁", passed=True, actor=SYSTEM)
    spending = committee_services.spending_request_create(
        estate=estate,
        payee="安防工程公司",
        purpose=committee_services.account(estate, "5101"),
        amount=Decimal("18000"),
        actor=SYSTEM,
    )
    committee_services.spending_approve(
        request=spending, stage=Stage.COMMITTEE, decision=decision, seen="方案、报价", actor=cast["committee_member"]
    )
    s = screen(supervisor, "supervisor", PHONE)
    s.go("/queue/")
    s.shot("queue")
    s.page.get_by_role("link", name="安防工程公司").first.click()
    s.page.fill("#id_ok-seen", "三家比价记录、现场查看")
    s.shot("sign")
    s.page.get_by_role("button", name="签署同意").click()
    assert "已签署" in s.page.locator("main").inner_text()
    s.shot("signed")
    approval = SpendingApproval.objects.get(request=spending, stage=Stage.SUPERVISION)
    assert approval.approver == supervisor and approval.seen == "三家比价记录、现场查看"
    spending.refresh_from_db()
    assert spending.status == SpendingStatus.APPROVED


def test_the_auditor_builds_a_report_and_reads_the_workbook_back(screen, cast, world):
    committee(Place.objects.get(pk=world["estate_a"].pk), n=5)
    committee(Place.objects.get(pk=world["estate_b"].pk), n=7)
    s = screen(cast["auditor"], "auditor")
    s.go("/reports/")
    s.page.select_option("#id_kind", "committees")
    s.page.select_option("#id_place", str(world["district"].pk))
    s.page.fill("#id_start", "2026-01-01")
    s.page.fill("#id_end", "2026-06-30")
    s.page.select_option("#id_format", "xlsx")
    s.shot("report-form")
    s.page.get_by_role("button", name="生成报告").click()
    s.page.wait_for_selector("#download", timeout=60_000)  # the page polls the task's progress until it is done
    s.page.wait_for_selector(".chart canvas")
    s.shot("report")
    with s.page.expect_download() as download:
        s.page.click("#download")
    path = Path(download.value.path())
    sheet = load_workbook(io.BytesIO(path.read_bytes())).worksheets[1]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    report = Report.objects.get()
    assert report.state == ReportState.DONE
    section = report.figures["sections"][0]
    for row in section["rows"]:
        assert rows[row[0]][1] == row[1]  # the workbook's members per estate equal the stored figures
    assert set(rows) == {"南方上格林", "石马河小区"}
    assert rows["石马河小区"][1] == 7
