"""The committee's and the supervisors' forms: each calls its service; a refusal shows by its field, input kept."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from committees import services
from committees.models import (
    LedgerTransaction,
    Meeting,
    PerformanceNote,
    Project,
    ProjectMilestone,
    PropertyCompany,
    ServiceContract,
    SpendingApproval,
    SpendingRequest,
    SpendingStatus,
    Stage,
    Statement,
)
from committees.tests.factories import committee, income
from governance.models import AuditEvent, Role, RoleAssignment
from governance.scoping import SYSTEM
from governance.tests.factories import UserFactory
from residents.tests.factories import PersonOwnerFactory as OwnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(world):
    return world["estate_a"]


@pytest.fixture
def board(estate):
    """The estate's committee (seven members) and its ledger with some income."""
    c = committee(estate, n=7, term_start=datetime.date(2024, 1, 1))
    services.ledger_open(estate=estate, actor=SYSTEM)
    income(estate, "50000.00", datetime.date(2026, 1, 10))
    return c


def pdf(name="receipt.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 receipt", content_type="application/pdf")


def test_a_committee_member_schedules_a_meeting_and_records_it_to_publication(cast, login, estate, board):
    client = login(cast["committee_member"])
    response = client.post(
        f"/estates/{estate.pk}/meetings/new/",
        {
            "kind": "committee",
            "title": "业委会2026年12月例会",
            "held_at": "2026-11-20T19:00",
            "agenda": "停车收费\n公共收益",
        },
    )
    meeting = Meeting.objects.get(title="业委会2026年12月例会")
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/manage/"
    assert meeting.agenda == ["停车收费", "公共收益"]
    members = [p.person_id for p in board.posts.all()][:5]
    client.post(
        f"/meetings/{meeting.pk}/manage/",
        {"step": "attendance", "att-attendees": [str(pk) for pk in members], "att-party_org": "on"},
    )
    client.post(f"/meetings/{meeting.pk}/manage/", {"step": "minutes", "min-minutes": "会议讨论了停车收费。"})
    client.post(
        f"/meetings/{meeting.pk}/manage/",
        {
            "step": "decision",
            "dec-text": "同意调整停车收费",
            "dec-votes_for": "5",
            "dec-votes_against": "0",
            "dec-votes_abstain": "0",
        },
    )
    client.post(f"/meetings/{meeting.pk}/manage/", {"step": "publish"})
    meeting.refresh_from_db()
    assert meeting.party_org_attended and meeting.attendees.count() == 5
    assert meeting.minutes_published_at is not None
    assert meeting.decisions.get().passed  # 5 of 7 members for: at least half of all members
    assert AuditEvent.objects.filter(action="meeting.publish_minutes", actor=cast["committee_member"]).exists()


def test_a_refused_meeting_shows_the_reason_by_its_field_and_keeps_what_was_typed(cast, login, estate):
    """No committee in the estate: a committee meeting is refused by the service; nothing is written."""
    page = login(cast["committee_member"]).post(
        f"/estates/{estate.pk}/meetings/new/",
        {"kind": "committee", "title": "没有业委会的例会", "held_at": "2026-11-20T19:00"},
    )
    text = page.content.decode()
    assert page.status_code == 400
    assert 'id="id_kind_error"' in text and "没有业委会" in text
    assert 'value="没有业委会的例会"' in text
    assert 'aria-invalid="true"' in text and 'aria-describedby="id_kind_error"' in text
    assert not Meeting.objects.exists()


def test_a_resident_cannot_schedule_a_meeting(cast, login, estate):
    response = login(cast["resident"]).post(
        f"/estates/{estate.pk}/meetings/new/", {"kind": "assembly", "title": "越权", "held_at": "2026-11-20T19:00"}
    )
    assert response.status_code == 404  # the estate's working pages are not in a resident's reading scope
    assert not Meeting.objects.exists()


def test_income_is_recorded_with_its_voucher(cast, login, estate, board):
    response = login(cast["committee_member"]).post(
        f"/estates/{estate.pk}/ledger/income/",
        {"source": "4001", "amount": "1200.50", "date": "2026-02-01", "memo": "电梯广告", "voucher": pdf()},
    )
    assert response.status_code == 302
    tx = LedgerTransaction.objects.get(memo="电梯广告")
    assert tx.voucher and tx.voucher_sha256
    assert sum(leg.debit for leg in tx.legs.all()) == Decimal("1200.50")


