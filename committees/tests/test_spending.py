import datetime
from decimal import Decimal

import pytest

from committees import services
from committees.models import LedgerTransaction, MeetingKind, SpendingStatus, Stage
from committees.tests.factories import aware, committee, income, voucher
from core.errors import ApplicationError, Conflict, NotPermitted
from governance.models import Role, RoleAssignment
from governance.scoping import SYSTEM
from governance.tests.factories import UserFactory
from residents.models import Owner

D = Decimal
DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def funded(estate, ledger):
    income(estate, "200000", datetime.date(2026, 1, 10))
    return ledger


@pytest.fixture
def passed_decision(estate, cast):
    board = committee(estate, n=5)
    members = [p.person for p in board.posts.all()]
    meeting = services.meeting_create(
        estate=estate,
        kind=MeetingKind.COMMITTEE,
        title="业委会第3次会议",
        held_at=aware(2026, 2, 20),
        actor=cast["committee_member"],
    )
    services.meeting_record_attendance(
        meeting=meeting, attendees=members, party_org=True, actor=cast["committee_member"]
    )
    return services.decision_record(
        meeting=meeting, text="同意更换消防泵", votes_for=4, votes_against=1, actor=cast["committee_member"]
    )


@pytest.fixture
def supervisor(estate):
    user = UserFactory()
    owner = Owner.objects.create(person=user.person, place=estate)
    services.supervision_group_create(
        estate=estate, term_start=datetime.date(2025, 1, 1), members=[owner], actor=SYSTEM
    )
    return user


def request_for(estate, ledger, amount, *, payee="重庆某消防工程公司", purpose="5101", on=DAY, actor=SYSTEM):
    return services.spending_request_create(
        estate=estate, payee=payee, purpose=ledger[purpose], amount=D(amount), requested_on=on, actor=actor
    )


def test_spending_cannot_be_paid_before_its_approvals_are_complete(estate, funded, cast, passed_decision, supervisor):
    request = request_for(estate, funded, "60000")
    assert request.required_stages() == [Stage.COMMITTEE, Stage.SUPERVISION, Stage.DISCIPLINE]
    with pytest.raises(Conflict) as err:
        services.spending_pay(request=request, date=DAY, voucher=voucher(), actor=cast["committee_member"])
    assert err.value.code == "approvals_incomplete"
    services.spending_approve(
        request=request,
        stage=Stage.COMMITTEE,
        decision=passed_decision,
        seen="会议纪要",
        actor=cast["committee_member"],
    )
    services.spending_approve(request=request, stage=Stage.SUPERVISION, seen="报价单三份", actor=supervisor)
    with pytest.raises(Conflict):
        services.spending_pay(request=request, date=DAY, voucher=voucher(), actor=cast["committee_member"])
    assert not LedgerTransaction.objects.filter(spending_request=request).exists()
    services.spending_approve(request=request, stage=Stage.DISCIPLINE, seen="合同草案", actor=cast["reviewer"])
    tx = services.spending_pay(request=request, date=DAY, voucher=voucher(), actor=cast["committee_member"])
    request.refresh_from_db()
    assert request.status == SpendingStatus.PAID and request.payment == tx
    assert {(leg.account.code, leg.debit, leg.credit) for leg in tx.legs.all()} == {
        ("5101", D("60000.00"), D("0.00")),
        ("1001", D("0.00"), D("60000.00")),
    }


def test_approvals_must_come_in_order(estate, funded, cast, supervisor):
    request = request_for(estate, funded, "20000")
    with pytest.raises(Conflict) as err:
        services.spending_approve(request=request, stage=Stage.SUPERVISION, seen="报价单", actor=supervisor)
    assert err.value.code == "out_of_order"


def test_a_small_request_needs_only_the_committee_decision(estate, funded, cast, passed_decision):
    request = request_for(estate, funded, "8000")
    assert request.required_stages() == [Stage.COMMITTEE]
    services.spending_approve(
        request=request, stage=Stage.COMMITTEE, decision=passed_decision, seen="纪要", actor=cast["committee_member"]
    )
    request.refresh_from_db()
    assert request.status == SpendingStatus.APPROVED


