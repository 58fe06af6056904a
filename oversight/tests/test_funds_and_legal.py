"""Funds sent down, commissioners, revenue rules, audits of estates with large revenue, the supervision queues."""

import datetime
from decimal import Decimal

import pytest

from committees import selectors as committees_selectors
from committees import services as committees_services
from committees.models import LedgerTransaction, MeetingKind, Stage
from committees.tests.factories import aware
from governance import services as governance_services
from governance.models import PostKind
from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory
from oversight import selectors, services
from oversight.models import Audit, AuditState, FundAllocation, RevenueRules
from oversight.tests.factories import assembly, days_ago, fresh, ledger, pdf

pytestmark = pytest.mark.django_db
D = Decimal


def test_funds_sent_down_are_posted_on_the_estates_ledger_and_it_still_verifies(world, party, cast):
    estate = world["estate_a"]
    ledger(estate, entries=[(days_ago(40), "3000.00")])
    allocation = services.fund_allocate(
        community=fresh(world["community_a"]),
        estate=fresh(estate),
        amount=D("20000.00"),
        purpose="老旧小区微改造：楼道照明",
        voucher=pdf("拨款通知.pdf"),
        allocated_on=days_ago(10),
        actor=cast["secretary_a"],
    )
    posting = allocation.posting
    assert posting.estate == estate and posting.date == days_ago(10)
    legs = {leg.account.code: (leg.debit, leg.credit) for leg in posting.legs.select_related("account")}
    assert legs["1001"] == (D("20000.00"), D("0.00"))
    assert committees_selectors.account_balances(estate)["1001"] == D("23000.00")
    assert committees_selectors.ledger_verify(estate).ok
    figures = selectors.legal.revenue_by_estate(fresh(world["district"]), days_ago(60), days_ago(0))[estate.pk]
    assert figures == {"revenue": D("3000.00"), "funds": D("20000.00"), "spending": D("0.00")}


@pytest.mark.parametrize("who", ["secretary_b", "committee_member", "auditor", "resident"])
def test_only_the_community_or_street_sends_funds_down(world, party, cast, who):
    ledger(world["estate_a"])
    with pytest.raises(Exception) as refused:
        services.fund_allocate(
            community=fresh(world["community_a"]),
            estate=fresh(world["estate_a"]),
            amount=D("100.00"),
            purpose="活动经费",
            voucher=pdf(),
            actor=cast[who],
        )
    assert refused.value.status == 403
    assert not FundAllocation.objects.exists() and not LedgerTransaction.objects.exists()


def test_funds_go_only_to_the_communitys_own_estates(world, party, cast):
    ledger(world["estate_b"])
    with pytest.raises(Exception) as refused:
        services.fund_allocate(
            community=fresh(world["community_a"]),
            estate=fresh(world["estate_b"]),
            amount=D("100.00"),
            purpose="活动经费",
            voucher=pdf(),
            actor=SYSTEM,
        )
    assert refused.value.code == "foreign_estate"


def test_a_community_cadre_becomes_the_estates_commissioner(world, party, cast):
    post = services.commissioner_appoint(
        estate=fresh(world["estate_a"]), person=party["cadre"], start=days_ago(5), actor=cast["secretary_a"]
    )
    assert (post.kind, post.place) == (PostKind.PROPERTY_COMMISSIONER, world["estate_a"])
    listed = {row["estate"]["id"]: row["commissioner"] for row in selectors.commissioners(fresh(world["district"]))}
    assert listed[world["estate_a"].pk]["name"] == "陈静" and listed[world["estate_b"].pk] is None


def test_a_commissioner_must_be_a_community_cadre(world, party):
    with pytest.raises(Exception) as refused:
        services.commissioner_appoint(estate=fresh(world["estate_a"]), person=PersonFactory(), actor=SYSTEM)
    assert refused.value.code == "not_a_cadre"


def test_a_new_commissioner_ends_the_previous_ones_post(world, party, cast):
    first = services.commissioner_appoint(
        estate=fresh(world["estate_a"]), person=party["cadre"], start=days_ago(30), actor=SYSTEM
    )
    second_person = PersonFactory(place=world["community_a"])
    governance_services.post_create(
        person=second_person, kind=PostKind.STAFF, body="community_staff", place=world["community_a"], actor=SYSTEM
    )
    services.commissioner_appoint(
        estate=fresh(world["estate_a"]), person=second_person, start=days_ago(2), actor=SYSTEM
    )
    first.refresh_from_db()
    assert first.end == days_ago(3)


# Legal oversight --------------------------------------------------------------------------


def test_rules_adopted_by_a_passed_decision_are_recorded_and_estates_without_rules_are_flagged(world, cast):
    meeting = assembly(world["estate_a"], days_ago(30))
    decision = committees_services.decision_record(
        meeting=meeting, text="通过公共收益管理办法", passed=True, actor=SYSTEM
    )
    services.revenue_rules_record(
        estate=fresh(world["estate_a"]),
        title="南方上格林公共收益管理办法",
        document=pdf(),
        adopted_on=days_ago(30),
        decision=decision,
        actor=cast["committee_member"],
    )
    figures = selectors.legal_oversight(fresh(world["district"]), days_ago(0).year)
    assert figures["without_rules"] == [{"id": world["estate_b"].pk, "name": world["estate_b"].name}]


def test_rules_must_rest_on_a_passed_decision_of_the_estate(world, cast):
    meeting = assembly(world["estate_b"], days_ago(30))
    foreign = committees_services.decision_record(meeting=meeting, text="通过办法", passed=True, actor=SYSTEM)
    with pytest.raises(Exception) as refused:
        services.revenue_rules_record(
            estate=fresh(world["estate_a"]),
            title="办法",
            document=pdf(),
            adopted_on=days_ago(3),
            decision=foreign,
            actor=SYSTEM,
        )
    assert refused.value.code == "foreign_decision"
    assert not RevenueRules.objects.exists()


