"""Writes of the committees layer: committees, meetings, property companies, projects, the ledger, spending.

Every function here is the one way its use case happens: the API, the admin, the management
commands, the demo and the signal receivers all call it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from committees import selectors
from committees.events import CommitteesEvent
from committees.ledger import GENESIS, entry_digest, file_sha256
from committees.models import (
    Account,
    AccountKind,
    CommitteeStatus,
    Decision,
    LedgerLeg,
    LedgerTransaction,
    Matter,
    Meeting,
    MeetingAttachment,
    MeetingKind,
    OwnersCommittee,
    PerformanceNote,
    Project,
    PropertyCompany,
    ServiceContract,
    SpendingApproval,
    SpendingRequest,
    SpendingStatus,
    Stage,
    Statement,
    SupervisionGroup,
)
from committees.models.base import FEN
from committees.models.spending import threshold
from committees.signals import decision_recorded, meeting_scheduled, project_registered, spending_paid
from core.errors import ApplicationError, Conflict, NotPermitted
from governance import services as governance_services
from governance.audit import audit_record
from governance.models import Organization, OrgFunction, OrgKind, Person, Place, PlaceKind, Post, PostBody, PostKind
from governance.scoping import SYSTEM, Action, acting_user, can

COMMITTEE_KINDS = (PostKind.CHAIR, PostKind.VICE_CHAIR, PostKind.MEMBER)


def _require_estate(place: Place) -> None:
    if place.kind != PlaceKind.ESTATE:
        raise ApplicationError(_("“%(name)s”不是小区。") % {"name": place.name}, code="not_an_estate")


def _send_on_commit(signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender=None, **kwargs))


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# Owners' committees ---------------------------------------------------------------------


def _check_committee_size(n: int) -> None:
    if n < 5 or n > 11 or n % 2 == 0:
        raise ApplicationError(
            _("业委会应由5至11名委员组成，且为单数；本次为%(n)d名。") % {"n": n}, code="committee_size"
        )


def _check_party_branch(branch: Organization | None, estate: Place, function: str) -> None:
    if branch is None:
        return
    if branch.kind != OrgKind.FUNCTIONAL_BRANCH or branch.function != function:
        raise ApplicationError(
            _("“%(name)s”不是%(function)s。") % {"name": branch.name, "function": OrgFunction(function).label},
            code="wrong_branch",
        )
    if not branch.place.is_descendant_of(estate, include_self=True) and not estate.is_descendant_of(branch.place):
        raise ApplicationError(_("党支部“%(name)s”不服务于该小区。") % {"name": branch.name}, code="branch_elsewhere")


@transaction.atomic
def committee_record(
    *,
    estate: Place,
    term_start: datetime.date,
    members: Sequence[tuple[Person, str]],
    actor,
    term_end: datetime.date | None = None,
    election=None,
    party_branch: Organization | None = None,
    filed_on: datetime.date | None = None,
    filing_reference: str = "",
    entered_by_hand: bool = False,
    seats: int | None = None,
) -> OwnersCommittee:
    """Record a new owners' committee of ``estate``; the current one's term and posts end.

    ``members`` pairs each person with a post kind (chair, vice_chair, member). A person who
    already holds a current committee post of that kind at the estate keeps it (not duplicated);
    an officer elected again as a plain member keeps their office until the new committee
    reassigns posts (``committee_assign_post``). Every other current committee post at the
    estate, from a recorded committee or from before the platform, ends the day before.

    A committee has 5 to 11 members, an odd number, and at most one chair; an elected
    committee may have fewer members than its ``seats`` (vacancies), never more.
    """
    _require_estate(estate)
    if seats is None:
        _check_committee_size(len(members))
    else:
        _check_committee_size(seats)
        if not 0 < len(members) <= seats:
            raise ApplicationError(
                _("当选%(n)d人，应选%(seats)d席：人数不符。") % {"n": len(members), "seats": seats},
                code="committee_size",
            )
    if len({p.pk for p, _k in members}) != len(members):
        raise ApplicationError(_("同一人不能在业委会中重复任职。"), code="duplicate_member")
    for _person, kind in members:
        if kind not in COMMITTEE_KINDS:
            raise ApplicationError(_("业委会职务只能是主任、副主任或委员。"), code="bad_post_kind")
    if sum(1 for _p, k in members if k == PostKind.CHAIR) > 1:
        raise ApplicationError(_("业委会只能有一名主任。"), code="two_chairs")
    max_years = settings.GONGZHI["COMMITTEE_TERM_YEARS"]
    term_end = term_end or _add_years(term_start, max_years) - datetime.timedelta(days=1)
    if term_end <= term_start or term_end >= _add_years(term_start, max_years) + datetime.timedelta(days=1):
        raise ApplicationError(
            _("业委会任期最长%(years)d年，且结束日期须晚于开始日期。") % {"years": max_years}, code="term_length"
        )
    _check_party_branch(party_branch, estate, OrgFunction.OWNERS_COMMITTEE)

    # Lock the estate's committees: two filings at once must not leave two current committees.
    previous = list(OwnersCommittee.objects.select_for_update().filter(estate=estate, status=CommitteeStatus.CURRENT))
    held: dict[int, list[Post]] = {}
    for post in Post.objects.current(term_start).filter(place=estate, body=PostBody.OWNERS_COMMITTEE).order_by("pk"):
        held.setdefault(post.person_id, []).append(post)
    keep: dict[int, Post] = {}
    for person, kind in members:
        posts_held = held.get(person.pk, [])
        match = next((p for p in posts_held if p.kind == kind), None)
        if match is None and kind == PostKind.MEMBER and posts_held:
            # A re-elected officer stays in office until the new committee reassigns its posts.
            match = posts_held[0]
        if match is not None:
            keep[person.pk] = match
    day_before = term_start - datetime.timedelta(days=1)
    for old in previous:
        committee_end(committee=old, on=day_before, actor=actor, keep=keep.values())
    # Posts from before the platform (no committee record) end with the old term too.
    kept = {post.pk for post in keep.values()}
    for posts_held in held.values():
        for post in posts_held:
            if post.pk not in kept and (post.start is None or post.start <= day_before):
                post.refresh_from_db(fields=["end"])
                if post.end is None or post.end > day_before:
                    governance_services.post_end(post=post, end=day_before, actor=actor)

    try:
        with transaction.atomic():
            committee = OwnersCommittee.objects.create(
                estate=estate,
                term_start=term_start,
                term_end=term_end,
                election=election,
                party_branch=party_branch,
                filed_on=filed_on,
                filing_reference=filing_reference,
                entered_by_hand=entered_by_hand,
            )
    except IntegrityError as exc:  # another clerk recorded a committee at the same moment
        raise Conflict(_("该小区刚刚已登记了新一届业委会，请刷新后核对。"), code="concurrent_committee") from exc
    posts = []
    for person, kind in members:
        post = keep.get(person.pk)
        if post is not None and post.end is not None and post.end < term_end:
            # A re-elected member keeps their post, for the new term.
            post = governance_services.post_end(post=post, end=term_end, actor=actor)
        if post is None:
            post = governance_services.post_create(
                person=person,
                kind=kind,
                body=PostBody.OWNERS_COMMITTEE,
                place=estate,
                start=term_start,
                end=term_end,
                actor=actor,
            )
        posts.append(post)
    committee.posts.set(posts)
    audit_record(
        actor=actor,
        action=CommitteesEvent.COMMITTEE_RECORD,
        obj=committee,
        place=estate,
        summary=str(committee),
        data={"members": len(posts), "election": getattr(election, "pk", None), "by_hand": entered_by_hand},
    )
    return committee


@transaction.atomic
def committee_end(
    *, committee: OwnersCommittee, on: datetime.date, actor, keep: Iterable[Post] = ()
) -> OwnersCommittee:
    """End a committee's term on ``on`` and end its members' posts (except those in ``keep``)."""
    kept = {p.pk for p in keep}
    on = max(on, committee.term_start)
    for post in Post.objects.current(on).filter(pk__in=committee.posts.values("pk")).exclude(pk__in=kept):
        governance_services.post_end(post=post, end=max(on, post.start or on), actor=actor)
    committee.status = CommitteeStatus.ENDED
    committee.ended_on = on
    committee.save(update_fields=["status", "ended_on"])
    audit_record(
        actor=actor,
        action=CommitteesEvent.COMMITTEE_END,
        obj=committee,
        place=committee.estate,
        data={"on": on.isoformat()},
    )
    return committee


@transaction.atomic
def committee_record_from_election(*, vote, elected: Sequence[int], actor) -> OwnersCommittee:
    """Record the committee an owners' election produced (called when the election is filed).

    The elected owners become members; their first meeting elects the chair and vice-chairs
    (``committee_assign_post``). The committee's filing is the election's.
    """
    from elections.models import VoteKind
    from residents.models import Owner

    if vote.kind != VoteKind.COMMITTEE_ELECTION:
        raise ApplicationError(_("只有业委会选举才产生业委会。"), code="not_an_election")
    if OwnersCommittee.objects.filter(election=vote).exists():
        return OwnersCommittee.objects.get(election=vote)
    owners = Owner.objects.select_related("person").in_bulk(list(elected))
    people = []
    for owner_id in elected:
        owner = owners.get(owner_id)
        if owner is None or owner.person_id is None:
            raise ApplicationError(_("当选者必须是自然人业主。"), code="elected_not_a_person")
        people.append(owner.person)
    term_start = getattr(vote, "result_date", None) or timezone.localdate()
    return committee_record(
        estate=vote.estate,
        term_start=term_start,
        members=[(person, PostKind.MEMBER) for person in people],
        election=vote,
        seats=vote.seats or len(people),
        filed_on=getattr(vote, "filed_on", None),
        filing_reference=getattr(vote, "filing_reference", "") or "",
        actor=actor,
    )


@transaction.atomic
def committee_assign_post(
    *, committee: OwnersCommittee, person: Person, kind: str, actor, on: datetime.date | None = None
) -> Post:
    """Make a member chair, vice-chair or plain member (the first meeting's election of officers)."""
    if kind not in COMMITTEE_KINDS:
        raise ApplicationError(_("业委会职务只能是主任、副主任或委员。"), code="bad_post_kind")
    if committee.status != CommitteeStatus.CURRENT:
        raise Conflict(_("该届业委会已结束。"), code="committee_ended")
    on = on or timezone.localdate()
    current = list(Post.objects.current(on).filter(pk__in=committee.posts.values("pk")))
    mine = [p for p in current if p.person_id == person.pk]
    if not mine:
        raise ApplicationError(_("%(name)s 不是本届业委会委员。") % {"name": person.name}, code="not_a_member")
    if kind == PostKind.CHAIR and any(p.kind == PostKind.CHAIR and p.person_id != person.pk for p in current):
        raise Conflict(_("本届业委会已有主任，请先调整现任主任的职务。"), code="chair_taken")
    old = mine[0]
    if old.kind == kind:
        return old
    governance_services.post_end(post=old, end=max(on - datetime.timedelta(days=1), old.start or on), actor=actor)
    post = governance_services.post_create(
        person=person,
        kind=kind,
        body=PostBody.OWNERS_COMMITTEE,
        place=committee.estate,
        start=on,
        end=committee.term_end,
        actor=actor,
    )
    committee.posts.add(post)
    audit_record(
        actor=actor,
        action=CommitteesEvent.COMMITTEE_ASSIGN_POST,
        obj=committee,
        place=committee.estate,
        data={"person": person.pk, "kind": kind},
    )
    return post


@transaction.atomic
def committee_file(*, committee: OwnersCommittee, filed_on: datetime.date, reference: str, actor) -> OwnersCommittee:
    """Record the committee's filing (备案) with the street office."""
    if not reference.strip():
        raise ApplicationError(_("请填写备案文号。"), code="reference_required")
    if filed_on < committee.term_start:
        raise ApplicationError(_("备案日期不能早于任期开始。"), code="filed_before_term")
    committee.filed_on = filed_on
    committee.filing_reference = reference.strip()
    committee.save(update_fields=["filed_on", "filing_reference"])
    audit_record(
        actor=actor,
        action=CommitteesEvent.COMMITTEE_FILE,
        obj=committee,
        place=committee.estate,
        data={
            "filed_on": filed_on.isoformat(),
            "reference": committee.filing_reference,
            "late": filed_on > committee.filing_due,
        },
    )
    return committee


@transaction.atomic
def supervision_group_create(
    *, estate: Place, term_start: datetime.date, members: Sequence, actor, term_end: datetime.date | None = None
) -> SupervisionGroup:
    """Form the estate's owners' supervision group (事务监督组); its members are owners of the estate."""
    _require_estate(estate)
    if not members:
        raise ApplicationError(_("事务监督组至少需要一名成员。"), code="no_members")
    from residents.models import Ownership

    holding = set(
        Ownership.objects.active_on(timezone.localdate())
        .filter(owner__in=members, unit__estate=estate)
        .values_list("owner_id", flat=True)
    )
    foreign = [m for m in members if m.place_id != estate.pk and m.pk not in holding]
    if foreign:
        raise ApplicationError(
            _("事务监督组成员必须是本小区业主：%(names)s 不是。") % {"names": "、".join(m.name for m in foreign)},
            code="not_an_owner_here",
        )
    if term_end and term_end <= term_start:
        raise ApplicationError(_("任期结束日期须晚于开始日期。"), code="term_length")
    committee_people = set(
        Post.objects.current(max(term_start, timezone.localdate()))
        .filter(place=estate, body=PostBody.OWNERS_COMMITTEE)
        .values_list("person_id", flat=True)
    )
    on_committee = [m for m in members if m.person_id and m.person_id in committee_people]
    if on_committee:
        raise ApplicationError(
            _("业委会委员不能兼任事务监督组成员：%(names)s。") % {"names": "、".join(m.name for m in on_committee)},
            code="committee_member",
        )
    group = SupervisionGroup.objects.create(estate=estate, term_start=term_start, term_end=term_end)
    group.members.set(members)
    audit_record(
        actor=actor,
        action=CommitteesEvent.SUPERVISION_GROUP_CREATE,
        obj=group,
        place=estate,
        data={"members": len(members)},
    )
    return group


# Meetings -------------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    estate: Place,
    kind: str,
    title: str,
    held_at: datetime.datetime,
    actor,
    location: str = "",
    agenda: Sequence[str] = (),
) -> Meeting:
    """Schedule or record a meeting; a committee meeting belongs to the estate's current committee."""
    _require_estate(estate)
    if kind not in MeetingKind.values:
        raise ApplicationError(_("未知的会议类型。"), code="bad_kind")
    if timezone.is_naive(held_at):
        raise ApplicationError(_("会议时间须带时区。"), code="naive_datetime")
    committee = None
    if kind == MeetingKind.COMMITTEE:
        committee = (
            OwnersCommittee.objects.filter(estate=estate, term_start__lte=timezone.localtime(held_at).date())
            .order_by("-term_start")
            .first()
        )
        if committee is None:
            raise ApplicationError(_("该小区在会议日期没有业委会，不能召开业委会会议。"), code="no_committee")
    meeting = Meeting.objects.create(
        estate=estate,
        kind=kind,
        committee=committee,
        title=title.strip(),
        held_at=held_at,
        location=location,
        agenda=[str(item).strip() for item in agenda if str(item).strip()],
    )
    audit_record(actor=actor, action=CommitteesEvent.MEETING_CREATE, obj=meeting, place=estate, summary=meeting.title)
    if kind in (MeetingKind.COMMITTEE, MeetingKind.ASSEMBLY):
        _send_on_commit(meeting_scheduled, meeting=meeting)
    return meeting


