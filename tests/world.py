"""A small world with an object of every kind, for the tests that cross every app (the permission matrix).

Two streets, a community in each, estate A (南方上格林, community A) with everything an estate can
hold, estate B (community B) with its own resident, and a self-managed estate S in community A
(building heads, volunteers, duty rosters). One user per role of the matrix. Everything is written
through the services as the platform (``SYSTEM``), so every rule holds as it would in production.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from committees import services as committees
from committees.models import MeetingKind, Stage
from elections import services as elections
from elections.models import Channel, NominatedBy, VoteKind, VoteStatus
from elections.tests.factories import VALID_GROUP, make_vote, open_resolution
from governance import services as governance
from governance.models import OrgKind, PlaceKind, PostBody, PostKind, RoleAssignment, User
from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory, district_world, org, place
from oversight import services as oversight
from oversight.models import DutyKind, NoticeKind, Obligation
from residents import services as residents
from residents.models import Owner, Ownership, PropertyUnit, Skill

D = Decimal
PDF = b"%PDF-1.4 matrix test document"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# The roles of the matrix, in the order of the table's columns.
ROLES = (
    "anonymous",
    "resident_a",
    "resident_b",
    "clerk",
    "committee",
    "supervisor",
    "secretary_a",
    "secretary_b",
    "street",
    "auditor",
    "reviewer",
    "admin",
)


def pdf(name: str = "document.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def _user(username: str, role: str | None = None, place=None, **extra) -> User:
    person = PersonFactory(name=f"{username}的主人", place=place)
    user = User.objects.create(username=username, person=person, **extra)
    if role:
        RoleAssignment.objects.create(user=user, role=role, place=place)
    return user


def _unit(building, room: str, area: str = "100.00") -> PropertyUnit:
    return PropertyUnit.objects.create(
        building=building,
        estate=building.estate,
        stairway="1",
        room=room,
        registered_area=D(area),
        area=D(area),
        area_source="registered",
    )


def _owner(unit: PropertyUnit, person) -> Owner:
    owner = Owner.objects.create(kind="person", person=person, place=unit.estate)
    Ownership.objects.create(unit=unit, owner=owner, start=datetime.date(2015, 1, 1))
    return owner


def _fresh(w: dict) -> None:
    """Read the places again (tree writes move their neighbours' positions)."""
    for key in w["places"]:
        w[key].refresh_from_db()


def build() -> dict:
    """Build the world; return every object the matrix names, by key."""
    w: dict = {"today": timezone.localdate(), "now": timezone.now()}
    places = district_world()
    estate_s = place(PlaceKind.ESTATE, "自管小区", places["community_a"], self_managed=True)
    places.update(estate_s=estate_s, building_s=place(PlaceKind.BUILDING, "1栋", estate_s))
    w.update(places)
    w["places"] = sorted(places)
    for step in (_cast, _party, _register, _votes, _committees, _ledger, _oversight, _self_management, _notices):
        _fresh(w)
        step(w)
    _fresh(w)
    return w


def _cast(w: dict) -> None:
    """One user per role of the matrix, and two users whose roles the matrix grants and withdraws."""
    a, b = w["estate_a"], w["estate_b"]
    users = {
        "admin": _user("admin", is_superuser=True, is_staff=True),
        "auditor": _user("auditor", "district_auditor", w["district"]),
        "reviewer": _user("reviewer", "discipline_reviewer", w["street_a"]),
        "street": _user("street", "street_staff", w["street_a"]),
        "secretary_a": _user("secretary_a", "community_secretary", w["community_a"], is_staff=True),
        "secretary_b": _user("secretary_b", "community_secretary", w["community_b"], is_staff=True),
        "committee": _user("committee", "committee_member", a),
        "clerk": _user("clerk", "clerk", a),
        "resident_a": _user("resident_a", "resident", a),
        "resident_b": _user("resident_b", "resident", b),
        "supervisor": _user("supervisor", "resident", a),
    }
    w["users"] = users
    # A user whose role the matrix withdraws, and one it grants a role to.
    w["helper"] = _user("helper", "resident", a)
    w["helper_role"] = RoleAssignment.objects.get(user=w["helper"])
    w["newcomer"] = _user("newcomer")
    RoleAssignment.objects.create(user=w["newcomer"], role="resident", place=a)


def _party(w: dict) -> None:
    """Party organizations, a post, a person with personal data."""
    a, users = w["estate_a"], w["users"]
    w["community_committee_a"] = org(OrgKind.COMMUNITY_COMMITTEE, "南桥苑社区党委", w["community_a"])
    _fresh(w)
    w["branch_a"] = org(OrgKind.ESTATE_GENERAL_BRANCH, "南方上格林党总支", a, w["community_committee_a"])
    # A branch with no members and no children: what a DELETE may remove.
    w["branch_empty"] = org(OrgKind.RESIDENT_BRANCH, "第九党支部", a, w["branch_a"])
    w["post"] = governance.post_create(
        person=users["secretary_a"].person,
        kind=PostKind.SECRETARY,
        body=PostBody.PARTY,
        organization=w["community_committee_a"],
        actor=SYSTEM,
    )
    w["person"] = governance.person_create(
        name="王芳", place=a, id_number="500105196001010017", phone="13800138000", actor=SYSTEM
    )
    _fresh(w)


def _register(w: dict) -> None:
    """Units, owners, a resident, a party member and a register import."""
    a, users, today = w["estate_a"], w["users"], w["today"]
    b1, b3 = w["building_a1"], w["building_b1"]
    w["unit_a"] = _unit(b1, "101")
    w["owner_a"] = _owner(w["unit_a"], users["resident_a"].person)
    w["ownership_a"] = Ownership.objects.get(owner=w["owner_a"])
    w["unit_supervisor"] = _unit(b1, "102")
    w["owner_supervisor"] = _owner(w["unit_supervisor"], users["supervisor"].person)
    others = [_owner(_unit(b1, str(201 + i)), PersonFactory(place=a)) for i in range(4)]
    w["owner_proxied"], w["owner_paper"], w["owner_candidate"] = others[:3]
    w["unit_b"] = _unit(b3, "101")
    w["owner_b"] = _owner(w["unit_b"], users["resident_b"].person)
    _owner(_unit(w["building_s"], "101"), PersonFactory(place=w["estate_s"]))
    w["resident"] = residents.resident_move_in(
        unit=w["unit_a"],
        person=users["resident_a"].person,
        relation="owner",
        on=datetime.date(2016, 1, 1),
        actor=SYSTEM,
    )
    w["party_member"] = residents.party_member_register(
        person=w["person"],
        organization=w["branch_a"],
        in_service=True,
        registered_on=datetime.date(2020, 1, 1),
        actor=SYSTEM,
    )
    residents.participation_record(member=w["party_member"], date=today, activity="清扫楼道", actor=SYSTEM)
    w["skill"] = Skill.objects.order_by("pk").first()
    w["import_job"] = residents.register_import_submit(
        estate=a,
        file=SimpleUploadedFile("register.csv", b"building,stairway,room\n", content_type="text/csv"),
        actor=SYSTEM,
        run=False,
    )
    _fresh(w)


def _votes(w: dict) -> None:
    """Votes: a draft, an election in nomination, a resolution in voting."""
    a = w["estate_a"]
    w["vote_draft"] = make_vote(a, title="更换物业")
    election = make_vote(a, kind=VoteKind.COMMITTEE_ELECTION, seats=5, title="第二届业委会选举")
    elections.preparatory_group_record(vote=election, members=VALID_GROUP, actor=SYSTEM)
    elections.vote_transition(vote=election, to=VoteStatus.NOMINATION, actor=SYSTEM)
    w["candidate"] = elections.candidate_nominate(
        vote=election, owner=w["owner_candidate"], nominated_by=NominatedBy.OWNERS, actor=SYSTEM
    )
    w["vote_election"] = election
    voting = open_resolution(a, title="使用维修资金")
    w["vote_voting"] = voting
    w["ballot"] = elections.ballot_cast(
        vote=voting, channel=Channel.PHONE, owner_id=w["owner_paper"].pk, choice="for", reference="电话-1", actor=SYSTEM
    )
    w["proxy"] = elections.proxy_register(
        vote=voting, owner=w["owner_proxied"], name="李四", mandate=pdf("mandate.pdf"), actor=SYSTEM
    )
    elections.paper_serials_issue(vote=voting, serials=["P-001", "P-002"], actor=SYSTEM)
    w["box"] = elections.ballot_box_seal(vote=voting, label="流动票箱1", channel=Channel.MOBILE_BOX, actor=SYSTEM)
    _fresh(w)


def _committees(w: dict) -> None:
    """The committee, its meetings, a supervision group, property, a project."""
    a, b, today = w["estate_a"], w["estate_b"], w["today"]
    members = [PersonFactory(place=a) for _ in range(5)]
    kinds = [PostKind.CHAIR] + [PostKind.MEMBER] * 4
    w["committee"] = committees.committee_record(
        estate=a, term_start=datetime.date(2024, 1, 1), members=list(zip(members, kinds, strict=True)), actor=SYSTEM
    )
    w["committee_members"] = members
    month_ago = today - datetime.timedelta(days=40)
    w["accounts"] = {acc.code: acc for acc in committees.ledger_open(estate=a, actor=SYSTEM)}
    w["account_bank"] = w["accounts"]["1001"]
    w["income"] = committees.income_record(
        estate=a,
        source="4002",
        amount=D("200000.00"),
        date=month_ago,
        memo="停车收入",
        voucher=pdf("r.pdf"),
        actor=SYSTEM,
    )
    committees.ledger_open(estate=b, actor=SYSTEM)
    held = timezone.make_aware(datetime.datetime.combine(month_ago, datetime.time(19)))
    meeting = committees.meeting_create(
        estate=a, kind=MeetingKind.COMMITTEE, title="例会", held_at=held, agenda=["支出"], actor=SYSTEM
    )
    committees.meeting_record_attendance(meeting=meeting, attendees=members, actor=SYSTEM)
    committees.meeting_record_minutes(meeting=meeting, minutes="会议纪要", actor=SYSTEM)
    w["decision"] = committees.decision_record(meeting=meeting, text="同意支付保洁费", votes_for=5, actor=SYSTEM)
    w["attachment"] = committees.meeting_attach(meeting=meeting, title="签到表", file=pdf("sign.pdf"), actor=SYSTEM)
    committees.meeting_publish_minutes(meeting=meeting, actor=SYSTEM)
    w["meeting"] = meeting
    w["meeting_open"] = committees.meeting_create(
        estate=a, kind=MeetingKind.DELIBERATION, title="议事会", held_at=held, actor=SYSTEM
    )
    committees.meeting_record_minutes(meeting=w["meeting_open"], minutes="议事纪要（未公开）", actor=SYSTEM)
    w["group"] = committees.supervision_group_create(
        estate=a, term_start=datetime.date(2024, 1, 1), members=[w["owner_supervisor"]], actor=SYSTEM
    )
    w["company"] = committees.property_company_create(name="某物业公司", place=w["community_a"], actor=SYSTEM)
    w["contract"] = committees.service_contract_create(
        estate=a,
        company=w["company"],
        start=datetime.date(2024, 1, 1),
        end=datetime.date(2028, 12, 31),
        fee_per_m2_month=D("2.00"),
        actor=SYSTEM,
    )
    committees.performance_note_create(contract=w["contract"], noted_on=month_ago, text="保洁到位", actor=SYSTEM)
    w["project"] = committees.project_create(estate=a, title="消防主管改造", budget=D("300000"), actor=SYSTEM)
    w["milestone"] = committees.project_milestone_add(project=w["project"], title="管道进场", actor=SYSTEM)
    committees.project_start(project=w["project"], on=month_ago, actor=SYSTEM)


def _ledger(w: dict) -> None:
    """The ledger, spending requests at each stage, a published statement."""
    a, users, today = w["estate_a"], w["users"], w["today"]
    month_ago = today - datetime.timedelta(days=40)

    def spend(amount: str, stages: tuple) -> object:
        request = committees.spending_request_create(
            estate=a, payee=f"供应商{amount}", purpose=w["accounts"]["5101"], amount=D(amount), actor=SYSTEM
        )
        if Stage.COMMITTEE in stages:
            committees.spending_approve(
                request=request, stage=Stage.COMMITTEE, decision=w["decision"], seen="纪要", actor=users["committee"]
            )
        return request

    w["spending_approved"] = spend("6000.00", (Stage.COMMITTEE,))
    w["spending_new"] = spend("5000.00", ())
    w["spending_to_supervise"] = spend("20000.00", (Stage.COMMITTEE,))
    period_end = month_ago.replace(day=1) + datetime.timedelta(days=-1)
    period_start = period_end.replace(day=1)
    committees.income_record(
        estate=a,
        source="4001",
        amount=D("1000.00"),
        date=period_start,
        memo="广告",
        voucher=pdf("ad.pdf"),
        actor=SYSTEM,
    )
    w["statement"] = committees.statement_publish(
        estate=a, period_start=period_start, period_end=period_end, actor=SYSTEM
    )
    w["statement_period"] = (period_start, period_end)
    following = period_end + datetime.timedelta(days=1)
    w["next_period"] = (
        following,
        (following + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1),
    )
    _fresh(w)


def _oversight(w: dict) -> None:
    """Obligations, an opinion, rules, an audit, a petition, self-management, funds, a report."""
    a, users, today = w["estate_a"], w["users"], w["today"]
    month_ago = today - datetime.timedelta(days=40)
    oversight.obligations_for_meeting(meeting=w["meeting"], actor=SYSTEM)
    w["obligation"] = Obligation.objects.filter(estate=a).order_by("pk").first()
    w["opinion"] = oversight.intervention_record(
        opinion="请公开比价", spending_request=w["spending_to_supervise"], actor=users["reviewer"]
    )
    w["rules"] = oversight.revenue_rules_record(
        estate=a,
        title="公共收益管理办法",
        document=pdf("rules.pdf"),
        adopted_on=month_ago,
        decision=w["decision"],
        actor=SYSTEM,
    )
    w["audit"] = oversight.audit_plan(
        estate=a,
        period_start=datetime.date(today.year - 1, 1, 1),
        period_end=datetime.date(today.year - 1, 12, 31),
        auditor="某会计师事务所",
        plan="年度审计",
        actor=SYSTEM,
    )
    w["audit_action"] = oversight.audit_action_add(
        audit=w["audit"],
        description="补齐凭证",
        owner="业委会",
        due_on=today + datetime.timedelta(days=30),
        actor=SYSTEM,
    )
    w["petition"] = oversight.petition_create(
        received_on=month_ago,
        place=a,
        category="property",
        channel="visit",
        summary="电梯故障",
        petitioner_name="赵六",
        petitioner_contact="13900139000",
        actor=SYSTEM,
    )


def _self_management(w: dict) -> None:
    """The self-managed estate's building head, volunteer, roster and shift; funds sent down; a commissioner."""
    a, today, estate_s = w["estate_a"], w["today"], w["estate_s"]
    month_ago = today - datetime.timedelta(days=40)
    w["building_head"] = oversight.building_head_appoint(
        building=w["building_s"], person=PersonFactory(place=estate_s), start=month_ago, actor=SYSTEM
    )
    w["volunteer"] = oversight.volunteer_enrol(estate=estate_s, person=PersonFactory(place=estate_s), actor=SYSTEM)
    w["roster"] = oversight.duty_roster_create(
        estate=estate_s, kind=DutyKind.values[0], title="楼道保洁", weekdays=[0, 3], starts_on=month_ago, actor=SYSTEM
    )
    w["shift"] = oversight.duty_shift_assign(
        roster=w["roster"],
        date=today + datetime.timedelta(days=7 - today.weekday()),
        volunteer=w["volunteer"],
        actor=SYSTEM,
    )
    committees.ledger_open(estate=estate_s, actor=SYSTEM)
    w["fund"] = oversight.fund_allocate(
        community=w["community_a"],
        estate=estate_s,
        amount=D("5000.00"),
        purpose="楼道照明",
        voucher=pdf("fund.pdf"),
        allocated_on=month_ago,
        actor=SYSTEM,
    )
    cadre = PersonFactory(name="陈静", place=w["community_a"])
    governance.post_create(
        person=cadre, kind=PostKind.STAFF, body=PostBody.COMMUNITY_STAFF, place=w["community_a"], actor=SYSTEM
    )
    w["cadre"] = cadre
    w["commissioner"] = oversight.commissioner_appoint(estate=a, person=cadre, actor=SYSTEM)


def _notices(w: dict) -> None:
    """A report asked for by the auditor, and a notice for every user."""
    a, users, today = w["estate_a"], w["users"], w["today"]
    w["report"] = oversight.report_request(
        kind="overview",
        place=w["district"],
        start=datetime.date(today.year, 1, 1),
        end=today,
        format="csv",
        actor=users["auditor"],
    )
    w["notices"] = {
        role: oversight.notify(
            users=[user], key=f"matrix-{role}", kind=NoticeKind.values[0], title="测试通知", place=a
        )[0]
        for role, user in users.items()
    }