def test_income_without_a_voucher_is_refused_by_the_voucher_field_and_writes_nothing(cast, login, estate, board):
    before = LedgerTransaction.objects.count()
    page = login(cast["committee_member"]).post(
        f"/estates/{estate.pk}/ledger/income/",
        {"source": "4001", "amount": "1200.50", "date": "2026-02-01", "memo": "电梯广告"},
    )
    assert page.status_code == 400
    assert 'id="id_voucher_error"' in page.content.decode()
    assert 'value="电梯广告"' in page.content.decode()
    assert LedgerTransaction.objects.count() == before


def test_an_entry_is_reversed_with_a_reason(cast, login, estate, board):
    tx = income(estate, "300.00", datetime.date(2026, 2, 3), memo="错记的停车收入")
    response = login(cast["committee_member"]).post(f"/ledger/{tx.pk}/reverse/", {"reason": "重复登记"})
    assert response.status_code == 302
    assert LedgerTransaction.objects.get(reverses=tx).reason == "重复登记"


def test_a_reversal_without_a_reason_is_refused(cast, login, estate, board):
    tx = income(estate, "300.00", datetime.date(2026, 2, 3))
    page = login(cast["committee_member"]).post(f"/ledger/{tx.pk}/reverse/", {"reason": ""})
    assert page.status_code == 400
    assert not LedgerTransaction.objects.filter(reverses=tx).exists()


def test_the_voucher_opens_for_the_auditor_and_the_look_is_recorded(cast, login, estate, board):
    tx = LedgerTransaction.objects.filter(estate=estate).exclude(voucher="").first()
    response = login(cast["auditor"]).get(f"/ledger/{tx.pk}/voucher/")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="ledger.voucher_view", actor=cast["auditor"]).count() == 1


def test_the_quarterly_statement_is_published_from_its_form(cast, login, estate, board):
    page = login(cast["committee_member"]).get(f"/estates/{estate.pk}/statements/new/")
    assert "50,000.00" in page.content.decode()  # the preview of the previous quarter... or of the default period
    response = login(cast["committee_member"]).post(
        f"/estates/{estate.pk}/statements/new/", {"period_start": "2026-01-01", "period_end": "2026-03-31"}
    )
    assert response.status_code == 302
    assert Statement.objects.get(estate=estate).figures["income_total"] == "50000.00"


@pytest.fixture
def supervisor(estate, board):
    """An owner of the estate on its supervision group, with a login (residents role)."""
    owner = OwnerFactory(place=estate)
    services.supervision_group_create(
        estate=estate, term_start=datetime.date(2025, 1, 1), members=[owner], actor=SYSTEM
    )
    user = UserFactory(username="supervisor", person=owner.person)
    RoleAssignment.objects.create(user=user, role=Role.RESIDENT, place=estate)
    return user


@pytest.fixture
def request_12k(cast, estate, board):
    """A 12,000 yuan request the committee has approved: it waits for the supervision group."""
    meeting = services.meeting_create(
        estate=estate,
        kind="assembly",
        title="业主大会",
        held_at=timezone.now() - datetime.timedelta(days=2),
        actor=SYSTEM,
    )
    decision = services.decision_record(meeting=meeting, text="同意绿化改造", passed=True, actor=SYSTEM)
    spending = services.spending_request_create(
        estate=estate,
        payee="绿化公司",
        purpose=services.account(estate, "5101"),
        amount=Decimal("12000"),
        actor=SYSTEM,
    )
    services.spending_approve(
        request=spending, stage=Stage.COMMITTEE, decision=decision, seen="方案与报价", actor=cast["committee_member"]
    )
    return spending


def test_a_committee_member_files_a_spending_request(cast, login, estate, board):
    response = login(cast["committee_member"]).post(
        f"/estates/{estate.pk}/spending/new/",
        {"payee": "保洁公司", "purpose": "5001", "amount": "800.00", "description": "楼道保洁"},
    )
    spending = SpendingRequest.objects.get(payee="保洁公司")
    assert response["Location"] == f"/spending/{spending.pk}/"
    assert spending.required_stages() == [Stage.COMMITTEE]


