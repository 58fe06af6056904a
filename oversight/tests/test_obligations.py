"""The four musts: each obligation raised by its event, met by its evidence, waived by the street, swept daily."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from committees import services as committees_services
from committees.models import MeetingKind
from committees.signals import meeting_attended
from committees.tests.factories import committee
from governance.models import AuditEvent
from governance.scoping import SYSTEM
from oversight import services
from oversight.models import Evidence, Notice, Obligation, ObligationKind, ObligationState, SupervisionStage
from oversight.tests.factories import assembly, aware, days_ago, ledger

pytestmark = pytest.mark.django_db


def test_a_scheduled_assembly_raises_a_must_attend_obligation_for_the_community(
    estate, party, cast, django_capture_on_commit_callbacks
):
    day = days_ago(-10)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = assembly(estate, day)
    obligation = Obligation.objects.get(meeting=meeting)
    assert obligation.kind == ObligationKind.ATTEND
    assert obligation.state == ObligationState.OPEN
    assert obligation.estate == estate
    assert obligation.organization == party["a"]
    assert obligation.responsible == cast["secretary_a"].person
    assert obligation.due_on == day + datetime.timedelta(days=3)


def test_the_secretary_is_told_of_a_new_obligation_in_the_platform_and_by_email(
    estate, party, cast, django_capture_on_commit_callbacks
):
    cast["secretary_a"].email = "secretary@example.invalid"
    cast["secretary_a"].save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        assembly(estate, days_ago(-10))
    notice = Notice.objects.get(user=cast["secretary_a"])
    assert notice.kind == "obligation_created" and notice.emailed_at is not None
    assert [m.to for m in mail.outbox] == [["secretary@example.invalid"]]


def test_a_committee_meeting_attended_by_the_party_organization_meets_its_obligation(
    estate, party, django_capture_on_commit_callbacks
):
    board = committee(estate, n=5)
    day = days_ago(2)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = committees_services.meeting_create(
            estate=estate, kind=MeetingKind.COMMITTEE, title="例会", held_at=aware(day), actor=SYSTEM
        )
    with django_capture_on_commit_callbacks(execute=True):
        committees_services.meeting_record_attendance(
            meeting=meeting, attendees=[p.person for p in board.posts.all()], party_org=True, actor=SYSTEM
        )
        # The attendance signal carries it; sending it again must not record it twice.
        meeting_attended.send(sender=None, meeting=meeting)
    obligation = Obligation.objects.get(meeting=meeting)
    assert obligation.state == ObligationState.MET
    assert obligation.met_on == day and obligation.met_on_time
    assert obligation.evidence.get().source == "meeting"


def test_the_sweep_meets_an_attendance_recorded_without_a_signal(estate, party, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = assembly(estate, days_ago(1))
    # Recorded without its signal reaching oversight (no on-commit run here).
    committees_services.meeting_record_attendance(meeting=meeting, attendees=[], party_org=True, actor=SYSTEM)
    services.obligations_sweep(actor=SYSTEM)
    assert Obligation.objects.get(meeting=meeting).state == ObligationState.MET


def test_a_major_decision_raises_must_participate_met_by_the_recorded_participation(
    estate, party, django_capture_on_commit_callbacks
):
    meeting = assembly(estate, days_ago(3))
    with django_capture_on_commit_callbacks(execute=True):
        major = committees_services.decision_record(
            meeting=meeting, text="更换物业服务企业", is_major=True, passed=True, actor=SYSTEM
        )
        routine = committees_services.decision_record(meeting=meeting, text="通过会议纪要", passed=True, actor=SYSTEM)
    obligation = Obligation.objects.get(decision=major)
    assert obligation.kind == ObligationKind.PARTICIPATE and obligation.due_on == days_ago(3)
    assert not Obligation.objects.filter(decision=routine).exists()

    services.evidence_record(
        obligation=obligation, done_on=days_ago(4), people="李红", opinion="同意，须公开招标", actor=SYSTEM
    )
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.MET and obligation.met_on_time


def test_participation_recorded_after_the_decision_is_met_late(estate, party):
    meeting = assembly(estate, days_ago(10))
    decision = committees_services.decision_record(
        meeting=meeting, text="动用维修资金", is_major=True, passed=True, actor=SYSTEM
    )
    (obligation,) = services.obligations_for_decision(decision=decision, actor=SYSTEM)
    services.evidence_record(
        obligation=obligation, done_on=days_ago(5), people="李红", opinion="补充意见", actor=SYSTEM
    )
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.MET and not obligation.met_on_time


def test_large_spending_raises_must_participate_before_it_is_decided(estate, party, django_capture_on_commit_callbacks):
    accounts = {a.code: a for a in committees_services.ledger_open(estate=estate, actor=SYSTEM)}
    with django_capture_on_commit_callbacks(execute=True):
        large = committees_services.spending_request_create(
            estate=estate, payee="重庆消防工程公司", purpose=accounts["5101"], amount=Decimal("60000.00"), actor=SYSTEM
        )
        small = committees_services.spending_request_create(
            estate=estate, payee="保洁公司", purpose=accounts["5001"], amount=Decimal("800.00"), actor=SYSTEM
        )
    # The committees layer sends ``spending_requested``; the sweep raises it too should a signal be missed.
    services.obligations_sweep(actor=SYSTEM)
    obligation = Obligation.objects.get(spending_request=large)
    assert obligation.kind == ObligationKind.PARTICIPATE
    assert obligation.due_on == large.requested_on + datetime.timedelta(days=7)
    assert not Obligation.objects.filter(spending_request=small).exists()


def test_a_major_project_is_supervised_at_start_every_interval_and_at_acceptance(estate, party):
    start = days_ago(70)
    project = committees_services.project_create(
        estate=estate, title="消防主管网改造", budget=Decimal("900000.00"), actor=SYSTEM
    )
    project.actual_start = start
    raised = services.obligations_for_project(project=project, actor=SYSTEM)
    stages = [(o.stage, o.due_on) for o in raised]
    assert stages == [
        (SupervisionStage.START, start + datetime.timedelta(days=7)),
        (SupervisionStage.PROGRESS, start + datetime.timedelta(days=37)),
        (SupervisionStage.PROGRESS, start + datetime.timedelta(days=67)),
    ]
    project.actual_end = project.accepted_on = days_ago(1)
    raised = services.obligations_for_project(project=project, actor=SYSTEM)
    assert raised[-1].stage == SupervisionStage.ACCEPTANCE and raised[-1].due_on == days_ago(1) + datetime.timedelta(
        days=7
    )
    assert Obligation.objects.filter(project=project).count() == 4


def test_a_small_project_raises_nothing(estate, party):
    project = committees_services.project_create(estate=estate, title="换灯泡", budget=Decimal("800.00"), actor=SYSTEM)
    project.actual_start = days_ago(40)
    assert services.obligations_for_project(project=project, actor=SYSTEM) == []


def test_each_ended_quarter_of_a_ledger_calls_for_a_spot_check(estate, party):
    today = datetime.date(2026, 5, 20)
    ledger(estate, entries=[(datetime.date(2025, 11, 3), "1200.00"), (datetime.date(2026, 2, 1), "900.00")])
    services.obligations_sweep(actor=SYSTEM, today=today)
    checks = Obligation.objects.filter(kind=ObligationKind.SPOT_CHECK).order_by("period_start")
    assert [(o.period_start, o.period_end, o.due_on) for o in checks] == [
        (datetime.date(2025, 10, 1), datetime.date(2025, 12, 31), datetime.date(2026, 1, 30)),
        (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31), datetime.date(2026, 4, 30)),
    ]


def test_a_spot_check_names_the_entries_sampled_what_was_compared_and_the_findings(estate, party):
    entries = ledger(estate, entries=[(datetime.date(2025, 11, 3), "1200.00"), (datetime.date(2026, 2, 1), "900.00")])
    services.obligations_sweep(actor=SYSTEM, today=datetime.date(2026, 5, 20))
    check = Obligation.objects.get(kind=ObligationKind.SPOT_CHECK, period_start=datetime.date(2025, 10, 1))
    with pytest.raises(Exception) as refused:
        services.evidence_record(
            obligation=check,
            done_on=datetime.date(2026, 1, 10),
            sampled=[entries[1].sequence],
            actor=SYSTEM,
            compared="收据",
            findings="无",
        )
    assert refused.value.code == "sampled_not_in_period"
    assert Evidence.objects.count() == 0
    services.evidence_record(
        obligation=check,
        done_on=datetime.date(2026, 1, 10),
        sampled=[entries[0].sequence],
        compared="停车收费收据与银行流水",
        findings="账实相符，未发现问题",
        actor=SYSTEM,
    )
    check.refresh_from_db()
    assert check.state == ObligationState.MET and check.met_on_time


def test_the_sweep_marks_overdue_once_and_tells_the_secretary(estate, party, cast):
    meeting = assembly(estate, days_ago(10))
    (obligation,) = services.obligations_for_meeting(meeting=meeting, actor=SYSTEM)
    first = services.obligations_sweep(actor=SYSTEM)
    second = services.obligations_sweep(actor=SYSTEM)
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.OVERDUE
    assert obligation.overdue_since == obligation.due_on + datetime.timedelta(days=1)
    assert (first.overdue, second.overdue) == (1, 0)
    assert Notice.objects.filter(user=cast["secretary_a"], kind="obligation_overdue").count() == 1


def test_the_sweep_run_twice_creates_nothing_twice(estate, party):
    ledger(estate, entries=[(days_ago(200), "500.00")])
    assembly(estate, days_ago(20))
    services.obligations_sweep(actor=SYSTEM)
    counts = (Obligation.objects.count(), Notice.objects.count(), Evidence.objects.count())
    result = services.obligations_sweep(actor=SYSTEM)
    assert (Obligation.objects.count(), Notice.objects.count(), Evidence.objects.count()) == counts
    assert (result.raised, result.overdue, result.met) == (0, 0, 0)


def test_after_downtime_the_sweep_raises_the_missed_periods_once_with_their_own_due_dates(estate, party):
    ledger(estate, entries=[(datetime.date(2025, 1, 15), "500.00")])
    services.obligations_sweep(actor=SYSTEM, today=datetime.date(2025, 4, 2))
    assert Obligation.objects.filter(kind=ObligationKind.SPOT_CHECK).count() == 1
    # Beat stopped from April to November: the next run catches up Q2 and Q3, each once.
    services.obligations_sweep(actor=SYSTEM, today=datetime.date(2025, 11, 5))
    services.obligations_sweep(actor=SYSTEM, today=datetime.date(2025, 11, 5))
    checks = Obligation.objects.filter(kind=ObligationKind.SPOT_CHECK).order_by("period_start")
    assert [(o.period_start.month, o.due_on) for o in checks] == [
        (1, datetime.date(2025, 4, 30)),
        (4, datetime.date(2025, 7, 30)),
        (7, datetime.date(2025, 10, 30)),
    ]
    # Those already past due were marked overdue in the same run.
    assert [o.state for o in checks] == [ObligationState.OVERDUE] * 3


def test_the_street_waives_an_obligation_with_a_reason(estate, party, cast):
    (obligation,) = services.obligations_for_meeting(meeting=assembly(estate, days_ago(10)), actor=SYSTEM)
    services.obligation_waive(obligation=obligation, reason="会议因台风取消，未召开", actor=cast["street_staff"])
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.WAIVED and obligation.waived_by == cast["street_staff"]
    event = AuditEvent.objects.get(action="obligation.waive")
    assert event.data["changes"]["state"] == {"old": "open", "new": "waived"}


@pytest.mark.parametrize("who", ["secretary_a", "committee_member", "auditor", "reviewer", "resident", "secretary_b"])
def test_only_the_street_may_waive_and_a_refusal_changes_nothing(estate, party, cast, who):
    (obligation,) = services.obligations_for_meeting(meeting=assembly(estate, days_ago(10)), actor=SYSTEM)
    with pytest.raises(Exception) as refused:
        services.obligation_waive(obligation=obligation, reason="理由充分的豁免", actor=cast[who])
    assert refused.value.status == 403
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.OPEN and obligation.waived_reason == ""


def test_a_waiver_needs_a_reason(estate, party, cast):
    (obligation,) = services.obligations_for_meeting(meeting=assembly(estate, days_ago(10)), actor=SYSTEM)
    with pytest.raises(Exception) as refused:
        services.obligation_waive(obligation=obligation, reason=" ", actor=cast["street_staff"])
    assert refused.value.code == "reason_required"
    assert Obligation.objects.get(pk=obligation.pk).state == ObligationState.OPEN


def test_a_waived_obligation_takes_no_evidence(estate, party, cast):
    (obligation,) = services.obligations_for_meeting(meeting=assembly(estate, days_ago(10)), actor=SYSTEM)
    services.obligation_waive(obligation=obligation, reason="会议取消，另行召开", actor=cast["street_staff"])
    with pytest.raises(Exception) as refused:
        services.evidence_record(obligation=obligation, done_on=days_ago(10), people="李红", actor=cast["secretary_a"])
    assert refused.value.code == "obligation_waived"
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("who", ["committee_member", "auditor", "reviewer", "resident", "secretary_b", None])
def test_evidence_is_recorded_by_the_community_or_the_street_only(estate, party, cast, who):
    (obligation,) = services.obligations_for_meeting(meeting=assembly(estate, days_ago(1)), actor=SYSTEM)
    with pytest.raises(Exception) as refused:
        services.evidence_record(
            obligation=obligation, done_on=days_ago(1), people="李红", actor=cast[who] if who else None
        )
    assert refused.value.status == 403
    assert not Evidence.objects.exists()
    assert Obligation.objects.get(pk=obligation.pk).state == ObligationState.OPEN


def test_no_person_raises_an_obligation_by_hand(estate, cast):
    with pytest.raises(Exception) as refused:
        services.obligation_raise(
            key="attend:by-hand",
            kind=ObligationKind.ATTEND,
            estate=estate,
            title="手工",
            due_on=days_ago(0),
            actor=cast["admin"],
        )
    assert refused.value.code == "raised_by_events"
    assert not Obligation.objects.exists()


def test_supervision_visits_stop_when_the_works_end_and_acceptance_calls_for_the_last_one(estate, party):
    project = committees_services.project_create(
        estate=estate, title="雨污分流", budget=Decimal("500000.00"), actor=SYSTEM
    )
    project.actual_start, project.actual_end = days_ago(100), days_ago(50)
    raised = services.obligations_for_project(project=project, actor=SYSTEM)
    assert [o.stage for o in raised] == [SupervisionStage.START, SupervisionStage.PROGRESS]
    project.accepted_on = days_ago(40)
    raised = services.obligations_for_project(project=project, actor=SYSTEM)
    assert [o.stage for o in raised][-1] == SupervisionStage.ACCEPTANCE
