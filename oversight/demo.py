"""Demo data of the oversight layer: the four musts over the district's estates, and the rest of issue 11.

Most estates are compliant (the reference estate 南方上格林, 北城华府, 石马河小区); 观音桥花园 and
鱼嘴安置房 have overdue obligations; 石马河小区's property petitions rise this month (flagged by the
early warning); 五里店新村 is a self-managed old estate with building heads, volunteers and duty
rosters, and received funds sent down by its community; every estate has a property-management
commissioner; three years of petitions reproduce the reference district's fall of the property
share (14.8% in 2019, 4.6% in 2020, 3.8% in 2021).

Builds on the lower layers' demos; runs after them. Idempotent: each part is skipped when it is
already there, and the sweep raises nothing twice. Everything is written through the services.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from committees import services as committees_services
from committees.models import Account, Decision, LedgerTransaction, Meeting, MeetingKind, SpendingRequest
from elections.models import Vote, VoteKind
from governance.demo import ensure_person, ensure_post
from governance.models import Organization, OrgKind, Place, PlaceKind, Post, PostBody, PostKind, User
from governance.scoping import SYSTEM
from oversight import selectors, services
from oversight.models import (
    Audit,
    BuildingHead,
    DutyRoster,
    FundAllocation,
    InterventionOpinion,
    Obligation,
    ObligationKind,
    ObligationState,
    Petition,
    RevenueRules,
    Volunteer,
)
from oversight.selectors.queues import UNDECIDED_VOTE
from residents import services as residents_services
from residents.models import PartyMember, Skill

REFERENCE_ESTATE = "南方上格林"
COMPLIANT = ("南方上格林", "北城华府", "石马河小区")
LAGGING = ("观音桥花园", "鱼嘴安置房")
RISING = "石马河小区"
SELF_MANAGED = "五里店新村"
# Property petitions of the whole district per year: (year, total, property) — 14.8%, 4.6%, 3.8%.
PETITION_YEARS = ((2019, 500, 74), (2020, 500, 23), (2021, 500, 19))
CATEGORIES = ("城乡建设", "房屋安置", "劳动社保", "生态环境", "政法治安", "其他")
CHANNELS = ("来访", "来信", "电话", "网上信访")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DAY = datetime.timedelta(days=1)


def _pdf(label: str) -> ContentFile:
    return ContentFile(b"%PDF-1.4\n% " + label.encode() + b"\n", name="document.pdf")


def _photo() -> ContentFile:
    return ContentFile(PNG, name="duty.png")


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _aware(day: datetime.date, hour: int = 19) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


def load(*, stdout) -> None:
    estates = {p.name: p for p in Place.objects.filter(kind=PlaceKind.ESTATE)}
    if REFERENCE_ESTATE not in estates:
        stdout.write("oversight: no demo district (load the governance demo first); skipped")
        return
    today = timezone.localdate()
    with transaction.atomic():
        _secretaries()
        _commissioners(estates)
        _assemblies(estates, today)
    # The sweep raises the periodic obligations and marks the overdue ones (after the meetings committed).
    with transaction.atomic():
        services.obligations_sweep(actor=SYSTEM, today=today)
        _evidence(estates, today)
        _self_management(estates[SELF_MANAGED], today)
        _funds(estates[SELF_MANAGED], today)
        _legal(estates[REFERENCE_ESTATE], today)
        _petitions(estates, today)
        _pending_spending(estates[REFERENCE_ESTATE], today)
        _intervention(estates[REFERENCE_ESTATE])
        services.obligations_sweep(actor=SYSTEM, today=today)
    district = Place.objects.get(kind=PlaceKind.DISTRICT, name="江北区")
    figures = selectors.compliance(district, today.replace(month=1, day=1) - datetime.timedelta(days=366), today)
    flagged = selectors.early_warning(district)
    stdout.write(
        f"oversight: {Obligation.objects.count()} obligations ({figures['share']}% met on time, "
        f"{len(figures['overdue'])} overdue), {len(flagged)} flagged estates, {Petition.objects.count()} petitions"
    )


def _secretaries() -> None:
    """A party secretary for every community committee (the reference community's, 李红, comes from governance)."""
    for org in Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE).select_related("place"):
        community = org.place
        if org.posts.filter(kind=PostKind.SECRETARY).exists():
            continue
        person = ensure_person(f"{community.name[:2]}书记", community)
        ensure_post(person, PostKind.SECRETARY, PostBody.PARTY, organization=org, start=datetime.date(2021, 1, 1))