def test_an_estate_whose_yearly_revenue_exceeds_the_threshold_is_due_an_audit(world, settings):
    settings.GONGZHI = {**settings.GONGZHI, "AUDIT_REVENUE_THRESHOLD": "100000.00"}
    ledger(
        world["estate_a"], entries=[(datetime.date(2025, 3, 1), "60000.00"), (datetime.date(2025, 9, 1), "40000.01")]
    )
    ledger(world["estate_b"], entries=[(datetime.date(2025, 3, 1), "100000.00")])
    figures = selectors.legal_oversight(fresh(world["district"]), 2025)
    assert figures["audits_due"] == [{"id": world["estate_a"].pk, "name": world["estate_a"].name}]
    services.audit_plan(
        estate=fresh(world["estate_a"]),
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
        auditor="重庆信达会计师事务所",
        plan="年度公共收益专项审计",
        actor=SYSTEM,
    )
    assert selectors.legal_oversight(fresh(world["district"]), 2025)["audits_due"] == []


def test_an_audit_closes_only_when_every_follow_up_action_is_done(world, cast):
    secretary = cast["secretary_a"]
    audit = services.audit_plan(
        estate=fresh(world["estate_a"]),
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
        auditor="重庆信达会计师事务所",
        plan="年度审计",
        planned_on=days_ago(60),
        actor=secretary,
    )
    audit = services.audit_report(
        audit=audit, findings="停车收入有两笔未附凭证", reported_on=days_ago(30), actor=secretary
    )
    action = services.audit_action_add(
        audit=audit, description="补齐凭证", owner="业委会财务委员", due_on=days_ago(-10), actor=secretary
    )
    with pytest.raises(Exception) as refused:
        services.audit_close(audit=audit, closed_on=days_ago(0), note="整改完成", actor=secretary)
    assert refused.value.code == "actions_open"
    services.audit_action_done(action=action, done_on=days_ago(1), evidence="凭证已补齐并入账", actor=secretary)
    audit = services.audit_close(audit=audit, closed_on=days_ago(0), note="整改完成，凭证已核", actor=secretary)
    assert audit.state == AuditState.CLOSED


@pytest.mark.parametrize("who", ["committee_member", "auditor", "reviewer", "secretary_b"])
def test_audits_are_planned_by_the_community_or_street_not_by_the_audited_committee(world, cast, who):
    with pytest.raises(Exception) as refused:
        services.audit_plan(
            estate=fresh(world["estate_a"]),
            period_start=datetime.date(2025, 1, 1),
            period_end=datetime.date(2025, 12, 31),
            auditor="某事务所",
            plan="审计",
            actor=cast[who],
        )
    assert refused.value.status == 403
    assert not Audit.objects.exists()


# The supervision queues ------------------------------------------------------------------


def test_the_discipline_queue_and_the_supervision_groups_queue_side_by_side(world, cast):
    estate = fresh(world["estate_a"])
    accounts = {a.code: a for a in committees_services.ledger_open(estate=estate, actor=SYSTEM)}
    big = committees_services.spending_request_create(
        estate=estate, payee="管网公司", purpose=accounts["5101"], amount=D("68000.00"), actor=SYSTEM
    )
    medium = committees_services.spending_request_create(
        estate=estate, payee="门禁公司", purpose=accounts["5101"], amount=D("12000.00"), actor=SYSTEM
    )
    committees_services.spending_request_create(
        estate=estate, payee="保洁", purpose=accounts["5001"], amount=D("500.00"), actor=SYSTEM
    )
    project = committees_services.project_create(estate=estate, title="外墙整治", budget=D("300000.00"), actor=SYSTEM)
    queues = selectors.supervision_queues(fresh(world["district"]))
    assert [(i["type"], i["id"]) for i in queues["discipline"]] == [
        ("spending_request", big.pk),
        ("project", project.pk),
    ]
    assert [i["id"] for i in queues["supervision_group"]] == [big.pk, medium.pk]
    assert queues["discipline"][0]["waiting_on"] == [Stage.COMMITTEE, Stage.SUPERVISION, Stage.DISCIPLINE]

    services.intervention_record(spending_request=big, opinion="须三家比价后再定", actor=cast["reviewer"])
    queues = selectors.supervision_queues(fresh(world["district"]))
    assert queues["discipline"][0]["opinions"] == 1


@pytest.mark.parametrize("who", ["secretary_a", "street_staff", "auditor", "committee_member"])
def test_only_discipline_reviewers_record_intervention_opinions(world, cast, who):
    estate = fresh(world["estate_a"])
    accounts = {a.code: a for a in committees_services.ledger_open(estate=estate, actor=SYSTEM)}
    big = committees_services.spending_request_create(
        estate=estate, payee="管网公司", purpose=accounts["5101"], amount=D("68000.00"), actor=SYSTEM
    )
    with pytest.raises(Exception) as refused:
        services.intervention_record(spending_request=big, opinion="意见", actor=cast[who])
    assert refused.value.status == 403
    assert not big.intervention_opinions.exists()


def test_an_assembly_meeting_kind_is_attended_but_a_deliberation_council_is_not(world):
    estate = world["estate_a"]
    council = committees_services.meeting_create(
        estate=estate, kind=MeetingKind.DELIBERATION, title="议事会", held_at=aware(2026, 1, 5), actor=SYSTEM
    )
    assert services.obligations_for_meeting(meeting=council, actor=SYSTEM) == []
