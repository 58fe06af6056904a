"""Every committees write service checks its actor's right itself: a refused actor changes nothing.

One row per service: how to call it on a prepared estate, and who must be refused. Each
refused call must raise ``NotPermitted`` (HTTP 403) and leave every committees table, the
posts and the audit trail exactly as they were; ``actor=None`` is refused too. A service
added to ``committees.services`` without a row here fails ``test_every_write_service_has_a_row``.
"""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Model

from committees import services
from committees.models import (
    Account,
    Decision,
    LedgerLeg,
    LedgerTransaction,
    Meeting,
    MeetingAttachment,
    MeetingKind,
    OwnersCommittee,
    PerformanceNote,
    Project,
    ProjectMilestone,
    PropertyCompany,
    ServiceContract,
    SpendingApproval,
    SpendingRequest,
    Stage,
    Statement,
    SupervisionGroup,
)
from committees.tests.factories import aware, committee, income, people, voucher
from core.errors import NotPermitted
from elections.models import Vote
from governance.models import AuditEvent, Post, PostKind
from governance.scoping import SYSTEM
from governance.tests.factories import UserFactory
from residents.models import Owner

D = Decimal
TABLES: list[type[Model]] = [
    OwnersCommittee,
    OwnersCommittee.posts.through,
    SupervisionGroup,
    SupervisionGroup.members.through,
    Meeting,
    Meeting.attendees.through,
    MeetingAttachment,
    Decision,
    PropertyCompany,
    ServiceContract,
    PerformanceNote,
    Project,
    Project.expert_team.through,
    ProjectMilestone,
    Account,
    LedgerTransaction,
    LedgerLeg,
    SpendingRequest,
    SpendingApproval,
    Statement,
    Post,
    AuditEvent,
]

# Who may not change an estate's committee records: its residents and clerk, the auditor and
# the discipline reviewer (who read), and the secretary of another community.
NOT_CHANGERS = ("resident", "clerk", "auditor", "reviewer", "secretary_b")
# Who may not read an estate's ledger in full.
NOT_READERS = ("resident", "clerk", "secretary_b")


def snapshot() -> dict:
    return {table._meta.label: list(table.objects.order_by("pk").values()) for table in TABLES}


@pytest.fixture
def scene(world, estate, ledger, cast):
    """An estate with a funded ledger, a committee and its meeting, a group, a company, a project, spending."""
    income(estate, "200000.00", datetime.date(2026, 1, 5))
    board = committee(estate, n=5, term_start=datetime.date(2025, 1, 1))
    members = [p.person for p in board.posts.order_by("pk")]
    meeting = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="例会", held_at=aware(2026, 2, 1), actor=SYSTEM
    )
    services.meeting_record_attendance(meeting=meeting, attendees=members, actor=SYSTEM)
    services.meeting_record_minutes(meeting=meeting, minutes="纪要", actor=SYSTEM)
    decision = services.decision_record(meeting=meeting, text="同意", votes_for=5, actor=SYSTEM)
    supervisor = UserFactory()
    group = services.supervision_group_create(
        estate=estate,
        term_start=datetime.date(2025, 1, 1),
        members=[Owner.objects.create(person=supervisor.person, place=estate)],
        actor=SYSTEM,
    )
    company = services.property_company_create(name="某物业", place=world["community_a"], actor=SYSTEM)
    contract = services.service_contract_create(
        estate=estate,
        company=company,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2027, 12, 31),
        fee_per_m2_month=D("2.00"),
        actor=SYSTEM,
    )
    project = services.project_create(estate=estate, title="外墙维修", budget=D("300000"), actor=SYSTEM)
    milestone = services.project_milestone_add(project=project, title="脚手架搭设", actor=SYSTEM)
    started = services.project_start(project=project, on=datetime.date(2026, 2, 1), actor=SYSTEM)

    def request(amount, stages):
        made = services.spending_request_create(
            estate=estate, payee=f"公司{amount}", purpose=ledger["5101"], amount=D(amount), actor=SYSTEM
        )
        if Stage.COMMITTEE in stages:
            services.spending_approve(
                request=made, stage=Stage.COMMITTEE, decision=decision, seen="纪要", actor=cast["committee_member"]
            )
        if Stage.SUPERVISION in stages:
            services.spending_approve(request=made, stage=Stage.SUPERVISION, seen="报价", actor=supervisor)
        return SpendingRequest.objects.get(pk=made.pk)

    vote = Vote.objects.create(
        estate=estate,
        kind="committee_election",
        title="换届选举",
        matter=3,
        seats=5,
        status="filed",
        notice_starts=datetime.date(2026, 1, 1),
        notice_days=15,
        opens_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
        closes_at=datetime.datetime(2026, 2, 8, tzinfo=datetime.UTC),
        objection_days=7,
        result_date=datetime.date(2026, 2, 9),
    )
    return {
        "estate": estate,
        "ledger": ledger,
        "board": board,
        "members": members,
        "meeting": meeting,
        "decision": decision,
        "group": group,
        "supervisor": supervisor,
        "company": company,
        "contract": contract,
        "project": started,
        "milestone": milestone,
        "small": request("5000", ()),
        "approved": request("6000", (Stage.COMMITTEE,)),
        "to_supervise": request("20000", (Stage.COMMITTEE,)),
        "to_review": request("60000", (Stage.COMMITTEE, Stage.SUPERVISION)),
        "entry": LedgerTransaction.objects.filter(estate=estate).order_by("sequence").first(),
        "vote": vote,
        "owners": [Owner.objects.create(person=p, place=estate) for p in people(5, estate)],
        "world": world,
    }