def _commissioners(estates: dict[str, Place]) -> None:
    """Each estate's property-management commissioner, a cadre of its community."""
    for estate in estates.values():
        if Post.objects.current().filter(place=estate, kind=PostKind.PROPERTY_COMMISSIONER).exists():
            continue
        community = estate.parent
        cadre = (
            Post.objects.current()
            .filter(place=community, body=PostBody.COMMUNITY_STAFF)
            .select_related("person")
            .order_by("pk")
            .first()
        )
        if cadre is None:
            person = ensure_person(f"{community.name[:2]}专员", community)
            ensure_post(
                person, PostKind.STAFF, PostBody.COMMUNITY_STAFF, place=community, start=datetime.date(2021, 1, 1)
            )
        else:
            person = cadre.person
        services.commissioner_appoint(estate=estate, person=person, start=datetime.date(2024, 1, 1), actor=SYSTEM)


def _assemblies(estates: dict[str, Place], today: datetime.date) -> None:
    """Owners' assemblies of the smaller estates: attended in the compliant ones, not in the lagging ones."""
    plan = {
        "北城华府": (75, 40, 12),
        "石马河小区": (60, 25),
        "观音桥花园": (50, 21, 9),
        "鱼嘴安置房": (30, 8),
    }
    for name, days in plan.items():
        estate = estates.get(name)
        if estate is None:
            continue
        for n, ago in enumerate(days, start=1):
            title = f"{name}业主大会（第{n}次）"
            if Meeting.objects.filter(estate=estate, title=title).exists():
                continue
            meeting = committees_services.meeting_create(
                estate=estate, kind=MeetingKind.ASSEMBLY, title=title, held_at=_aware(today - ago * DAY), actor=SYSTEM
            )
            # Attended by the community party organization, except the lagging estates' last ones.
            attended = name not in LAGGING or n == 1
            committees_services.meeting_record_attendance(
                meeting=meeting, attendees=[], party_org=attended, actor=SYSTEM
            )
            services.obligations_for_meeting(meeting=meeting, actor=SYSTEM)


def _act_day(obligation: Obligation) -> datetime.date:
    """The day the party organization did what the obligation asks, in the demo's story."""
    if obligation.kind == ObligationKind.ATTEND and obligation.meeting_id:
        return timezone.localtime(obligation.meeting.held_at).date()
    if obligation.kind == ObligationKind.ATTEND and obligation.vote_id:
        return timezone.localtime(obligation.vote.closes_at).date()
    if obligation.kind == ObligationKind.PARTICIPATE:
        return obligation.due_on - DAY
    if obligation.kind == ObligationKind.SUPERVISE:
        return obligation.due_on - 3 * DAY
    return obligation.due_on - 10 * DAY


def _evidence(estates: dict[str, Place], today: datetime.date) -> None:
    """The compliant estates' party organization did its duty each time, and it is recorded."""
    live = (
        Obligation.objects.filter(estate__name__in=COMPLIANT, state__in=(ObligationState.OPEN, ObligationState.OVERDUE))
        .select_related("estate", "meeting", "vote")
        .order_by("due_on", "pk")
    )
    for obligation in live:
        day = _act_day(obligation)
        if day > today:
            continue  # not yet done: still pending
        people = "李红" if obligation.estate.name == REFERENCE_ESTATE else f"{obligation.estate.parent.name[:2]}书记"
        details = {"people": people}
        if obligation.kind == ObligationKind.PARTICIPATE:
            details["opinion"] = "同意，须按程序公开、比价，并向业主公示。"
        elif obligation.kind == ObligationKind.SUPERVISE:
            details["note"] = "社区党委会同党员专家组到现场检查施工质量、进度和安全，记录存档。"
        elif obligation.kind == ObligationKind.SPOT_CHECK:
            sampled = list(
                LedgerTransaction.objects.filter(
                    estate=obligation.estate, date__gte=obligation.period_start, date__lte=obligation.period_end
                )
                .order_by("sequence")
                .values_list("sequence", flat=True)[:3]
            )
            if not sampled:
                continue
            details.update(
                sampled=sampled,
                compared="收据、发票、合同与银行流水逐笔核对",
                findings="账实相符，凭证齐全，未发现问题。",
            )
        services.evidence_record(obligation=obligation, done_on=day, actor=SYSTEM, **details)