def _refuse_if_published(meeting: Meeting) -> None:
    if meeting.minutes_published:
        raise Conflict(_("会议纪要已公开，不能再修改；如需更正，请另行记录说明。"), code="minutes_published")


@transaction.atomic
def meeting_record_attendance(
    *,
    meeting: Meeting,
    attendees: Iterable[Person],
    actor,
    party_org: bool = False,
    property_company: bool = False,
    supervision_group: bool = False,
) -> Meeting:
    """Record who attended, and which bodies were present.

    The bodies: the community party organization, the property company, the supervision group.
    """
    _refuse_if_published(meeting)
    meeting.party_org_attended = party_org
    meeting.property_company_attended = property_company
    meeting.supervision_group_attended = supervision_group
    meeting.save(update_fields=["party_org_attended", "property_company_attended", "supervision_group_attended"])
    attendees = list(attendees)
    meeting.attendees.set(attendees)
    audit_record(
        actor=actor,
        action=CommitteesEvent.MEETING_RECORD_ATTENDANCE,
        obj=meeting,
        place=meeting.estate,
        data={
            "attendees": len(attendees),
            "party_org": party_org,
            "property_company": property_company,
            "supervision_group": supervision_group,
        },
    )
    return meeting


@transaction.atomic
def meeting_record_minutes(*, meeting: Meeting, minutes: str, actor) -> Meeting:
    """Write the minutes of a meeting (before they are published)."""
    _refuse_if_published(meeting)
    meeting.minutes = minutes.strip()
    meeting.save(update_fields=["minutes"])
    audit_record(actor=actor, action=CommitteesEvent.MEETING_RECORD_MINUTES, obj=meeting, place=meeting.estate)
    return meeting