def test_a_failed_decision_does_not_approve_spending(estate, funded, cast):
    board = committee(estate, n=7)
    members = [p.person for p in board.posts.all()]
    meeting = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="会议", held_at=aware(2026, 2, 20), actor=SYSTEM
    )
    services.meeting_record_attendance(meeting=meeting, attendees=members[:4], actor=SYSTEM)
    failed = services.decision_record(meeting=meeting, text="同意", votes_for=3, votes_against=1, actor=SYSTEM)
    request = request_for(estate, funded, "5000")
    with pytest.raises(ApplicationError) as err:
        services.spending_approve(
            request=request, stage=Stage.COMMITTEE, decision=failed, seen="纪要", actor=cast["committee_member"]
        )
    assert err.value.code == "decision_failed"


def test_only_a_supervision_group_member_signs_off(estate, funded, cast, passed_decision):
    request = request_for(estate, funded, "20000")
    services.spending_approve(
        request=request, stage=Stage.COMMITTEE, decision=passed_decision, seen="纪要", actor=cast["committee_member"]
    )
    with pytest.raises(NotPermitted):
        services.spending_approve(request=request, stage=Stage.SUPERVISION, seen="报价", actor=cast["committee_member"])


def test_only_a_discipline_reviewer_of_the_estates_street_reviews_early(
    world, estate, funded, cast, passed_decision, supervisor
):
    request = request_for(estate, funded, "60000")
    services.spending_approve(
        request=request, stage=Stage.COMMITTEE, decision=passed_decision, seen="纪要", actor=cast["committee_member"]
    )
    services.spending_approve(request=request, stage=Stage.SUPERVISION, seen="报价", actor=supervisor)
    with pytest.raises(NotPermitted):
        services.spending_approve(request=request, stage=Stage.DISCIPLINE, seen="合同", actor=cast["secretary_a"])
    other_street = UserFactory()
    RoleAssignment.objects.create(user=other_street, role=Role.DISCIPLINE_REVIEWER, place=world["street_b"])
    with pytest.raises(NotPermitted):
        services.spending_approve(request=request, stage=Stage.DISCIPLINE, seen="合同", actor=other_street)


def test_the_split_purchase_rule_flags_requests_just_under_the_threshold(estate, funded, cast):
    first = request_for(estate, funded, "9800", on=datetime.date(2026, 3, 1))
    assert not first.split_flagged
    second = request_for(estate, funded, "9500", payee="重庆某消防工程公司 ", on=datetime.date(2026, 3, 12))
    first.refresh_from_db()
    assert second.split_flagged and first.split_flagged
    assert second.split_total == D("19300.00")
    assert "疑似拆分采购" in second.split_reason
    # Treated as the whole purchase: the supervision group must now sign off as well.
    assert second.required_stages() == [Stage.COMMITTEE, Stage.SUPERVISION]


def test_the_split_rule_ignores_other_payees_purposes_and_requests_outside_the_window(estate, funded):
    request_for(estate, funded, "9800", on=datetime.date(2026, 1, 1))
    request_for(estate, funded, "9800", payee="另一家公司", on=datetime.date(2026, 2, 20))
    request_for(estate, funded, "9800", purpose="5102", on=datetime.date(2026, 2, 25))
    last = request_for(estate, funded, "9800", on=datetime.date(2026, 3, 5))
    assert not last.split_flagged


def test_payment_is_refused_when_the_public_revenue_cannot_cover_it(estate, ledger, cast, passed_decision):
    income(estate, "1000", datetime.date(2026, 1, 10))
    request = request_for(estate, ledger, "5000")
    services.spending_approve(
        request=request, stage=Stage.COMMITTEE, decision=passed_decision, seen="纪要", actor=cast["committee_member"]
    )
    with pytest.raises(Conflict) as err:
        services.spending_pay(request=request, date=DAY, voucher=voucher(), actor=cast["committee_member"])
    assert err.value.code == "insufficient_funds"


def _resolution(estate, passed: bool, status: str = "final"):
    from elections.models import Vote, VoteResult

    vote = Vote.objects.create(
        estate=estate,
        kind="resolution",
        title="使用公共收益更换消防泵",
        matter=9,
        status=status,
        notice_starts=datetime.date(2026, 1, 1),
        notice_days=15,
        opens_at=datetime.datetime(2026, 1, 20, tzinfo=datetime.UTC),
        closes_at=datetime.datetime(2026, 2, 5, tzinfo=datetime.UTC),
        objection_days=7,
    )
    VoteResult.objects.create(
        vote=vote,
        round=1,
        data={"passed": passed},
        hash="0" * 64,
        chain_head="0" * 64,
        computed_at=datetime.datetime(2026, 2, 5, tzinfo=datetime.UTC),
    )
    return vote


