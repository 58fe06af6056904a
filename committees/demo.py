"""Demo data of the committees layer for the reference estate 南方上格林 (docs/domain.md §8).

The current owners' committee (9 members, 6 of them party members, chaired by the general
branch secretary aged 73: 一肩挑), its supervision group, the property company with its
contract and party branch, the fire-main renovation (5 expert party members saved over
400,000 yuan and more than a month), a committee meeting for each of the past twelve
months, and a year of public-revenue ledger history with quarterly statements published.

Builds on the governance and residents demos. Idempotent: each part is skipped when it is
already there. Everything is written through ``committees.services``.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from committees import selectors, services
from committees.models import (
    CommitteeStatus,
    Decision,
    LedgerTransaction,
    Meeting,
    MeetingKind,
    OwnersCommittee,
    Project,
    PropertyCompany,
    ServiceContract,
    SpendingRequest,
    Stage,
    Statement,
    SupervisionGroup,
)
from governance import services as governance_services
from governance.demo import DEMO_PASSWORD, ensure_person
from governance.models import (
    Organization,
    OrgFunction,
    OrgKind,
    Place,
    PlaceKind,
    Post,
    PostBody,
    PostKind,
    Role,
    RoleAssignment,
    User,
)
from governance.scoping import SYSTEM
from residents import services as residents_services
from residents.models import Owner, PartyMember

REFERENCE_ESTATE = "南方上格林"
TERM_START = datetime.date(2023, 6, 18)
COMPANY = "重庆南方物业服务有限公司"
FIRE_MAIN = "消防主管网改造工程"
# The fire main's milestones: (title, planned, reached, what was found).
FIRE_MAIN_MILESTONES = (
    (
        "设计方案及工程量清单审定",
        datetime.date(2025, 3, 20),
        datetime.date(2025, 3, 15),
        "专家组优化管径与走向，核减工程量。",
    ),
    ("主管网敷设完成", datetime.date(2025, 6, 30), datetime.date(2025, 6, 12), "隐蔽工程经专家组与监督组现场查验。"),
    ("管网试压及消防联动测试", datetime.date(2025, 8, 15), datetime.date(2025, 7, 22), "试压合格，消防联动正常。"),
)
D = Decimal

# The property company's reasonable cost of collecting public revenue, paid each quarter
# (like every payment, through a spending request approved by the committee).
QUARTERLY_COST = "公共收益代收代管成本"
# Approved spendings of the year: (month offset from the start, payee, purpose account, amount, description).
SPENDINGS = [
    (2, "重庆安居门禁科技有限公司", "5101", D("8600.00"), "3栋、7栋单元门禁维修"),
    (5, "重庆童乐游乐设备有限公司", "5101", D("36800.00"), "中心花园儿童游乐设施更新"),
    (8, "重庆市政管道工程有限公司", "5101", D("68000.00"), "雨污管网疏通及破损段改造"),
    (10, "南桥苑社区文体队", "5102", D("4200.00"), "重阳节敬老活动"),
]


def _voucher(label: str) -> ContentFile:
    """A stand-in voucher: vouchers must be documents (PDF, images, Office files), checked by content."""
    return ContentFile(b"%PDF-1.4\n% " + f"演示凭证：{label}".encode() + b"\n%%EOF\n", name="voucher.pdf")


def _actor(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def load(*, stdout) -> None:
    estate = Place.objects.filter(kind=PlaceKind.ESTATE, name=REFERENCE_ESTATE).first()
    if estate is None:
        stdout.write("committees: no reference estate (load the governance demo first); skipped")
        return
    with transaction.atomic():
        committee = _committee(estate)
        _officers(committee)
        _supervision_group(estate, committee)
        _property_company(estate)
        _fire_main(estate)
        _meetings(estate, committee)
        _ledger(estate)
        others = _hand_entered_committees(estate)
    stdout.write(
        f"committees: {OwnersCommittee.objects.filter(estate=estate).count()} committee(s), "
        f"{Meeting.objects.filter(estate=estate).count()} meetings, "
        f"{LedgerTransaction.objects.filter(estate=estate).count()} ledger entries, "
        f"{Statement.objects.filter(estate=estate).count()} published statements; "
        f"demo login {SUPERVISOR_USERNAME} (supervision group member, resident role); "
        f"{others} committee(s) of other estates entered by hand"
    )


def _hand_entered_committees(reference: Place) -> int:
    """Record the committees of the demo's other estates, which the governance demo names only by their chair.

    Coverage and every list count committee records (one count everywhere), so an estate the
    demo shows with a committee gets its record: elected before the platform, entered by hand,
    its chair and four members. Returns how many estates have such a committee.
    """
    chairs = (
        Post.objects.current()
        .filter(body=PostBody.OWNERS_COMMITTEE, kind=PostKind.CHAIR, place__kind=PlaceKind.ESTATE)
        .exclude(place=reference)
        .select_related("person", "place")
        .order_by("place__name")
    )
    count = 0
    for post in chairs:
        estate = post.place
        count += 1
        if OwnersCommittee.objects.filter(estate=estate, status=CommitteeStatus.CURRENT).exists():
            continue
        start = post.start or datetime.date(2022, 6, 1)
        members = [ensure_person(f"{estate.name}业委会委员{n}", estate) for n in range(1, 5)]
        services.committee_record(
            estate=estate,
            term_start=start,
            members=[(post.person, PostKind.CHAIR), *((m, PostKind.MEMBER) for m in members)],
            filed_on=start + datetime.timedelta(days=20),
            filing_reference=f"{estate.name}业委会备案",
            entered_by_hand=True,
            actor=SYSTEM,
        )
    return count


def _owner_people(estate: Place, *, party: bool, exclude: set[int], n: int) -> list:
    owners = Owner.objects.filter(place=estate, person__isnull=False, is_developer=False).exclude(person_id__in=exclude)
    owners = owners.filter(person__party_member__isnull=not party).select_related("person").order_by("pk")
    return [o.person for o in owners[:n]]


def _committee(estate: Place) -> OwnersCommittee | None:
    existing = OwnersCommittee.objects.filter(estate=estate, status=CommitteeStatus.CURRENT).first()
    if existing is not None:
        return existing
    chair_post = (
        Post.objects.current().filter(place=estate, body=PostBody.OWNERS_COMMITTEE, kind=PostKind.CHAIR).first()
    )
    if chair_post is None:
        return None
    chair = chair_post.person
    general = Organization.objects.filter(kind=OrgKind.ESTATE_GENERAL_BRANCH, place=estate).first()
    residents_services.owner_for_person(person=chair, estate=estate, actor=SYSTEM)
    if general is not None and not PartyMember.objects.filter(person=chair).exists():
        residents_services.party_member_register(person=chair, organization=general, actor=SYSTEM)
    # The demo ``resident`` sits on the supervision group, not on the committee.
    resident = _actor("resident")
    exclude = {chair.pk} | ({resident.person_id} if resident and resident.person_id else set())
    party = _owner_people(estate, party=True, exclude=exclude, n=5)
    others = _owner_people(estate, party=False, exclude=exclude, n=3)
    if len(party) + len(others) < 8:
        return None
    members = [(chair, PostKind.CHAIR), (party[0], PostKind.VICE_CHAIR)]
    members += [(p, PostKind.MEMBER) for p in party[1:] + others]
    branch = Organization.objects.filter(
        kind=OrgKind.FUNCTIONAL_BRANCH, function=OrgFunction.OWNERS_COMMITTEE, place=estate
    ).first()
    return services.committee_record(
        estate=estate,
        term_start=TERM_START,
        members=members,
        party_branch=branch,
        filed_on=TERM_START + datetime.timedelta(days=17),
        filing_reference="观街业备〔2023〕17号",
        entered_by_hand=True,
        actor=SYSTEM,
    )


def _officers(committee: OwnersCommittee | None) -> None:
    """The first meeting's election of officers, if the committee (e.g. from an election) has none yet.

    The chair is the general-branch secretary when elected (一肩挑), else the first elected
    party member; the vice-chair is the next party member.
    """
    if committee is None:
        return
    posts = list(Post.objects.current().filter(pk__in=committee.posts.values("pk")).select_related("person"))
    if any(p.kind == PostKind.CHAIR for p in posts):
        return
    secretaries = set(
        Post.objects.current()
        .filter(place=committee.estate, body=PostBody.PARTY, kind=PostKind.SECRETARY)
        .values_list("person_id", flat=True)
    )
    party = set(PartyMember.objects.filter(person__in=[p.person for p in posts]).values_list("person_id", flat=True))
    ranked = sorted(posts, key=lambda p: (p.person_id not in secretaries, p.person_id not in party, p.pk))
    # The first meeting, within 7 days of the election.
    on = min(committee.term_start + datetime.timedelta(days=6), timezone.localdate())
    services.committee_assign_post(
        committee=committee, person=ranked[0].person, kind=PostKind.CHAIR, on=on, actor=SYSTEM
    )
    if len(ranked) > 1:
        services.committee_assign_post(
            committee=committee, person=ranked[1].person, kind=PostKind.VICE_CHAIR, on=on, actor=SYSTEM
        )


SUPERVISOR_USERNAME = "supervisor"


def _supervisor_user(person) -> User | None:
    """A demo login for a member of the supervision group, so that the sign-off can be tried."""
    user = User.objects.filter(username=SUPERVISOR_USERNAME).first()
    if user is None and not User.objects.filter(person=person).exists():
        user = governance_services.user_create(
            username=SUPERVISOR_USERNAME, password=DEMO_PASSWORD, person=person, actor=SYSTEM
        )
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if user is not None and admin is not None:
        estate = Place.objects.get(kind=PlaceKind.ESTATE, name=REFERENCE_ESTATE)
        if not RoleAssignment.objects.filter(user=user, role=Role.RESIDENT, place=estate).exists():
            governance_services.role_assignment_create(user=user, role=Role.RESIDENT, place=estate, actor=admin)
    return user


def _supervision_group(estate: Place, committee: OwnersCommittee | None) -> None:
    if SupervisionGroup.objects.filter(estate=estate).exists():
        return
    members_of_committee = set(
        Post.objects.current().filter(place=estate, body=PostBody.OWNERS_COMMITTEE).values_list("person_id", flat=True)
    )
    candidates = (
        Owner.objects.filter(place=estate, person__isnull=False, is_developer=False, person__party_member__isnull=True)
        .exclude(person_id__in=members_of_committee)
        .exclude(person__user__isnull=False)
        .order_by("-pk")
    )
    owners = list(candidates[:3])
    resident = _actor("resident")
    demo_owner = Owner.objects.filter(person_id=resident.person_id).first() if resident and resident.person_id else None
    if demo_owner is not None and demo_owner.person_id not in members_of_committee:
        owners.append(demo_owner)  # so that the demo ``resident`` can sign off spending
    if owners:
        _supervisor_user(owners[0].person)
        services.supervision_group_create(
            estate=estate,
            term_start=TERM_START + datetime.timedelta(days=13),
            term_end=TERM_START.replace(year=TERM_START.year + 5),
            members=owners,
            actor=SYSTEM,
        )


def _property_company(estate: Place) -> None:
    company = PropertyCompany.objects.filter(name=COMPANY).first()
    if company is None:
        branch = Organization.objects.filter(
            kind=OrgKind.FUNCTIONAL_BRANCH, function=OrgFunction.PROPERTY_COMPANY, place=estate
        ).first()
        company = services.property_company_create(
            name=COMPANY, place=estate.parent, party_branch=branch, contact="物业项目经理 周先生", actor=SYSTEM
        )
    if ServiceContract.objects.filter(estate=estate, company=company).exists():
        return
    contract = services.service_contract_create(
        estate=estate,
        company=company,
        start=datetime.date(2024, 1, 1),
        end=datetime.date(2026, 12, 31),
        fee_per_m2_month=D("2.20"),
        notes="经2023年12月业主大会表决续聘，合同期三年。",
        actor=SYSTEM,
    )
    for noted_on, rating, text in (
        (datetime.date(2024, 6, 30), 3, "上半年考评：保洁、绿化达标；电梯困人响应偏慢，已约谈整改。"),
        (datetime.date(2024, 12, 31), 4, "全年考评：电梯维保整改到位，业主满意度测评86分。"),
        (datetime.date(2025, 6, 30), 4, "消防管网改造期间配合施工、临时供水安排得当。"),
        (datetime.date(2025, 12, 31), 5, "全年考评：满意度测评92分；物业党支部参与“红色物业”服务。"),
    ):
        services.performance_note_create(contract=contract, noted_on=noted_on, rating=rating, text=text, actor=SYSTEM)


def _fire_main(estate: Place) -> None:
    if Project.objects.filter(estate=estate, title=FIRE_MAIN).exists():
        return
    experts = []
    for code in ("engineer", "cost_engineer", "fire_safety", "lawyer", "accountant"):
        member = (
            PartyMember.objects.filter(organization__place=estate, skills__code=code)
            .exclude(pk__in=[m.pk for m in experts])
            .order_by("pk")
            .first()
        )
        if member is not None:
            experts.append(member)
    project = services.project_create(
        estate=estate,
        title=FIRE_MAIN,
        description="更换全小区老化锈蚀的消防主管网及阀门。5名具备工程、造价、消防、法律、财务专长的党员组成专家组，"
        "优化设计方案、审核工程量清单并全程监督施工。",
        budget=D("1280000.00"),
        contractor="重庆渝安消防工程有限公司",
        planned_start=datetime.date(2025, 3, 1),
        planned_end=datetime.date(2025, 8, 31),
        experts=experts,
        actor=SYSTEM,
    )
    milestones = [
        (
            services.project_milestone_add(project=project, title=title, planned_on=planned, actor=SYSTEM),
            reached,
            note,
        )
        for title, planned, reached, note in FIRE_MAIN_MILESTONES
    ]
    services.project_start(project=project, on=datetime.date(2025, 3, 1), actor=SYSTEM)
    for milestone, reached, note in milestones:
        services.project_milestone_reach(milestone=milestone, reached_on=reached, note=note, actor=SYSTEM)
    services.project_accept(
        project=project,
        accepted_on=datetime.date(2025, 7, 30),
        actual_end=datetime.date(2025, 7, 25),
        actual_cost=D("856400.00"),
        note="业委会、事务监督组、社区党委与专家组共同验收：管网试压合格，消防联动正常；比预算节省423,600元，提前37天完工。",
        actor=SYSTEM,
    )


def _months(today: datetime.date, n: int = 12) -> list[datetime.date]:
    """The first day of each of the last ``n`` months, oldest first (the current month last)."""
    first = today.replace(day=1)
    months = []
    for _ in range(n):
        months.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return months[::-1]


TOPICS = (
    "停车位收费及公共收益使用情况",
    "物业服务季度考评",
    "小区绿化补植方案",
    "电梯安全检查整改",
    "垃圾分类督导安排",
    "消防通道清理",
    "外墙渗水维修",
    "防汛准备",
    "业主议事会意见办理",
    "公共收益季度公示",
    "充电桩安装方案",
    "年度工作总结",
)


def _meetings(estate: Place, committee: OwnersCommittee | None) -> None:
    """A committee meeting each month (published but the current one's), a deliberation council, a talk."""
    if committee is None or Meeting.objects.filter(estate=estate).exists():
        return
    rng = random.Random(2026)
    today = timezone.localdate()
    members = list(
        Post.objects.current()
        .filter(pk__in=committee.posts.values("pk"))
        .select_related("person")
        .order_by("kind", "pk")
    )
    people = [p.person for p in members]
    for i, month in enumerate(_months(today)):
        _monthly_meeting(estate, i, month, today, people, rng)
    for when, kind, title in (
        (_months(today)[3].replace(day=20), MeetingKind.DELIBERATION, "业主议事会：停车位分配及收费调整"),
        (_months(today)[7].replace(day=15), MeetingKind.HEART_TO_HEART, "党员业主恳谈会：雨污管网改造听取意见"),
    ):
        meeting = services.meeting_create(
            estate=estate,
            kind=kind,
            title=title,
            held_at=timezone.make_aware(datetime.datetime.combine(when, datetime.time(19))),
            location="小区党群服务站",
            agenda=[title.split("：")[-1]],
            actor=SYSTEM,
        )
        services.meeting_record_attendance(
            meeting=meeting, attendees=people[:5], party_org=True, property_company=True, actor=SYSTEM
        )
        services.meeting_record_minutes(
            meeting=meeting, minutes=f"{title}。与会业主充分发表意见，形成建议提交业委会。", actor=SYSTEM
        )
        services.meeting_publish_minutes(meeting=meeting, actor=SYSTEM)


def _monthly_meeting(estate: Place, i: int, month: datetime.date, today: datetime.date, people, rng) -> None:
    """The committee's meeting of ``month``: attendance, the decisions (quarterly costs, the year's spendings)."""
    held = datetime.datetime(month.year, month.month, 8, 19, 0, tzinfo=timezone.get_current_timezone())
    if held.date() > today:
        held = datetime.datetime(
            today.year, today.month, max(today.day - 1, 1), 19, 0, tzinfo=timezone.get_current_timezone()
        )
    topic = TOPICS[i % len(TOPICS)]
    meeting = services.meeting_create(
        estate=estate,
        kind=MeetingKind.COMMITTEE,
        title=f"业委会{month.year}年{month.month}月例会",
        held_at=held,
        location="小区党群服务站",
        agenda=[topic, "公共收益收支情况通报"],
        actor=SYSTEM,
    )
    present = people if rng.random() < 0.6 else people[: len(people) - rng.choice((1, 2))]
    services.meeting_record_attendance(
        meeting=meeting,
        attendees=present,
        party_org=True,
        property_company=rng.random() < 0.7,
        supervision_group=rng.random() < 0.5,
        actor=SYSTEM,
    )
    decisions = [f"同意{topic}的处理意见，由物业及相关委员落实。"]
    if month.month % 3 == 0:
        decisions.append(f"同意支付{QUARTERLY_COST}（{month.year}年第{month.month // 3}季度）。")
    for text in decisions:
        services.decision_record(
            meeting=meeting, text=text, votes_for=len(present), actor=SYSTEM, party_org_participated=True
        )
    spending = {offset: (payee, desc) for offset, payee, _acc, _amount, desc in SPENDINGS}.get(i)
    if spending is not None:
        services.decision_record(
            meeting=meeting,
            text=f"同意使用公共收益支付“{spending[1]}”费用（收款方：{spending[0]}）。",
            votes_for=len(present) - 1,
            votes_abstain=1,
            is_major=True,
            party_org_participated=True,
            actor=SYSTEM,
        )
    services.meeting_record_minutes(
        meeting=meeting,
        minutes=f"会议由主任主持，应到委员{len(people)}人，实到{len(present)}人，社区党委列席。会议听取了{topic}的情况汇报，"
        "通报了上月公共收益收支，形成决定如下（见决定事项）。",
        actor=SYSTEM,
    )
    if month.month != today.month or month.year != today.year:
        services.meeting_publish_minutes(meeting=meeting, actor=SYSTEM)


def _ledger(estate: Place) -> None:
    """A year of public revenue: opening balance, monthly income, a corrected entry, paid spending, statements."""
    if LedgerTransaction.objects.filter(estate=estate).exists():
        return
    rng = random.Random(282)
    today = timezone.localdate()
    months = _months(today)
    committee_user = _actor("committee") or SYSTEM
    people = (committee_user, _actor(SUPERVISOR_USERNAME), _actor("reviewer"))
    services.ledger_open(
        estate=estate,
        opening_balance=D("186420.35"),
        on=months[0] - datetime.timedelta(days=1),
        voucher=_voucher("上年度公共收益结余审计报告"),
        actor=committee_user,
    )
    costs = [_monthly_income(estate, month, today, rng, committee_user) for month in months]
    # A mistaken entry and its correction, as the ledger records corrections.
    mistaken = services.income_record(
        estate=estate,
        source="4002",
        amount=D("1280.00"),
        date=min(months[4].replace(day=12), today),
        memo="临时停车收入（重复录入）",
        voucher=_voucher("停车收费日报"),
        actor=committee_user,
    )
    services.transaction_reverse(
        transaction=mistaken,
        reason="与当月停车收入月报重复，冲销",
        date=min(months[4].replace(day=13), today),
        actor=committee_user,
    )
    purposes = {a.code: a for a in selectors.ledger_accounts(estate)}
    for month, amount in ((m, c) for m, c in zip(months, costs, strict=True) if c is not None):
        decision = Decision.objects.filter(
            meeting__estate=estate, text__contains=f"{QUARTERLY_COST}（{month.year}年第{month.month // 3}季度）"
        ).first()
        _spend(estate, month, today, COMPANY, purposes["5001"], amount, QUARTERLY_COST, decision, people, paid_on=25)
    for offset, payee, code, amount, desc in SPENDINGS:
        decision = Decision.objects.filter(meeting__estate=estate, text__contains=desc, passed=True).first()
        _spend(estate, months[offset], today, payee, purposes[code], amount, desc, decision, people, paid_on=20)
    for period_start, period_end in _completed_quarters(months[0], today):
        services.statement_publish(
            estate=estate, period_start=period_start, period_end=period_end, actor=committee_user
        )


def _monthly_income(estate: Place, month: datetime.date, today: datetime.date, rng, actor) -> D | None:
    """Record a month's parking and advertising income (and a quarter's rent); return the quarter's cost, if due."""

    def on(day: int) -> datetime.date:
        return min(month.replace(day=day), today)

    services.income_record(
        estate=estate,
        source="4002",
        amount=D(rng.randrange(1780000, 2240000)) / 100,
        date=on(5),
        memo=f"{month.month}月地面停车位临时停车收入",
        voucher=_voucher("停车收费月报表"),
        actor=actor,
    )
    services.income_record(
        estate=estate,
        source="4001",
        amount=D(rng.choice((420000, 465000, 512050, 600000))) / 100,
        date=on(6),
        memo=f"{month.month}月电梯及道闸广告收入",
        voucher=_voucher("广告合同及到账凭证"),
        actor=actor,
    )
    if month.month % 3:
        return None
    services.income_record(
        estate=estate,
        source="4003",
        amount=D("9000.00"),
        date=on(10),
        memo="架空层场地租赁（季度租金）",
        voucher=_voucher("场地租赁合同"),
        actor=actor,
    )
    return D(rng.randrange(320000, 480000)) / 100


def _spend(estate, month, today, payee, purpose, amount, desc, decision, people, *, paid_on: int) -> None:
    """Request, approve (every stage the amount needs) and pay one spending of ``month``."""
    committee_user, supervisor, reviewer = people
    request = services.spending_request_create(
        estate=estate,
        payee=payee,
        purpose=purpose,
        amount=amount,
        requested_on=min(month.replace(day=3), today),
        description=desc,
        actor=committee_user,
    )
    if decision is None or committee_user is SYSTEM:
        return  # an approval is signed by a person: without the demo users it stays pending

    def at(day: int, hour: int) -> datetime.datetime:
        when = datetime.datetime(month.year, month.month, day, hour, tzinfo=timezone.get_current_timezone())
        return min(when, timezone.now())

    services.spending_approve(
        request=request,
        stage=Stage.COMMITTEE,
        decision=decision,
        seen=f"业委会会议决定、{desc}报价单或明细",
        actor=committee_user,
        at=at(9, 10),
    )
    stages = request.required_stages()
    if Stage.SUPERVISION in stages:
        if (
            supervisor is None
            or not SupervisionGroup.objects.filter(estate=estate, members__person_id=supervisor.person_id).exists()
        ):
            return
        services.spending_approve(
            request=request, stage=Stage.SUPERVISION, seen="比价记录、现场查看", actor=supervisor, at=at(12, 16)
        )
    if Stage.DISCIPLINE in stages:
        if reviewer is None:
            return
        services.spending_approve(
            request=request, stage=Stage.DISCIPLINE, seen="合同草案、预算审核意见", actor=reviewer, at=at(15, 15)
        )
    services.spending_pay(
        request=SpendingRequest.objects.get(pk=request.pk),
        date=min(month.replace(day=paid_on), today),
        voucher=_voucher(f"{desc}发票及验收单"),
        actor=committee_user,
    )


def _completed_quarters(first: datetime.date, today: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    quarters = []
    start, end = selectors.quarter_of(first)
    if start < first:
        start, end = selectors.quarter_of(end + datetime.timedelta(days=1))
    while end < today:
        quarters.append((start, end))
        start, end = selectors.quarter_of(end + datetime.timedelta(days=1))
    return quarters