@transaction.atomic
def meeting_publish_minutes(*, meeting: Meeting, actor) -> Meeting:
    """Publish a meeting's minutes and decisions to the estate's residents; they are frozen from then on."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _refuse_if_published(meeting)
    if not meeting.minutes:
        raise ApplicationError(_("请先填写会议纪要再公开。"), code="no_minutes")
    meeting.minutes_published_at = timezone.now()
    meeting.save(update_fields=["minutes_published_at"])
    audit_record(actor=actor, action=CommitteesEvent.MEETING_PUBLISH_MINUTES, obj=meeting, place=meeting.estate)
    return meeting


@transaction.atomic
def meeting_attach(*, meeting: Meeting, title: str, file, actor) -> MeetingAttachment:
    """Attach a document (sign-in sheet, photo, plan) to a meeting."""
    attachment = MeetingAttachment.objects.create(meeting=meeting, title=title.strip() or file.name, file=file)
    audit_record(
        actor=actor,
        action=CommitteesEvent.MEETING_ATTACH,
        obj=attachment,
        place=meeting.estate,
        summary=attachment.title,
    )
    return attachment


def committee_meeting_outcome(*, members_total: int, members_present: int, votes_for: int) -> tuple[bool, bool]:
    """Return (quorate, passed) for a committee meeting (DOMAIN.md §5.7).

    More than half of the members must attend; a decision needs at least half of *all*
    members: 7 members, 4 present, 3 in favour fails.
    """
    quorate = 2 * members_present > members_total
    return quorate, quorate and 2 * votes_for >= members_total


@transaction.atomic
def decision_record(
    *,
    meeting: Meeting,
    text: str,
    actor,
    matter: str = Matter.ROUTINE,
    is_major: bool = False,
    votes_for: int = 0,
    votes_against: int = 0,
    votes_abstain: int = 0,
    passed: bool | None = None,
    party_org_participated: bool = False,
) -> Decision:
    """Record a decision of a meeting.

    On a committee meeting the outcome is counted from the attendance and the votes; on other
    meetings (an assembly's result comes from its vote) the caller states ``passed``.
    """
    _refuse_if_published(meeting)
    if matter not in Matter.values:
        raise ApplicationError(_("未知的事项类型。"), code="bad_matter")
    if min(votes_for, votes_against, votes_abstain) < 0:
        raise ApplicationError(_("票数不能为负。"), code="bad_votes")
    members_total = members_present = None
    if meeting.kind == MeetingKind.COMMITTEE:
        on = timezone.localtime(meeting.held_at).date()
        member_people = set(
            Post.objects.current(on)
            .filter(pk__in=meeting.committee.posts.values("pk"))
            .values_list("person_id", flat=True)
        )
        members_total = len(member_people)
        members_present = len(member_people & set(meeting.attendees.values_list("pk", flat=True)))
        if votes_for + votes_against + votes_abstain > members_present:
            raise ApplicationError(
                _("表决票数（%(votes)d）多于出席委员数（%(present)d）。")
                % {"votes": votes_for + votes_against + votes_abstain, "present": members_present},
                code="too_many_votes",
            )
        quorate, passed = committee_meeting_outcome(
            members_total=members_total, members_present=members_present, votes_for=votes_for
        )
        if not quorate:
            raise ApplicationError(
                _("出席委员%(present)d人，未超过全体委员%(total)d人的半数，会议不能作出决定。")
                % {"present": members_present, "total": members_total},
                code="no_quorum",
            )
    elif passed is None:
        raise ApplicationError(_("请说明该决定是否通过。"), code="passed_required")
    decision = Decision.objects.create(
        meeting=meeting,
        text=text.strip(),
        matter=matter,
        is_major=is_major or matter not in (Matter.ROUTINE,),
        members_total=members_total,
        members_present=members_present,
        votes_for=votes_for,
        votes_against=votes_against,
        votes_abstain=votes_abstain,
        passed=bool(passed),
        party_org_participated=party_org_participated,
    )
    audit_record(
        actor=actor,
        action=CommitteesEvent.DECISION_RECORD,
        obj=decision,
        place=meeting.estate,
        summary=decision.text[:200],
        data={"passed": decision.passed, "major": decision.is_major, "for": votes_for, "total": members_total},
    )
    _send_on_commit(decision_recorded, decision=decision)
    return decision


# Property companies ---------------------------------------------------------------------


@transaction.atomic
def property_company_create(
    *,
    name: str,
    place: Place,
    actor,
    credit_code: str = "",
    contact: str = "",
    party_branch: Organization | None = None,
) -> PropertyCompany:
    """Register a property-service company and, if it has one, its party branch."""
    if PropertyCompany.objects.filter(name=name.strip()).exists():
        raise Conflict(_("已登记名为“%(name)s”的物业企业。") % {"name": name}, code="duplicate_name")
    if party_branch is not None and (
        party_branch.kind != OrgKind.FUNCTIONAL_BRANCH or party_branch.function != OrgFunction.PROPERTY_COMPANY
    ):
        raise ApplicationError(_("“%(name)s”不是物业党支部。") % {"name": party_branch.name}, code="wrong_branch")
    company = PropertyCompany.objects.create(
        name=name.strip(),
        place=place,
        credit_code=credit_code.strip().upper(),
        contact=contact,
        party_branch=party_branch,
    )
    audit_record(
        actor=actor, action=CommitteesEvent.PROPERTY_COMPANY_CREATE, obj=company, place=place, summary=company.name
    )
    return company


@transaction.atomic
def property_company_update(*, company: PropertyCompany, actor, **fields) -> PropertyCompany:
    """Change a company's contact, credit code or party branch."""
    branch = fields.get("party_branch")
    if branch is not None and (
        branch.kind != OrgKind.FUNCTIONAL_BRANCH or branch.function != OrgFunction.PROPERTY_COMPANY
    ):
        raise ApplicationError(_("“%(name)s”不是物业党支部。") % {"name": branch.name}, code="wrong_branch")
    for field in ("contact", "credit_code", "party_branch"):
        if field in fields:
            setattr(company, field, fields[field])
    company.save()
    audit_record(
        actor=actor,
        action=CommitteesEvent.PROPERTY_COMPANY_UPDATE,
        obj=company,
        place=company.place,
        data={"fields": sorted(fields)},
    )
    return company


@transaction.atomic
def service_contract_create(
    *,
    estate: Place,
    company: PropertyCompany,
    start: datetime.date,
    end: datetime.date,
    fee_per_m2_month: Decimal,
    actor,
    notes: str = "",
) -> ServiceContract:
    """Record the estate's service contract with a property company."""
    _require_estate(estate)
    if end <= start:
        raise ApplicationError(_("合同结束日期须晚于开始日期。"), code="end_before_start")
    if fee_per_m2_month < 0:
        raise ApplicationError(_("物业费不能为负。"), code="negative_fee")
    overlapping = ServiceContract.objects.filter(estate=estate, start__lt=end, end__gt=start)
    if overlapping.exists():
        raise Conflict(_("该小区在这段时间已有物业服务合同。"), code="overlapping_contract")
    contract = ServiceContract.objects.create(
        estate=estate, company=company, start=start, end=end, fee_per_m2_month=fee_per_m2_month, notes=notes
    )
    audit_record(
        actor=actor, action=CommitteesEvent.SERVICE_CONTRACT_CREATE, obj=contract, place=estate, summary=str(contract)
    )
    return contract


@transaction.atomic
def performance_note_create(
    *, contract: ServiceContract, noted_on: datetime.date, text: str, actor, rating: int | None = None
) -> PerformanceNote:
    """Note how the property company served the estate."""
    if rating is not None and not 1 <= rating <= 5:
        raise ApplicationError(_("评分应在1到5之间。"), code="bad_rating")
    note = PerformanceNote.objects.create(
        contract=contract,
        noted_on=noted_on,
        text=text.strip(),
        rating=rating,
        author=acting_user(actor),
    )
    audit_record(actor=actor, action=CommitteesEvent.PERFORMANCE_NOTE_CREATE, obj=note, place=contract.estate)
    return note


# Projects -------------------------------------------------------------------------------

PROJECT_FIELDS = (
    "title",
    "description",
    "budget",
    "contractor",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "actual_cost",
)


def _check_project(project: Project) -> None:
    if project.budget is None or project.budget < 0:
        raise ApplicationError(_("预算不能为负。"), code="negative_budget")
    if project.actual_cost is not None and project.actual_cost < 0:
        raise ApplicationError(_("实际费用不能为负。"), code="negative_cost")
    for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
        a, b = getattr(project, start), getattr(project, end)
        if a and b and b < a:
            raise ApplicationError(_("完工日期不能早于开工日期。"), code="end_before_start")


def _set_expert_team(project: Project, experts) -> None:
    experts = list(experts)
    from residents.models import PartyMember

    for member in experts:
        if not isinstance(member, PartyMember):
            raise ApplicationError(_("专家组成员必须是党员。"), code="not_a_party_member")
    project.expert_team.set(experts)


@transaction.atomic
def project_create(*, estate: Place, title: str, budget: Decimal, actor, experts=(), **fields) -> Project:
    """Register a project; a major one (budget at the threshold or over) must be supervised."""
    _require_estate(estate)
    project = Project(estate=estate, title=title.strip(), budget=budget)
    for field in PROJECT_FIELDS:
        if field in fields:
            setattr(project, field, fields[field])
    _check_project(project)
    project.save()
    _set_expert_team(project, experts)
    audit_record(
        actor=actor,
        action=CommitteesEvent.PROJECT_CREATE,
        obj=project,
        place=estate,
        summary=project.title,
        data={"budget": str(project.budget), "major": project.is_major},
    )
    _send_on_commit(project_registered, project=project)
    return project


@transaction.atomic
def project_update(*, project: Project, actor, experts=None, **fields) -> Project:
    """Record progress: actual dates and cost, contractor, the expert team."""
    for field in PROJECT_FIELDS:
        if field in fields:
            setattr(project, field, fields[field])
    _check_project(project)
    project.save()
    if experts is not None:
        _set_expert_team(project, experts)
    audit_record(
        actor=actor,
        action=CommitteesEvent.PROJECT_UPDATE,
        obj=project,
        place=project.estate,
        data={"fields": sorted(fields), "experts": None if experts is None else len(list(project.expert_team.all()))},
    )
    return project


# The ledger -----------------------------------------------------------------------------

# The chart of accounts every estate's public-revenue ledger starts with.
CHART = (
    ("1001", _("银行存款"), AccountKind.ASSET),
    ("3001", _("期初结余"), AccountKind.EQUITY),
    ("4001", _("广告收入"), AccountKind.INCOME),
    ("4002", _("停车收入"), AccountKind.INCOME),
    ("4003", _("场地租赁收入"), AccountKind.INCOME),
    ("4009", _("其他收入"), AccountKind.INCOME),
    ("5001", _("合理成本"), AccountKind.EXPENSE),
    ("5101", _("设施维修改造"), AccountKind.EXPENSE),
    ("5102", _("公共活动"), AccountKind.EXPENSE),
    ("5103", _("补充维修资金"), AccountKind.EXPENSE),
    ("5109", _("其他经业主决定的支出"), AccountKind.EXPENSE),
)
BANK = "1001"
OPENING = "3001"


def _lock_ledger(estate: Place) -> None:
    """Serialise writes to one estate's ledger: each entry chains to the one before it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('committees.ledger'), %s)", [estate.pk])


@transaction.atomic
def ledger_open(
    *, estate: Place, actor, opening_balance: Decimal = Decimal("0"), on: datetime.date | None = None, voucher=None
) -> list[Account]:
    """Create the estate's chart of accounts (once) and, optionally, its opening balance entry."""
    _require_estate(estate)
    existing = {a.code: a for a in Account.objects.filter(estate=estate)}
    created = [
        Account(estate=estate, code=code, name=str(name), kind=kind)
        for code, name, kind in CHART
        if code not in existing
    ]
    Account.objects.bulk_create(created)
    accounts = list(Account.objects.filter(estate=estate))
    if created:
        audit_record(
            actor=actor, action=CommitteesEvent.LEDGER_OPEN, place=estate, data={"accounts": [a.code for a in created]}
        )
    if opening_balance:
        by_code = {a.code: a for a in accounts}
        transaction_post(
            estate=estate,
            date=on or timezone.localdate(),
            memo=_("期初结余"),
            voucher=voucher,
            actor=actor,
            legs=[(by_code[BANK], opening_balance, Decimal("0")), (by_code[OPENING], Decimal("0"), opening_balance)],
        )
    return accounts


def account(estate: Place, code: str) -> Account:
    return Account.objects.get(estate=estate, code=code)


def _closed_until(estate: Place) -> datetime.date | None:
    return Statement.objects.filter(estate=estate).order_by("-period_end").values_list("period_end", flat=True).first()


@transaction.atomic
def transaction_post(
    *,
    estate: Place,
    date: datetime.date,
    memo: str,
    legs: Sequence[tuple[Account, Decimal, Decimal]],
    voucher,
    actor,
    reverses: LedgerTransaction | None = None,
    reason: str = "",
) -> LedgerTransaction:
    """Post one balanced entry to the estate's ledger, chained to the previous entry by hash.

    ``legs`` are (account, debit, credit), each with exactly one side positive, in yuan with
    fen. Debits must equal credits. Every entry carries a voucher (a reversal may instead
    rest on the reversed entry's). A date inside an already published period is refused: a
    correction belongs to the next period.
    """
    _require_estate(estate)
    if not memo.strip():
        raise ApplicationError(_("请填写摘要。"), code="memo_required")
    if not voucher and reverses is None:
        raise ApplicationError(_("每笔记账都须附凭证（收据、发票或合同）。"), code="voucher_required")
    if date > timezone.localdate():
        raise ApplicationError(_("记账日期不能晚于今天。"), code="future_date")
    if len(legs) < 2:
        raise ApplicationError(_("一笔记账至少有一借一贷两条分录。"), code="too_few_legs")
    clean_legs = []
    for acct, debit, credit in legs:
        debit, credit = Decimal(debit or 0), Decimal(credit or 0)
        if debit != debit.quantize(FEN) or credit != credit.quantize(FEN):
            raise ApplicationError(_("金额最小单位为分。"), code="sub_fen_amount")
        if debit < 0 or credit < 0 or (debit > 0) == (credit > 0):
            raise ApplicationError(_("每条分录须且只能在借方或贷方记一个正数。"), code="bad_leg")
        if acct.estate_id != estate.pk:
            raise ApplicationError(
                _("科目“%(name)s”不属于该小区的账簿。") % {"name": acct.name}, code="foreign_account"
            )
        clean_legs.append((acct, debit.quantize(FEN), credit.quantize(FEN)))
    debits = sum((d for _a, d, _c in clean_legs), Decimal("0"))
    credits = sum((c for _a, _d, c in clean_legs), Decimal("0"))
    if debits != credits:
        raise ApplicationError(
            _("借贷不平衡：借方合计%(debits)s元，贷方合计%(credits)s元。") % {"debits": debits, "credits": credits},
            code="unbalanced",
        )

    _lock_ledger(estate)
    closed = _closed_until(estate)
    if closed and date <= closed:
        raise Conflict(
            _("%(date)s 所在期间的收支已于报表中公开（截至%(closed)s），不能再记入；更正请记在之后的日期。")
            % {"date": date, "closed": closed},
            code="period_closed",
        )
    last = LedgerTransaction.objects.filter(estate=estate).order_by("-sequence").values_list("sequence", "hash").first()
    sequence, previous_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    recorded_at = timezone.now()
    recorded_by = acting_user(actor)
    voucher_digest = file_sha256(voucher) if voucher else (reverses.voucher_sha256 if reverses else "")
    tx = LedgerTransaction(
        estate=estate,
        sequence=sequence,
        date=date,
        memo=memo.strip(),
        recorded_by=recorded_by,
        recorded_at=recorded_at,
        reverses=reverses,
        reason=reason.strip(),
        previous_hash=previous_hash,
        voucher_sha256=voucher_digest,
        hash="pending",
    )
    if voucher:
        tx.voucher.save(getattr(voucher, "name", "voucher") or "voucher", voucher, save=False)
    elif reverses is not None and reverses.voucher:
        tx.voucher.name = reverses.voucher.name
    tx.hash = entry_digest(
        estate_id=estate.pk,
        sequence=sequence,
        date=date,
        memo=tx.memo,
        voucher=tx.voucher.name or "",
        voucher_sha256=voucher_digest,
        recorded_by_id=getattr(recorded_by, "pk", None),
        recorded_at=recorded_at,
        reverses_id=getattr(reverses, "pk", None),
        reason=tx.reason,
        legs=[(a.pk, d, c) for a, d, c in clean_legs],
        previous_hash=previous_hash,
    )
    tx.save()
    LedgerLeg.objects.bulk_create([LedgerLeg(transaction=tx, account=a, debit=d, credit=c) for a, d, c in clean_legs])
    audit_record(
        actor=actor,
        action=CommitteesEvent.LEDGER_POST,
        obj=tx,
        place=estate,
        summary=tx.memo,
        data={"sequence": sequence, "amount": str(debits), "reverses": getattr(reverses, "pk", None)},
    )
    return tx


@transaction.atomic
def transaction_reverse(
    *, transaction: LedgerTransaction, reason: str, actor, date: datetime.date | None = None, voucher=None
) -> LedgerTransaction:
    """Correct an entry by posting its mirror image, with the reason; the original stays as it was."""
    original = transaction
    if not reason.strip():
        raise ApplicationError(_("冲销须说明原因。"), code="reason_required")
    if original.reverses_id:
        raise Conflict(_("这是一笔冲销分录，不能再冲销；如需更正请另行记账。"), code="reversal_of_reversal")
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise Conflict(_("这笔记账已被冲销过。"), code="already_reversed")
    legs = [(leg.account, leg.credit, leg.debit) for leg in original.legs.select_related("account")]
    return transaction_post(
        estate=original.estate,
        date=date or timezone.localdate(),
        memo=(_("冲销 #%(seq)d：%(memo)s") % {"seq": original.sequence, "memo": original.memo})[:300],
        legs=legs,
        voucher=voucher,
        actor=actor,
        reverses=original,
        reason=reason,
    )


def income_record(
    *, estate: Place, source: str, amount: Decimal, date: datetime.date, memo: str, voucher, actor
) -> LedgerTransaction:
    """Record public-revenue income from a source account (e.g. ``4002`` parking) into the bank."""
    src = account(estate, source)
    if src.kind != AccountKind.INCOME:
        raise ApplicationError(_("“%(name)s”不是收入科目。") % {"name": src.name}, code="not_income")
    return transaction_post(
        estate=estate,
        date=date,
        memo=memo,
        voucher=voucher,
        actor=actor,
        legs=[(account(estate, BANK), amount, Decimal("0")), (src, Decimal("0"), amount)],
    )


def cost_record(
    *, estate: Place, purpose: str, amount: Decimal, date: datetime.date, memo: str, voucher, actor
) -> LedgerTransaction:
    """Record a reasonable cost (e.g. ``5001``) paid from the bank."""
    dst = account(estate, purpose)
    if dst.kind != AccountKind.EXPENSE:
        raise ApplicationError(_("“%(name)s”不是支出科目。") % {"name": dst.name}, code="not_expense")
    return transaction_post(
        estate=estate,
        date=date,
        memo=memo,
        voucher=voucher,
        actor=actor,
        legs=[(dst, amount, Decimal("0")), (account(estate, BANK), Decimal("0"), amount)],
    )


def ledger_check(*, estate: Place, actor) -> selectors.LedgerCheck:
    """Verify the estate's hash chain and record the outcome (a broken chain is an audit finding)."""
    result = selectors.ledger_verify(estate)
    audit_record(
        actor=actor,
        action=CommitteesEvent.LEDGER_VERIFY if result.ok else CommitteesEvent.LEDGER_VERIFY_FAILED,
        place=estate,
        summary="" if result.ok else f"#{result.broken_sequence}: {result.problem}",
        data=result.__dict__,
    )
    return result


# Spending -------------------------------------------------------------------------------


def _split_check(request: SpendingRequest) -> None:
    """Flag requests that look like one purchase split under a threshold (same payee and purpose, in the window)."""
    window = datetime.timedelta(days=settings.GONGZHI["SPLIT_PURCHASE_WINDOW_DAYS"])
    siblings = list(
        SpendingRequest.objects.select_for_update().filter(
            estate=request.estate,
            purpose=request.purpose,
            payee__iexact=request.payee,
            requested_on__gte=request.requested_on - window,
            requested_on__lte=request.requested_on + window,
        )
    )
    flagged_at = None
    for name in ("SPENDING_DISCIPLINE_THRESHOLD", "SPENDING_SUPERVISION_THRESHOLD"):
        limit = threshold(name)
        if request.amount > limit:
            continue
        group = [r for r in siblings if r.amount <= limit]
        total = sum((r.amount for r in group), Decimal("0"))
        if len(group) >= 2 and total > limit:
            flagged_at = (limit, group, total)
            break
    if flagged_at is None:
        return
    limit, group, total = flagged_at
    reason = _(
        "与同一收款方“%(payee)s”、同一用途在%(days)d天内的%(n)d笔申请合计%(total)s元，超过%(limit)s元的审批门槛，"
        "疑似拆分采购；按合计金额审批。"
    ) % {"payee": request.payee, "days": window.days, "n": len(group), "total": total, "limit": limit}
    for r in group:
        r.split_flagged, r.split_reason, r.split_total = True, reason, total
        if r.status == SpendingStatus.APPROVED and not _approvals_complete(r):
            r.status = SpendingStatus.PENDING
        r.save(update_fields=["split_flagged", "split_reason", "split_total", "status"])
        if r.pk == request.pk:
            request.split_flagged, request.split_reason, request.split_total = True, reason, total
            request.status = r.status
    audit_record(
        actor=SYSTEM,
        action=CommitteesEvent.SPENDING_SPLIT_FLAG,
        obj=request,
        place=request.estate,
        summary=reason[:500],
        data={"requests": [r.pk for r in group], "total": str(total)},
    )


@transaction.atomic
def spending_request_create(
    *,
    estate: Place,
    payee: str,
    purpose: Account,
    amount: Decimal,
    actor,
    requested_on: datetime.date | None = None,
    description: str = "",
) -> SpendingRequest:
    """Ask to spend public revenue; the approvals it needs follow from its amount (and any split it belongs to)."""
    _require_estate(estate)
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(FEN):
        raise ApplicationError(_("金额须为正数，最小单位为分。"), code="bad_amount")
    if purpose.estate_id != estate.pk or purpose.kind != AccountKind.EXPENSE:
        raise ApplicationError(_("请选择本小区账簿中的支出科目作为用途。"), code="bad_purpose")
    if not payee.strip():
        raise ApplicationError(_("请填写收款方。"), code="payee_required")
    request = SpendingRequest.objects.create(
        estate=estate,
        payee=" ".join(payee.split()),
        purpose=purpose,
        amount=amount,
        requested_on=requested_on or timezone.localdate(),
        description=description.strip(),
        requested_by=acting_user(actor),
    )
    _split_check(request)
    audit_record(
        actor=actor,
        action=CommitteesEvent.SPENDING_REQUEST,
        obj=request,
        place=estate,
        summary=str(request),
        data={"amount": str(amount), "split_flagged": request.split_flagged},
    )
    return request


def _approvals_complete(request: SpendingRequest) -> bool:
    done = set(SpendingApproval.objects.filter(request=request).values_list("stage", flat=True))
    return all(stage in done for stage in request.required_stages())


def _is_supervisor(user, estate: Place, on: datetime.date) -> bool:
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return False
    return SupervisionGroup.objects.filter(
        Q(term_end__isnull=True) | Q(term_end__gte=on), estate=estate, term_start__lte=on, members__person_id=person_id
    ).exists()


def _on_committee(person_id: int | None, estate: Place, on: datetime.date) -> bool:
    return bool(person_id) and (
        Post.objects.current(on).filter(place=estate, body=PostBody.OWNERS_COMMITTEE, person_id=person_id).exists()
    )


@transaction.atomic
def spending_approve(
    *,
    request: SpendingRequest,
    stage: str,
    actor,
    seen: str,
    decision: Decision | None = None,
    resolution_vote=None,
    at: datetime.datetime | None = None,
) -> SpendingApproval:
    """Record one approval of a spending request, in order: committee, supervision group, discipline reviewer.

    The committee stage cites a passed meeting decision or a passed resolution vote of the
    owners; the supervision stage is signed by a member of the estate's supervision group;
    the discipline stage by a discipline reviewer of the street. ``seen`` says what the
    approver looked at.
    """
    # Lock the request: two approvers of the same stage at once must not both pass.
    request = SpendingRequest.objects.select_for_update().select_related("estate").get(pk=request.pk)
    estate = request.estate
    if request.status == SpendingStatus.PAID:
        raise Conflict(_("该申请已支付。"), code="already_paid")
    required = request.required_stages()
    if stage not in required:
        raise ApplicationError(
            _("该申请（%(amount)s元）不需要“%(stage)s”环节。")
            % {"amount": request.approval_basis, "stage": Stage(stage).label},
            code="stage_not_required",
        )
    done = set(request.approvals.values_list("stage", flat=True))
    if stage in done:
        raise Conflict(_("“%(stage)s”环节已审批。") % {"stage": Stage(stage).label}, code="stage_done")
    missing = [s for s in required[: required.index(stage)] if s not in done]
    if missing:
        raise Conflict(
            _("须先完成：%(stages)s。") % {"stages": "、".join(str(Stage(s).label) for s in missing)},
            code="out_of_order",
        )
    if not seen.strip():
        raise ApplicationError(_("请写明审阅了哪些材料。"), code="seen_required")
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at) or at > now:
        raise ApplicationError(_("审批时间须带时区，且不能晚于现在。"), code="bad_time")
    if request.approvals.filter(approved_at__gt=at).exists():
        raise ApplicationError(_("审批时间不能早于前一环节的审批。"), code="bad_time")

    if stage == Stage.COMMITTEE:
        if not can(actor, Action.CHANGE, estate):
            raise NotPermitted(_("只有业委会委员或社区书记可以登记业委会决定。"))
        if (decision is None) == (resolution_vote is None):
            raise ApplicationError(_("请引用一项会议决定或一次业主大会表决（二者选一）。"), code="basis_required")
        if decision is not None:
            if decision.meeting.estate_id != estate.pk or decision.meeting.kind not in (
                MeetingKind.COMMITTEE,
                MeetingKind.ASSEMBLY,
            ):
                raise ApplicationError(_("所引用的决定不是本小区业委会或业主大会的决定。"), code="foreign_decision")
            if not decision.passed:
                raise ApplicationError(_("所引用的决定未获通过。"), code="decision_failed")
        else:
            from elections.models import VoteKind

            if resolution_vote.estate_id != estate.pk or resolution_vote.kind != VoteKind.RESOLUTION:
                raise ApplicationError(_("所引用的表决不是本小区的业主大会表决。"), code="foreign_vote")
            if resolution_vote.passed is not True:
                raise ApplicationError(_("所引用的表决未获通过。"), code="vote_failed")
    elif stage == Stage.SUPERVISION:
        if not _is_supervisor(actor, estate, timezone.localdate()):
            raise NotPermitted(_("只有本小区事务监督组的成员可以签字。"))
        if _on_committee(getattr(actor, "person_id", None), estate, timezone.localdate()):
            raise NotPermitted(_("业委会委员不能以事务监督组成员身份为本会的支出签字。"))
    elif stage == Stage.DISCIPLINE and not can(actor, Action.REVIEW, estate):
        raise NotPermitted(_("只有街道纪工委的审查人员可以提前介入审查。"))

    approval = SpendingApproval.objects.create(
        request=request,
        stage=stage,
        approver=acting_user(actor),
        approved_at=at,
        seen=seen.strip(),
        decision=decision if stage == Stage.COMMITTEE else None,
        resolution_vote=resolution_vote if stage == Stage.COMMITTEE else None,
    )
    if all(s in done | {stage} for s in required):
        request.status = SpendingStatus.APPROVED
        request.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=CommitteesEvent.SPENDING_APPROVE,
        obj=request,
        place=estate,
        data={"stage": stage, "approval": approval.pk, "seen": approval.seen[:200]},
    )
    return approval