def _legs(s):
    return [(s["ledger"]["1001"], D("10"), D("0")), (s["ledger"]["4001"], D("0"), D("10"))]


# service name -> (call with the scene and an actor, the actors who must be refused)
CALLS = {
    "committee_record": (
        lambda s, a: services.committee_record(
            estate=s["estate"],
            term_start=datetime.date(2026, 3, 1),
            members=[(p, PostKind.MEMBER) for p in people(5, s["estate"])],
            actor=a,
        ),
        (*NOT_CHANGERS, "committee_member"),  # the community keeps the committee's record
    ),
    "committee_end": (
        lambda s, a: services.committee_end(committee=s["board"], on=datetime.date(2026, 3, 1), actor=a),
        (*NOT_CHANGERS, "committee_member"),  # the community keeps the committee's record
    ),
    "committee_record_from_election": (
        lambda s, a: services.committee_record_from_election(
            vote=s["vote"], elected=[o.pk for o in s["owners"]], actor=a
        ),
        (*NOT_CHANGERS, "committee_member"),  # the community keeps the committee's record
    ),
    "committee_assign_post": (
        lambda s, a: services.committee_assign_post(
            committee=s["board"], person=s["members"][1], kind=PostKind.VICE_CHAIR, actor=a
        ),
        NOT_CHANGERS,
    ),
    "committee_file": (
        lambda s, a: services.committee_file(
            committee=s["board"], filed_on=datetime.date(2025, 1, 20), reference="备〔2025〕1号", actor=a
        ),
        (*NOT_CHANGERS, "committee_member"),  # the community keeps the committee's record
    ),
    "supervision_group_create": (
        lambda s, a: services.supervision_group_create(
            estate=s["estate"], term_start=datetime.date(2026, 1, 1), members=s["owners"][:1], actor=a
        ),
        NOT_CHANGERS,
    ),
    "meeting_create": (
        lambda s, a: services.meeting_create(
            estate=s["estate"], kind=MeetingKind.DELIBERATION, title="议事会", held_at=aware(2026, 3, 1), actor=a
        ),
        NOT_CHANGERS,
    ),
    "meeting_record_attendance": (
        lambda s, a: services.meeting_record_attendance(meeting=s["meeting"], attendees=[], party_org=True, actor=a),
        NOT_CHANGERS,
    ),
    "meeting_record_minutes": (
        lambda s, a: services.meeting_record_minutes(meeting=s["meeting"], minutes="改写", actor=a),
        NOT_CHANGERS,
    ),
    "meeting_publish_minutes": (
        lambda s, a: services.meeting_publish_minutes(meeting=s["meeting"], actor=a),
        NOT_CHANGERS,
    ),
    "meeting_attach": (
        lambda s, a: services.meeting_attach(meeting=s["meeting"], title="签到表", file=voucher(), actor=a),
        NOT_CHANGERS,
    ),
    "decision_record": (
        lambda s, a: services.decision_record(meeting=s["meeting"], text="再议", votes_for=5, actor=a),
        NOT_CHANGERS,
    ),
    "property_company_create": (
        lambda s, a: services.property_company_create(name="新物业", place=s["world"]["community_a"], actor=a),
        (*NOT_CHANGERS, "committee_member"),
    ),
    "property_company_update": (
        lambda s, a: services.property_company_update(company=s["company"], contact="新联系人", actor=a),
        (*NOT_CHANGERS, "committee_member"),
    ),
    "service_contract_create": (
        lambda s, a: services.service_contract_create(
            estate=s["estate"],
            company=s["company"],
            start=datetime.date(2028, 1, 1),
            end=datetime.date(2029, 1, 1),
            fee_per_m2_month=D("2.10"),
            actor=a,
        ),
        NOT_CHANGERS,
    ),
    "performance_note_create": (
        lambda s, a: services.performance_note_create(
            contract=s["contract"], noted_on=datetime.date(2026, 3, 1), text="保洁到位", actor=a
        ),
        NOT_CHANGERS,
    ),
    "project_create": (
        lambda s, a: services.project_create(estate=s["estate"], title="新项目", budget=D("1000"), actor=a),
        NOT_CHANGERS,
    ),
    "project_update": (
        lambda s, a: services.project_update(project=s["project"], title="改名", actor=a),
        NOT_CHANGERS,
    ),
    "project_start": (
        lambda s, a: services.project_start(project=s["project"], on=datetime.date(2026, 2, 2), actor=a),
        NOT_CHANGERS,
    ),
    "project_milestone_add": (
        lambda s, a: services.project_milestone_add(project=s["project"], title="验收", actor=a),
        NOT_CHANGERS,
    ),
    "project_milestone_reach": (
        lambda s, a: services.project_milestone_reach(
            milestone=s["milestone"], reached_on=datetime.date(2026, 2, 5), actor=a
        ),
        NOT_CHANGERS,
    ),
    "project_accept": (
        lambda s, a: services.project_accept(
            project=s["project"],
            accepted_on=datetime.date(2026, 2, 20),
            actual_end=datetime.date(2026, 2, 18),
            actual_cost=D("250000"),
            actor=a,
        ),
        NOT_CHANGERS,
    ),
    "ledger_open": (
        lambda s, a: services.ledger_open(
            estate=s["estate"], opening_balance=D("100"), on=datetime.date(2026, 2, 1), voucher=voucher(), actor=a
        ),
        NOT_CHANGERS,
    ),
    "transaction_post": (
        lambda s, a: services.transaction_post(
            estate=s["estate"], date=datetime.date(2026, 2, 1), memo="收入", legs=_legs(s), voucher=voucher(), actor=a
        ),
        NOT_CHANGERS,
    ),
    "income_record": (
        lambda s, a: services.income_record(
            estate=s["estate"],
            source="4001",
            amount=D("10"),
            date=datetime.date(2026, 2, 1),
            memo="广告",
            voucher=voucher(),
            actor=a,
        ),
        NOT_CHANGERS,
    ),
    "transaction_reverse": (
        lambda s, a: services.transaction_reverse(transaction=s["entry"], reason="录错", actor=a),
        NOT_CHANGERS,
    ),
    "ledger_check": (lambda s, a: services.ledger_check(estate=s["estate"], actor=a), NOT_READERS),
    "voucher_open": (lambda s, a: services.voucher_open(transaction=s["entry"], actor=a), NOT_READERS),
    "spending_request_create": (
        lambda s, a: services.spending_request_create(
            estate=s["estate"], payee="某公司", purpose=s["ledger"]["5102"], amount=D("100"), actor=a
        ),
        NOT_CHANGERS,
    ),
    "spending_approve": (
        lambda s, a: services.spending_approve(
            request=s["small"], stage=Stage.COMMITTEE, decision=s["decision"], seen="纪要", actor=a
        ),
        (*NOT_CHANGERS, SYSTEM),
    ),
    "spending_approve[supervision]": (
        lambda s, a: services.spending_approve(
            request=s["to_supervise"], stage=Stage.SUPERVISION, seen="报价", actor=a
        ),
        ("committee_member", "secretary_a", "resident", "reviewer", SYSTEM),
    ),
    "spending_approve[discipline]": (
        lambda s, a: services.spending_approve(request=s["to_review"], stage=Stage.DISCIPLINE, seen="合同", actor=a),
        ("committee_member", "secretary_a", "street_staff", "auditor", "supervisor", SYSTEM),
    ),
    "spending_object": (
        lambda s, a: services.spending_object(
            request=s["to_supervise"], stage=Stage.SUPERVISION, reason="报价偏高", actor=a
        ),
        ("committee_member", "secretary_a", "resident", "reviewer", SYSTEM),
    ),
    "spending_pay": (
        lambda s, a: services.spending_pay(
            request=s["approved"], date=datetime.date(2026, 2, 10), voucher=voucher(), actor=a
        ),
        NOT_CHANGERS,
    ),
    "statement_publish": (
        lambda s, a: services.statement_publish(
            estate=s["estate"], period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 1, 31), actor=a
        ),
        NOT_CHANGERS,
    ),
}

# Not writes: a pure rule and a lookup.
NOT_WRITES = {"committee_meeting_outcome", "account"}


def test_every_write_service_has_a_row():
    written = {name for name in services.__all__ if name.islower() and callable(getattr(services, name))}
    assert written - NOT_WRITES == {name.split("[")[0] for name in CALLS}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_write_service_refuses_an_actor_without_the_right_and_changes_nothing(name, scene, cast):
    call, refused = CALLS[name]
    actors = {**cast, "supervisor": scene["supervisor"]}
    before = snapshot()
    for who in (*refused, None):
        actor = actors[who] if isinstance(who, str) else who
        with pytest.raises(NotPermitted):
            call(scene, actor)
        assert snapshot() == before, f"{name} refused {who!r} but changed the database"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_write_service_lets_the_system_act(name, scene, cast):
    """The control: the same call succeeds for an actor with the right, so a refusal above was about the actor."""
    call, _refused = CALLS[name]
    allowed = {
        "spending_approve": cast["committee_member"],
        "spending_approve[supervision]": scene["supervisor"],
        "spending_object": scene["supervisor"],
        "spending_approve[discipline]": cast["reviewer"],
    }.get(name, SYSTEM)
    call(scene, allowed)