def test_a_passed_resolution_vote_of_the_owners_is_a_committee_stage_basis(estate, funded, cast):
    request = request_for(estate, funded, "5000")
    approval = services.spending_approve(
        request=request,
        stage=Stage.COMMITTEE,
        resolution_vote=_resolution(estate, True),
        seen="表决结果公告",
        actor=cast["committee_member"],
    )
    assert approval.resolution_vote.passed is True


def test_a_failed_resolution_vote_does_not_approve_spending(estate, funded, cast):
    request = request_for(estate, funded, "5000")
    with pytest.raises(ApplicationError) as err:
        services.spending_approve(
            request=request,
            stage=Stage.COMMITTEE,
            resolution_vote=_resolution(estate, False),
            seen="表决结果公告",
            actor=cast["committee_member"],
        )
    assert err.value.code == "vote_failed"


def test_a_committee_member_cannot_join_the_supervision_group(estate, funded, cast, passed_decision):
    member = passed_decision.meeting.committee.posts.first().person
    user = UserFactory(person=member)
    owner = Owner.objects.create(person=member, place=estate)
    with pytest.raises(ApplicationError) as err:
        services.supervision_group_create(
            estate=estate, term_start=datetime.date(2025, 1, 1), members=[owner], actor=SYSTEM
        )
    assert err.value.code == "committee_member"
    assert user.person == member


def test_an_approval_may_be_recorded_after_the_fact_but_not_in_the_future(estate, funded, cast, passed_decision):
    import datetime as dt

    from django.utils import timezone

    request = request_for(estate, funded, "5000")
    with pytest.raises(ApplicationError):
        services.spending_approve(
            request=request,
            stage=Stage.COMMITTEE,
            decision=passed_decision,
            seen="纪要",
            actor=cast["committee_member"],
            at=timezone.now() + dt.timedelta(days=1),
        )
    earlier = timezone.now() - dt.timedelta(days=3)
    approval = services.spending_approve(
        request=request,
        stage=Stage.COMMITTEE,
        decision=passed_decision,
        seen="纪要",
        actor=cast["committee_member"],
        at=earlier,
    )
    assert approval.approved_at == earlier


def test_a_supervisor_who_has_since_joined_the_committee_cannot_sign_off(estate, funded, cast, supervisor):
    others = [p for p in committee(estate, n=5, term_start=datetime.date(2025, 6, 1)).posts.all()]
    services.committee_record(
        estate=estate,
        term_start=datetime.date(2026, 1, 1),
        members=[(supervisor.person, "chair")] + [(p.person, "member") for p in others[:4]],
        actor=SYSTEM,
    )
    board = estate.owners_committees.get(status="current")
    meeting = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="会", held_at=aware(2026, 2, 1), actor=SYSTEM
    )
    services.meeting_record_attendance(meeting=meeting, attendees=[p.person for p in board.posts.all()], actor=SYSTEM)
    decision = services.decision_record(meeting=meeting, text="同意", votes_for=5, actor=SYSTEM)
    request = request_for(estate, funded, "20000")
    services.spending_approve(
        request=request, stage=Stage.COMMITTEE, decision=decision, seen="纪要", actor=cast["committee_member"]
    )
    with pytest.raises(NotPermitted):
        services.spending_approve(request=request, stage=Stage.SUPERVISION, seen="报价", actor=supervisor)


def test_a_resolution_still_open_to_objections_is_not_yet_a_basis(estate, funded, cast):
    from committees.models import SpendingApproval

    request = request_for(estate, funded, "5000")
    with pytest.raises(ApplicationError) as err:
        services.spending_approve(
            request=request,
            stage=Stage.COMMITTEE,
            resolution_vote=_resolution(estate, True, status="preliminary"),
            seen="表决结果预公告",
            actor=cast["committee_member"],
        )
    assert err.value.code == "vote_not_final"
    assert not SpendingApproval.objects.exists()