def _self_management(estate: Place, today: datetime.date) -> None:
    """五里店新村: building heads, volunteers (two in-service party members), rosters and four weeks of duties."""
    if DutyRoster.objects.filter(estate=estate).exists():
        return
    buildings = list(Place.objects.filter(estate=estate, kind=PlaceKind.BUILDING).order_by("name"))
    for n, building in enumerate(buildings, start=1):
        if not BuildingHead.objects.filter(building=building).exists():
            head = ensure_person(f"五里店{n}栋楼栋长", estate)
            services.building_head_appoint(
                building=building, person=head, start=datetime.date(2024, 3, 1), actor=SYSTEM
            )
    branch = Organization.objects.filter(kind=OrgKind.ESTATE_GENERAL_BRANCH, place=estate).first()
    skills = {s.code: s for s in Skill.objects.all()}
    volunteers = []
    for name, skill_codes, in_service in (
        ("刘建国", ["electrician"], True),
        ("孙丽", ["social_worker"], True),
        ("周大妈", [], False),
        ("吴师傅", ["engineer"], False),
    ):
        person = ensure_person(name, estate)
        if in_service and branch is not None and not PartyMember.objects.filter(person=person).exists():
            residents_services.party_member_register(
                person=person,
                organization=branch,
                in_service=True,
                registered_on=datetime.date(2023, 5, 1),
                workplace="江北区某单位",
                actor=SYSTEM,
            )
        volunteers.append(
            Volunteer.objects.filter(estate=estate, person=person).first()
            or services.volunteer_enrol(
                estate=estate,
                person=person,
                joined_on=datetime.date(2024, 3, 1),
                skills=[skills[c] for c in skill_codes if c in skills],
                actor=SYSTEM,
            )
        )
    start = today - 28 * DAY
    cleaning = services.duty_roster_create(
        estate=estate, kind="cleaning", title="楼道及院坝清扫", weekdays=[0, 2, 4], starts_on=start, actor=SYSTEM
    )
    parking = services.duty_roster_create(
        estate=estate, kind="parking", title="周末停车秩序维护", weekdays=[5, 6], starts_on=start, actor=SYSTEM
    )
    rng = random.Random(2024)
    duty_days = [
        (day, roster)
        for day in (start + n * DAY for n in range((today - start).days))
        for roster in (cleaning, parking)
        if day.weekday() in roster.weekdays
    ]
    for n, (day, roster) in enumerate(duty_days):
        if n in (4, 13):
            continue  # nobody was found for these days: gaps the community sees
        shift = services.duty_shift_assign(roster=roster, date=day, volunteer=rng.choice(volunteers), actor=SYSTEM)
        if n == len(duty_days) - 1:
            continue  # the last one is not recorded yet
        if n in (9, 17):
            services.duty_record(shift=shift, done=False, note="值班人临时有事，未找到替班", actor=SYSTEM)
        else:
            services.duty_record(shift=shift, done=True, photo=_photo(), actor=SYSTEM)


def _funds(estate: Place, today: datetime.date) -> None:
    """五里店社区 sends 30,000 yuan down to 五里店新村 for lighting and parking lines, posted on its ledger."""
    if FundAllocation.objects.filter(estate=estate).exists():
        return
    if not Account.objects.filter(estate=estate).exists():
        committees_services.ledger_open(estate=estate, actor=SYSTEM)
    services.fund_allocate(
        community=estate.parent,
        estate=estate,
        amount=Decimal("30000.00"),
        purpose="老旧小区微改造：楼道照明更换及停车位划线",
        voucher=_pdf("社区公共服务资金下拨通知"),
        allocated_on=today,
        actor=SYSTEM,
    )


def _legal(estate: Place, today: datetime.date) -> None:
    """The reference estate's public-revenue rules and the audit of its first ledger year, followed up."""
    decision = (
        Decision.objects.filter(meeting__estate=estate, passed=True, meeting__kind=MeetingKind.COMMITTEE)
        .order_by("meeting__held_at", "pk")
        .first()
    )
    if decision is not None and not RevenueRules.objects.filter(estate=estate).exists():
        services.revenue_rules_record(
            estate=estate,
            title="南方上格林小区公共收益管理办法",
            document=_pdf("公共收益管理办法"),
            adopted_on=timezone.localtime(decision.meeting.held_at).date(),
            decision=decision,
            actor=SYSTEM,
        )
    first = LedgerTransaction.objects.filter(estate=estate).order_by("date").values_list("date", flat=True).first()
    if first is None or Audit.objects.filter(estate=estate).exists():
        return
    period_end = today.replace(day=1) - DAY
    actor = SYSTEM
    audit = services.audit_plan(
        estate=estate,
        period_start=first,
        period_end=period_end,
        auditor="重庆信达会计师事务所",
        plan="公共收益年度专项审计：收入完整性、支出审批程序、凭证、资金余额。",
        planned_on=period_end - 20 * DAY,
        actor=actor,
    )
    services.audit_report(
        audit=audit,
        findings="收支记录完整，审批程序合规；发现1笔临时停车收入重复录入已冲销，建议完善收费日报复核。",
        reported_on=period_end - 5 * DAY,
        report=_pdf("审计报告"),
        actor=actor,
    )
    services.audit_publish(audit=audit, actor=actor)
    done = services.audit_action_add(
        audit=audit,
        description="建立停车收费日报双人复核制度",
        owner="业委会财务委员",
        due_on=period_end + 10 * DAY,
        actor=actor,
    )
    services.audit_action_done(
        action=done, done_on=min(today, period_end + 6 * DAY), evidence="制度已印发并公示", actor=actor
    )
    services.audit_action_add(
        audit=audit,
        description="公共收益账户开通网银查询供事务监督组核对",
        owner="业委会主任",
        due_on=today + 30 * DAY,
        actor=actor,
    )