@transaction.atomic
def spending_pay(*, request: SpendingRequest, date: datetime.date, voucher, actor) -> LedgerTransaction:
    """Pay an approved request: post it to the ledger (expense of its purpose, out of the bank)."""
    request = SpendingRequest.objects.select_for_update().select_related("estate", "purpose").get(pk=request.pk)
    estate = request.estate
    if not can(actor, Action.CHANGE, estate):
        raise NotPermitted(_("只有业委会委员或社区书记可以登记支付。"))
    if request.status == SpendingStatus.PAID:
        raise Conflict(_("该申请已支付。"), code="already_paid")
    done = set(request.approvals.values_list("stage", flat=True))
    missing = [s for s in request.required_stages() if s not in done]
    if missing:
        raise Conflict(
            _("审批未完成，不能支付；尚缺：%(stages)s。") % {"stages": "、".join(str(Stage(s).label) for s in missing)},
            code="approvals_incomplete",
        )
    balance = selectors.account_balances(estate, until=date).get(BANK, Decimal("0"))
    if balance < request.amount:
        raise Conflict(
            _("公共收益账户余额（%(balance)s元）不足以支付%(amount)s元。")
            % {"balance": balance, "amount": request.amount},
            code="insufficient_funds",
        )
    tx = transaction_post(
        estate=estate,
        date=date,
        voucher=voucher,
        actor=actor,
        memo=(_("支付：%(payee)s %(desc)s") % {"payee": request.payee, "desc": request.description})[:300],
        legs=[(request.purpose, request.amount, Decimal("0")), (account(estate, BANK), Decimal("0"), request.amount)],
    )
    request.payment = tx
    request.status = SpendingStatus.PAID
    request.save(update_fields=["payment", "status"])
    audit_record(
        actor=actor, action=CommitteesEvent.SPENDING_PAY, obj=request, place=estate, data={"transaction": tx.pk}
    )
    _send_on_commit(spending_paid, request=request)
    return tx