def test_the_supervisor_finds_the_request_in_the_queue_and_signs_it(cast, login, supervisor, request_12k):
    client = login(supervisor)
    queue = client.get("/queue/").content.decode()
    assert f"/spending/{request_12k.pk}/" in queue and "轮到您签字" in queue
    client.post(
        f"/spending/{request_12k.pk}/", {"step": "approve", "ok-stage": "supervision", "ok-seen": "比价记录、现场查看"}
    )
    approval = SpendingApproval.objects.get(request=request_12k, stage=Stage.SUPERVISION)
    assert approval.approver == supervisor
    request_12k.refresh_from_db()
    assert request_12k.status == SpendingStatus.APPROVED


def test_the_supervisor_objects_instead_and_the_request_stays_pending(cast, login, supervisor, request_12k):
    login(supervisor).post(f"/spending/{request_12k.pk}/", {"step": "object", "no-opinion": "报价偏高，请再比价"})
    request_12k.refresh_from_db()
    assert request_12k.status == SpendingStatus.PENDING
    page = login(supervisor).get(f"/spending/{request_12k.pk}/").content.decode()
    assert "报价偏高，请再比价" in page


def test_an_owner_outside_the_group_cannot_sign(cast, login, estate, request_12k):
    other = UserFactory(username="not-a-supervisor", person=OwnerFactory(place=estate).person)
    RoleAssignment.objects.create(user=other, role=Role.RESIDENT, place=estate)
    response = login(other).post(
        f"/spending/{request_12k.pk}/", {"step": "approve", "ok-stage": "supervision", "ok-seen": "看过"}
    )
    assert response.status_code == 404
    assert not SpendingApproval.objects.filter(request=request_12k, stage=Stage.SUPERVISION).exists()


def test_a_property_contract_and_a_performance_note_are_recorded(cast, login, estate, board):
    company = services.property_company_create(name="渝北物业", place=estate.parent, actor=SYSTEM)
    client = login(cast["committee_member"])
    client.post(
        f"/estates/{estate.pk}/contracts/new/",
        {"company": company.pk, "start": "2026-01-01", "end": "2028-12-31", "fee_per_m2_month": "2.30"},
    )
    contract = ServiceContract.objects.get(estate=estate)
    client.post(f"/contracts/{contract.pk}/", {"noted_on": "2026-06-01", "rating": "4", "text": "保洁到位"})
    assert PerformanceNote.objects.get(contract=contract).rating == 4
    assert PropertyCompany.objects.count() == 1


def test_a_project_gets_its_milestones_and_acceptance(cast, login, estate, board):
    project = services.project_create(estate=estate, title="消防主管网改造", budget=Decimal("300000"), actor=SYSTEM)
    client = login(cast["committee_member"])
    client.post(f"/projects/{project.pk}/", {"step": "start", "start-on": "2026-03-01"})
    client.post(
        f"/projects/{project.pk}/", {"step": "milestone", "ms-title": "管道铺设", "ms-planned_on": "2026-04-01"}
    )
    milestone = ProjectMilestone.objects.get(project=project)
    client.post(
        f"/projects/{project.pk}/",
        {
            "step": "reach",
            "reach-milestone": milestone.pk,
            "reach-reached_on": "2026-04-03",
            "reach-note": "压力测试通过",
        },
    )
    client.post(
        f"/projects/{project.pk}/",
        {
            "step": "accept",
            "acc-actual_end": "2026-05-20",
            "acc-accepted_on": "2026-05-25",
            "acc-actual_cost": "260000.00",
        },
    )
    project = Project.objects.get(pk=project.pk)
    assert project.actual_start == datetime.date(2026, 3, 1)
    assert ProjectMilestone.objects.get(pk=milestone.pk).reached_on == datetime.date(2026, 4, 3)
    assert project.accepted_on == datetime.date(2026, 5, 25) and project.actual_cost == Decimal("260000.00")


def test_acceptance_before_the_end_is_refused_by_its_field(cast, login, estate, board):
    project = services.project_create(estate=estate, title="外墙维修", budget=Decimal("50000"), actor=SYSTEM)
    services.project_start(project=project, on=datetime.date(2026, 3, 1), actor=SYSTEM)
    page = login(cast["committee_member"]).post(
        f"/projects/{project.pk}/",
        {"step": "accept", "acc-actual_end": "2026-05-20", "acc-accepted_on": "2026-05-01", "acc-actual_cost": "1000"},
    )
    assert page.status_code == 400
    assert 'id="id_acc-accepted_on_error"' in page.content.decode()
    assert Project.objects.get(pk=project.pk).accepted_on is None