def _log(year: int, total: int, prop: int, places: list[str]) -> ContentFile:
    rng = random.Random(year)
    kinds = ["物业管理"] * prop + [rng.choice(CATEGORIES) for _ in range(total - prop)]
    rng.shuffle(kinds)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "编号",
            "受理日期",
            "地点",
            "类别",
            "渠道",
            "诉求摘要",
            "承办单位",
            "状态",
            "办理结果",
            "满意度",
            "信访人",
            "联系方式",
        ]
    )
    for n, category in enumerate(kinds, start=1):
        day = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        summary = "物业服务、停车或公共收益纠纷" if category == "物业管理" else f"{category}相关诉求"
        writer.writerow(
            [
                f"XF{year}-{n:04d}",
                day.isoformat(),
                rng.choice(places),
                category,
                rng.choice(CHANNELS),
                summary,
                "所在街道",
                "已办结",
                "已答复并办结",
                rng.choice(("满意", "满意", "基本满意", "不满意")),
                f"{rng.choice('王李张刘陈杨赵黄周吴')}{rng.choice('伟芳娜敏静丽强磊军洋')}",
                f"13{rng.randrange(10**8, 10**9)}",
            ]
        )
    return ContentFile(out.getvalue().encode("utf-8-sig"), name=f"petitions-{year}.csv")


def _petitions(estates: dict[str, Place], today: datetime.date) -> None:
    """Three years of the district's petition log, and this year's rise at 石马河小区."""
    district = Place.objects.get(kind=PlaceKind.DISTRICT, name="江北区")
    places = [f"{e.parent.name}/{e.name}" for e in estates.values()]
    places += list(Place.objects.filter(kind=PlaceKind.COMMUNITY).values_list("name", flat=True))
    for year, total, prop in PETITION_YEARS:
        if not Petition.objects.filter(reference__startswith=f"XF{year}-").exists():
            services.petitions_import(place=district, year=year, file=_log(year, total, prop, places), actor=SYSTEM)
    rising = estates.get(RISING)
    if rising is None or Petition.objects.filter(reference__startswith="YJ-").exists():
        return
    # About one property petition a month over the past year, then eight in the last four weeks.
    days = [35 + 30 * k for k in range(11)] + [2, 4, 7, 9, 13, 16, 20, 26]
    for n, ago in enumerate(days, start=1):
        services.petition_create(
            reference=f"YJ-{n:03d}",
            received_on=today - ago * DAY,
            place=rising,
            category="property",
            channel="phone" if n % 2 else "online",
            summary="地下车库积水、物业不作为" if ago < 30 else "物业服务投诉",
            handled_by="石马河街道",
            status="handling" if ago < 30 else "concluded",
            actor=SYSTEM,
        )


def _pending_spending(estate: Place, today: datetime.date) -> None:
    """A large spending request of the reference estate waiting on every approval: it shows in both queues."""
    payee = "重庆迅达电梯有限公司"
    purpose = Account.objects.filter(estate=estate, code="5101").first()
    if purpose is None or SpendingRequest.objects.filter(estate=estate, payee=payee).exists():
        return
    committees_services.spending_request_create(
        estate=estate,
        payee=payee,
        purpose=purpose,
        amount=Decimal("52000.00"),
        requested_on=today - 2 * DAY,
        description="3栋电梯曳引机大修",
        actor=_user("committee") or SYSTEM,
    )


def _intervention(estate: Place) -> None:
    """The street discipline reviewer's opinion on the reference estate's open resolution, if one is open."""

    reviewer = _user("reviewer")
    vote = Vote.objects.filter(estate=estate, kind=VoteKind.RESOLUTION, status__in=UNDECIDED_VOTE).first()
    if reviewer is None or vote is None or InterventionOpinion.objects.filter(vote=vote).exists():
        return
    services.intervention_record(
        vote=vote, opinion="表决事项涉及公共收益使用，请业委会在公示中列明预算明细及比价情况。", actor=reviewer
    )