# Statements -----------------------------------------------------------------------------


@transaction.atomic
def statement_publish(*, estate: Place, period_start: datetime.date, period_end: datetime.date, actor) -> Statement:
    """Publish the statement of a period that has ended; its figures are frozen from then on."""
    _require_estate(estate)
    if period_end < period_start:
        raise ApplicationError(_("期间结束日期不能早于开始日期。"), code="bad_period")
    if period_end >= timezone.localdate():
        raise ApplicationError(_("只能公开已经结束的期间。"), code="period_not_over")
    _lock_ledger(estate)
    closed = _closed_until(estate)
    if closed and period_start <= closed:
        raise Conflict(
            _("%(closed)s 以前的收支已公开；新的报表须从其后一天开始。") % {"closed": closed}, code="overlapping_period"
        )
    figures = selectors.statement_figures(estate, period_start, period_end)
    statement = Statement.objects.create(
        estate=estate,
        period_start=period_start,
        period_end=period_end,
        figures=figures,
        figures_hash=selectors.figures_hash(figures),
        last_sequence=figures["last_sequence"],
        published_at=timezone.now(),
        published_by=acting_user(actor),
    )
    audit_record(
        actor=actor,
        action=CommitteesEvent.STATEMENT_PUBLISH,
        obj=statement,
        place=estate,
        summary=str(statement),
        data={"hash": statement.figures_hash},
    )
    return statement
