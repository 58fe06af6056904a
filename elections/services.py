"""Writes of the voting engine: votes and their lifecycle, the preparatory group, candidates,
the frozen roll, ballots through every channel, voids, paper serials, voting codes and the tally.

Every function here is the one way its use case happens: the API, the web pages, the admin,
management commands and Celery tasks all call it.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.crypto import keyed_hash
from core.errors import ApplicationError, Conflict, NotPermitted
from elections import selectors
from elections.chain import GENESIS, approve_text, ballot_hash, receipt_hash, timestamp
from elections.events import ElectionsEvent
from elections.models import (
    PAPER_CHANNELS,
    STAFF_CHANNELS,
    Ballot,
    BallotApproval,
    BallotVoid,
    Candidate,
    Channel,
    Choice,
    GroupBody,
    Matter,
    NominatedBy,
    PaperSerial,
    PreparatoryGroup,
    PreparatoryMember,
    RefusedBallot,
    RollEntry,
    RollOwner,
    RollUnit,
    TallyState,
    Vote,
    VoteKind,
    VoteResult,
    VoteStatus,
    VoteStep,
    VotingCode,
)
from elections.signals import vote_filed
from governance.audit import audit_record
from governance.models import Place, PlaceKind
from governance.scoping import SYSTEM, Action, acting_user, can, require
from residents.models import Owner, OwnerKind, Ownership, PartyMember, PropertyUnit
from residents.selectors import voting_roll


def setting(key: str, default):
    return settings.GONGZHI.get(key, default)


_require = require


def _lock(vote: Vote) -> Vote:
    """Lock the vote's row for this transaction and reload ``vote`` in place from it."""
    list(Vote.objects.select_for_update().filter(pk=vote.pk).values_list("pk"))
    vote.refresh_from_db()
    return vote


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


class BallotRefused(Conflict):
    """A ballot the vote's state or its roll refuses (HTTP 409); it is kept in the refusal log."""

    code = "ballot_refused"


class TransitionRefused(Conflict):
    code = "transition_refused"


# Votes --------------------------------------------------------------------------------------


def _check_seats(seats: int | None) -> int:
    low, high = setting("COMMITTEE_SEATS_MIN", 5), setting("COMMITTEE_SEATS_MAX", 11)
    if seats is None or seats % 2 == 0 or not low <= seats <= high:
        raise ApplicationError(
            _("业主委员会应选名额须为 %(low)s 至 %(high)s 之间的奇数。") % {"low": low, "high": high},
            code="seats_invalid",
        )
    return seats


@transaction.atomic
def vote_create(
    *,
    estate: Place,
    kind: str,
    title: str,
    notice_starts: datetime.date,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    actor,
    matter: int | None = None,
    seats: int | None = None,
    description: str = "",
    extension_allowed: bool = False,
) -> Vote:
    """Create a vote of ``estate`` in draft: an election (matter 3, an odd number of seats) or a resolution."""
    if estate.kind != PlaceKind.ESTATE:
        raise ApplicationError(_("投票只能在小区发起。"), code="not_an_estate")
    _require(actor, Action.RUN_VOTE, estate)
    if kind == VoteKind.COMMITTEE_ELECTION:
        matter, seats = Matter.COMMITTEE, _check_seats(seats)
    elif kind == VoteKind.RESOLUTION:
        if matter not in Matter.values:
            raise ApplicationError(
                _("表决事项须为《民法典》第二百七十八条所列的第 1 至 9 项之一。"), code="matter_invalid"
            )
        seats = None
    else:
        raise ApplicationError(_("投票类型须为业主委员会选举或业主大会表决。"), code="kind_invalid")
    if timezone.is_naive(opens_at) or timezone.is_naive(closes_at):
        raise ApplicationError(_("投票起止时间须带时区。"), code="naive_datetime")
    if closes_at <= opens_at:
        raise ApplicationError(_("投票截止时间须晚于开始时间。"), code="window_invalid")
    vote = Vote.objects.create(
        estate=estate,
        kind=kind,
        title=title.strip(),
        description=description,
        matter=matter,
        seats=seats,
        notice_starts=notice_starts,
        notice_days=setting("VOTE_NOTICE_DAYS", 7),
        objection_days=setting("VOTE_OBJECTION_DAYS", 7),
        opens_at=opens_at,
        closes_at=closes_at,
        extension_allowed=extension_allowed,
        created_by=acting_user(actor),
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.VOTE_CREATE,
        obj=vote,
        place=estate,
        summary=vote.title,
        data={"kind": kind, "matter": matter, "seats": seats},
    )
    return vote


# Preparatory group ---------------------------------------------------------------------------

# DOMAIN.md §5.1: in Jiangbei these bodies also send members.
JIANGBEI_BODIES = (GroupBody.PARTY, GroupBody.PROPERTY_CENTRE, GroupBody.POLICE)


def preparatory_group_refusal(members: list[dict]) -> str | None:
    """Say which rule of DOMAIN.md §5.1 a group breaks, or return None if it keeps them all."""
    n = len(members)
    bodies = [m.get("body") for m in members]
    if any(b not in GroupBody.values for b in bodies):
        return _("成员来源须为：%(bodies)s。") % {"bodies": "、".join(GroupBody.values)}
    if n == 0 or n % 2 == 0:
        return _("筹备组成员人数须为奇数（现为 %(n)s 人）。") % {"n": n}
    owners = bodies.count(GroupBody.OWNERS)
    if 2 * owners < n:
        return _("业主代表须不少于筹备组成员的一半（现为 %(owners)s/%(n)s）。") % {"owners": owners, "n": n}
    leaders = [m for m in members if m.get("leads")]
    if len(leaders) != 1 or leaders[0].get("body") != GroupBody.STREET:
        return _("筹备组须由一名街道代表担任组长。")
    missing = [GroupBody(b).label for b in JIANGBEI_BODIES if b not in bodies]
    if missing:
        return _("筹备组缺少：%(missing)s。") % {"missing": "、".join(str(m) for m in missing)}
    return None


@transaction.atomic
def preparatory_group_record(*, vote: Vote, members: list[dict], actor) -> PreparatoryGroup:
    """Record the preparatory group of an election and post its list, refusing a group that breaks §5.1."""
    _require(actor, Action.RUN_VOTE, vote.estate)
    if not vote.is_election:
        raise ApplicationError(_("只有业主委员会选举需要筹备组。"), code="not_an_election")
    if vote.status != VoteStatus.DRAFT:
        raise Conflict(_("筹备组只能在草稿阶段登记。"), code="wrong_status")
    if PreparatoryGroup.objects.filter(vote=vote).exists():
        raise Conflict(_("本次选举已登记筹备组。"), code="group_exists")
    refusal = preparatory_group_refusal(members)
    if refusal:
        raise ApplicationError(refusal, code="preparatory_group_invalid")
    group = PreparatoryGroup.objects.create(vote=vote, posted_at=timezone.now(), recorded_by=acting_user(actor))
    PreparatoryMember.objects.bulk_create(
        PreparatoryMember(group=group, name=m["name"].strip(), body=m["body"], leads=bool(m.get("leads")))
        for m in members
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.PREPARATORY_GROUP_RECORD,
        obj=group,
        place=vote.estate,
        data={"members": len(members)},
    )
    return group


# Candidates ----------------------------------------------------------------------------------


def _owns_in_estate(owner: Owner, estate: Place, day: datetime.date) -> bool:
    return Ownership.objects.active_on(day).filter(owner=owner, unit__estate=estate).exists()


@transaction.atomic
def candidate_nominate(
    *, vote: Vote, owner: Owner, nominated_by: str, actor, statement: str = "", is_party_member: bool = False
) -> Candidate:
    """Nominate an owner of the estate as a candidate (by owners, the residents' committee or the party)."""
    _require(actor, Action.RUN_VOTE, vote.estate)
    if not vote.is_election:
        raise ApplicationError(_("表决事项没有候选人。"), code="not_an_election")
    if vote.status != VoteStatus.NOMINATION:
        raise Conflict(_("只有在候选人推荐阶段才能推荐候选人。"), code="wrong_status")
    if nominated_by not in NominatedBy.values:
        raise ApplicationError(_("推荐方式须为业主、居民委员会或社区党组织。"), code="nominated_by_invalid")
    if owner.kind != OwnerKind.PERSON or owner.is_developer:
        raise ApplicationError(_("候选人须为本小区的自然人业主。"), code="candidate_not_person")
    if not _owns_in_estate(owner, vote.estate, timezone.localdate()):
        raise ApplicationError(_("候选人须为本小区的业主。"), code="candidate_not_owner")
    if Candidate.objects.filter(vote=vote, owner=owner).exists():
        raise Conflict(_("该业主已是本次选举的候选人。"), code="candidate_exists")
    # Party membership comes from the register when it knows it; otherwise as reported at nomination.
    is_party_member = is_party_member or PartyMember.objects.filter(person_id=owner.person_id).exists()
    candidate = Candidate.objects.create(
        vote=vote, owner=owner, nominated_by=nominated_by, statement=statement, is_party_member=is_party_member
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.CANDIDATE_NOMINATE,
        obj=candidate,
        place=vote.estate,
        data={"owner": owner.pk, "nominated_by": nominated_by},
    )
    return candidate


@transaction.atomic
def candidate_review(*, candidate: Candidate, eligible: bool, reason: str, actor) -> Candidate:
    """Record a candidate's eligibility review (a reason is required to find one ineligible)."""
    vote = candidate.vote
    _require(actor, Action.RUN_VOTE, vote.estate)
    if vote.status not in (VoteStatus.NOMINATION, VoteStatus.REVIEW):
        raise Conflict(_("资格审查须在公示之前完成。"), code="wrong_status")
    if not eligible and not (reason or "").strip():
        raise ApplicationError(_("认定不符合资格时须写明理由。"), code="reason_required")
    Candidate.objects.filter(pk=candidate.pk).update(
        eligible=eligible, review_reason=reason or "", reviewed_by=acting_user(actor), reviewed_at=timezone.now()
    )
    candidate.refresh_from_db()
    audit_record(
        actor=actor,
        action=ElectionsEvent.CANDIDATE_REVIEW,
        obj=candidate,
        place=vote.estate,
        data={"eligible": eligible, "reason": reason},
    )
    return candidate


# Lifecycle ----------------------------------------------------------------------------------

ELECTION_NEXT = {
    VoteStatus.DRAFT: VoteStatus.NOMINATION,
    VoteStatus.NOMINATION: VoteStatus.REVIEW,
    VoteStatus.REVIEW: VoteStatus.NOTICE,
    VoteStatus.NOTICE: VoteStatus.VOTING,
    VoteStatus.VOTING: VoteStatus.COUNTING,
    VoteStatus.PRELIMINARY: VoteStatus.FINAL,
    VoteStatus.FINAL: VoteStatus.FILED,
}
RESOLUTION_NEXT = {**ELECTION_NEXT, VoteStatus.DRAFT: VoteStatus.NOTICE}
CANCELLABLE = (VoteStatus.DRAFT, VoteStatus.NOMINATION, VoteStatus.REVIEW, VoteStatus.NOTICE, VoteStatus.VOTING)


def _allowed_next(vote: Vote) -> set[str]:
    table = ELECTION_NEXT if vote.is_election else RESOLUTION_NEXT
    allowed = {table[vote.status]} if vote.status in table else set()
    if vote.status in CANCELLABLE:
        allowed.add(VoteStatus.CANCELLED)
    if vote.status == VoteStatus.COUNTING:
        allowed |= {VoteStatus.PRELIMINARY, VoteStatus.FAILED}
    return allowed


def _refuse(message: str, code: str = "transition_refused"):
    raise TransitionRefused(message, code=code)


def _check_guard(vote: Vote, to: str, now: datetime.datetime, reason: str, filed_on, filing_reference: str) -> None:
    """Refuse a transition whose conditions do not hold, with a message a person can act on."""
    if to == VoteStatus.CANCELLED:
        if not reason.strip():
            _refuse(_("取消投票须写明原因。"), "reason_required")
        return
    if to == VoteStatus.NOMINATION:
        group = PreparatoryGroup.objects.filter(vote=vote).first()
        if group is None:
            _refuse(_("须先登记符合规定的筹备组，选举才能进入候选人推荐阶段。"), "preparatory_group_missing")
        members = list(group.members.values("name", "body", "leads"))
        refusal = preparatory_group_refusal(members)
        if refusal:
            _refuse(refusal, "preparatory_group_invalid")
    elif to == VoteStatus.REVIEW:
        if not Candidate.objects.filter(vote=vote).exists():
            _refuse(_("尚无候选人，不能进入资格审查。"), "no_candidates")
    elif to == VoteStatus.NOTICE:
        if vote.is_election:
            if Candidate.objects.filter(vote=vote, eligible__isnull=True).exists():
                _refuse(_("还有候选人未完成资格审查。"), "review_pending")
            if not Candidate.objects.filter(vote=vote, eligible=True).exists():
                _refuse(_("没有通过资格审查的候选人。"), "no_eligible_candidates")
        if vote.notice_starts > timezone.localdate(now):
            _refuse(_("公示开始日期不能晚于今天。"), "notice_in_future")
    elif to == VoteStatus.VOTING:
        earliest = vote.notice_starts + datetime.timedelta(days=vote.notice_days)
        if _local_date(vote.opens_at) < earliest or timezone.localdate(now) < earliest:
            _refuse(
                _("公示期不少于 %(days)s 天：自 %(start)s 起公示，最早 %(earliest)s 开始投票。")
                % {"days": vote.notice_days, "start": vote.notice_starts, "earliest": earliest},
                "notice_too_short",
            )
        if now < vote.opens_at:
            _refuse(_("投票将于 %(at)s 开始，尚未到时间。") % {"at": timezone.localtime(vote.opens_at)}, "not_yet_open")
        if now >= vote.closes_at:
            _refuse(_("投票截止时间已过，不能开始投票。"), "window_passed")
    elif to == VoteStatus.COUNTING:
        if now < vote.opens_at:
            _refuse(_("投票尚未开始，不能结束投票。"), "not_yet_open")
    elif to in (VoteStatus.PRELIMINARY, VoteStatus.FAILED):
        result = vote.latest_result
        if result is None or vote.tally_state != TallyState.DONE:
            _refuse(_("计票尚未完成。"), "not_counted")
        met = result.data["quorum"]["met"]
        if to == VoteStatus.PRELIMINARY and not met:
            _refuse(
                _("参与表决的业主未达法定人数，不能公布结果；可延期一次（如议事规则允许）或宣告未通过。"),
                "quorum_not_met",
            )
        if to == VoteStatus.FAILED and met:
            _refuse(_("已达法定人数，应公布初步结果。"), "quorum_met")
    elif to == VoteStatus.FINAL:
        if vote.objection_ends and timezone.localdate(now) <= vote.objection_ends:
            _refuse(
                _("异议期至 %(date)s 结束，之后才能公布最终结果。") % {"date": vote.objection_ends},
                "objection_window_open",
            )
    elif to == VoteStatus.FILED and vote.is_election and (not filing_reference.strip() or filed_on is None):
        _refuse(_("备案须填写街道办事处的备案文号和备案日期。"), "filing_required")


@transaction.atomic
def vote_transition(
    *,
    vote: Vote,
    to: str,
    actor,
    reason: str = "",
    filing_reference: str = "",
    filed_on: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Vote:
    """Move ``vote`` to the state ``to`` if the lifecycle allows it now, and record the step."""
    _require(actor, Action.RUN_VOTE, vote.estate)
    now = now or timezone.now()
    # Lock the vote: a transition must not interleave with ballots or another transition.
    _lock(vote)
    if to not in VoteStatus.values:
        raise ApplicationError(_("未知的状态“%(to)s”。") % {"to": to}, code="unknown_status")
    allowed = _allowed_next(vote)
    if to not in allowed:
        names = "、".join(sorted(allowed)) or _("（无，已结束）")
        _refuse(
            _("“%(title)s”当前处于“%(status)s”，不能转到“%(to)s”；可转到：%(allowed)s。")
            % {"title": vote.title, "status": vote.status, "to": to, "allowed": names},
            "out_of_order",
        )
    _check_guard(vote, to, now, reason, filed_on, filing_reference)
    previous = vote.status
    fields = ["status"]
    vote.status = to
    if to == VoteStatus.VOTING:
        _freeze_roll(vote, now)
        fields += ["roll_frozen_at", "roll_total_area", "roll_total_owners"]
    elif to == VoteStatus.COUNTING:
        vote.tally_state = TallyState.PENDING
        fields.append("tally_state")
    elif to == VoteStatus.PRELIMINARY:
        vote.result_date = timezone.localdate(now)
        vote.objection_ends = vote.result_date + datetime.timedelta(days=vote.objection_days)
        if vote.is_election:
            vote.filing_due = vote.result_date + datetime.timedelta(days=setting("COMMITTEE_FILING_DAYS", 30))
        fields += ["result_date", "objection_ends", "filing_due"]
    elif to == VoteStatus.FILED:
        vote.filing_reference, vote.filed_on = filing_reference.strip(), filed_on
        fields += ["filing_reference", "filed_on"]
    elif to == VoteStatus.CANCELLED:
        vote.cancel_reason = reason.strip()
        fields.append("cancel_reason")
    vote.save(update_fields=fields)
    VoteStep.objects.create(
        vote=vote, from_status=previous, to_status=to, actor=acting_user(actor), at=now, reason=reason
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.VOTE_TRANSITION,
        obj=vote,
        place=vote.estate,
        data={"from": previous, "to": to, "reason": reason},
    )
    if to == VoteStatus.COUNTING:
        from elections.tasks import vote_tally_task

        transaction.on_commit(lambda: vote_tally_task.delay(vote.pk))
    if to == VoteStatus.FILED and vote.is_election:
        result = vote.latest_result
        elected_candidates = result.data.get("elected", []) if result else []
        owner_of = dict(Candidate.objects.filter(pk__in=elected_candidates).values_list("pk", "owner_id"))
        elected = [owner_of[c] for c in elected_candidates if c in owner_of]
        transaction.on_commit(lambda: vote_filed.send(sender=Vote, vote=vote, elected=elected, actor=actor))
    return vote


def vote_close(*, vote: Vote, actor, now: datetime.datetime | None = None) -> Vote:
    """Close voting (after it opened) and enqueue the tally."""
    return vote_transition(vote=vote, to=VoteStatus.COUNTING, actor=actor, now=now)


@transaction.atomic
def vote_extend(*, vote: Vote, closes_at: datetime.datetime, actor, now: datetime.datetime | None = None) -> Vote:
    """Extend a vote whose quorum failed, once, within the configured limit, if the estate's rules allow it."""
    _require(actor, Action.RUN_VOTE, vote.estate)
    now = now or timezone.now()
    _lock(vote)
    result = vote.latest_result
    if vote.status != VoteStatus.COUNTING or result is None or result.data["quorum"]["met"]:
        raise TransitionRefused(_("只有未达法定人数、已计票的投票才能延期。"), code="not_extendable")
    if not vote.extension_allowed:
        raise TransitionRefused(_("本小区议事规则不允许延期，请宣告投票未通过。"), code="extension_not_allowed")
    if vote.extended:
        raise TransitionRefused(_("投票只能延期一次。"), code="already_extended")
    limit = vote.closes_at + datetime.timedelta(days=setting("VOTE_EXTENSION_MAX_DAYS", 15))
    if not (now < closes_at <= limit):
        raise ApplicationError(
            _("延期后的截止时间须晚于现在，且不晚于 %(limit)s。") % {"limit": timezone.localtime(limit)},
            code="extension_too_long",
        )
    previous = vote.status
    vote.original_closes_at, vote.closes_at = vote.closes_at, closes_at
    vote.extended, vote.status, vote.tally_state = True, VoteStatus.VOTING, TallyState.IDLE
    vote.save(update_fields=["original_closes_at", "closes_at", "extended", "status", "tally_state"])
    VoteStep.objects.create(
        vote=vote,
        from_status=previous,
        to_status=vote.status,
        actor=actor,
        at=now,
        reason=_("延期至 %(at)s") % {"at": timezone.localtime(closes_at)},
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.VOTE_EXTEND,
        obj=vote,
        place=vote.estate,
        data={"closes_at": closes_at.isoformat()},
    )
    return vote


# The frozen roll -----------------------------------------------------------------------------


def _freeze_roll(vote: Vote, now: datetime.datetime) -> None:
    """Store the voting roll as it stands now; every count of this vote reads only this snapshot."""
    roll = voting_roll(vote.estate, on=timezone.localdate(now))
    entries = RollEntry.objects.bulk_create(
        [RollEntry(vote=vote, key=e.key, area=e.area, is_developer=e.is_developer) for e in roll.entries],
        batch_size=5000,
    )
    if not entries or entries[0].pk is None:  # backends that do not return ids
        ids = dict(RollEntry.objects.filter(vote=vote).values_list("key", "pk"))
        for entry in entries:
            entry.pk = ids[entry.key]
    area_of = dict(PropertyUnit.objects.filter(estate=vote.estate).values_list("pk", "area"))
    RollUnit.objects.bulk_create(
        [
            RollUnit(vote=vote, entry_id=entry.pk, unit_id=u, area=area_of[u])
            for entry, e in zip(entries, roll.entries, strict=True)
            for u in e.unit_ids
        ],
        batch_size=5000,
    )
    RollOwner.objects.bulk_create(
        [
            RollOwner(vote=vote, entry_id=entry.pk, owner_id=o)
            for entry, e in zip(entries, roll.entries, strict=True)
            for o in e.owner_ids
        ],
        batch_size=5000,
    )
    vote.roll_frozen_at = now
    vote.roll_total_area = roll.total_area
    vote.roll_total_owners = roll.total_owners


# Ballots ------------------------------------------------------------------------------------


def _resolve_entry(vote: Vote, *, owner_id, unit_id, voting_code: str | None, day) -> tuple[RollEntry, int | None]:
    """Find the counted owner a ballot is for: by voting code, unit, or owner (or a unit's new owner)."""
    if voting_code:
        code = VotingCode.objects.filter(vote=vote, code_hash=keyed_hash(voting_code)).first()
        if code is None:
            raise BallotRefused(_("投票码不正确，请核对公告上的投票码。"), code="code_invalid")
        unit_id = code.unit_id
    if unit_id is not None:
        ru = RollUnit.objects.filter(vote=vote, unit_id=unit_id).select_related("entry").first()
        if ru is None:
            raise BallotRefused(_("该房屋不在本次投票的业主名册上。"), code="not_on_roll")
        return ru.entry, owner_id
    if owner_id is None:
        raise ApplicationError(_("请指明业主或房屋。"), code="owner_or_unit_required")
    ro = RollOwner.objects.filter(vote=vote, owner_id=owner_id).select_related("entry").first()
    if ro is not None:
        return ro.entry, owner_id
    # A person who has since become the owner of one of the roll's units may vote for it,
    # if no ballot was cast for it yet (the one-live-ballot rule settles that).
    unit_ids = Ownership.objects.active_on(day).filter(owner_id=owner_id).values("unit_id")
    ru = RollUnit.objects.filter(vote=vote, unit_id__in=unit_ids).select_related("entry").order_by("pk").first()
    if ru is None:
        raise BallotRefused(_("该业主不在本次投票的业主名册上。"), code="not_on_roll")
    return ru.entry, owner_id


def _is_owner_of_entry(vote: Vote, entry: RollEntry, owner_id: int, day) -> bool:
    if RollOwner.objects.filter(vote=vote, entry=entry, owner_id=owner_id).exists():
        return True
    units = RollUnit.objects.filter(vote=vote, entry=entry).values("unit_id")
    return Ownership.objects.active_on(day).filter(owner_id=owner_id, unit_id__in=units).exists()


def _check_channel(vote: Vote, channel: str, actor, *, voting_code, reference, paper_serial) -> None:
    if channel not in Channel.values:
        raise ApplicationError(_("投票渠道须为：%(c)s。") % {"c": "、".join(Channel.values)}, code="channel_invalid")
    if channel == Channel.ONLINE:
        if voting_code:
            return
        if actor is None or not can(actor, Action.VOTE, vote.estate):
            raise NotPermitted(_("网上投票须由业主本人登录或使用投票码。"))
        return
    if actor is None or not (can(actor, Action.ENTER_BALLOT, vote.estate) or can(actor, Action.RUN_VOTE, vote.estate)):
        raise NotPermitted(_("电话、微信和纸质选票须由工作人员录入。"))
    if channel in PAPER_CHANNELS and not paper_serial.strip():
        raise ApplicationError(_("纸质选票须先录入选票编号。"), code="serial_required")
    if channel in STAFF_CHANNELS and not reference.strip():
        raise ApplicationError(_("电话和微信投票须记录通话或消息的凭证号。"), code="reference_required")


def _check_content(vote: Vote, approve, choice) -> tuple[list[int], str, bool]:
    """Return (approved candidate ids, choice, valid); an election ballot over the seats is invalid."""
    if vote.is_election:
        if choice:
            raise ApplicationError(_("选举选票只能勾选候选人。"), code="choice_not_allowed")
        ids = [int(i) for i in (approve or [])]
        if len(set(ids)) != len(ids):
            raise ApplicationError(_("同一候选人不能重复勾选。"), code="duplicate_approval")
        eligible = set(Candidate.objects.filter(vote=vote, eligible=True, pk__in=ids).values_list("pk", flat=True))
        unknown = [i for i in ids if i not in eligible]
        if unknown:
            raise ApplicationError(
                _("选票上有不是本次选举候选人的编号：%(ids)s。") % {"ids": unknown}, code="unknown_candidate"
            )
        if len(ids) > (vote.seats or 0):
            return sorted(ids), "", False
        return sorted(ids), "", True
    if approve:
        raise ApplicationError(_("表决选票只能选择同意、反对或弃权。"), code="approve_not_allowed")
    if choice not in Choice.values:
        raise ApplicationError(_("请选择同意、反对或弃权。"), code="choice_required")
    return [], choice, True


def _check_paper(vote: Vote, channel: str, serial: str) -> str:
    if channel not in PAPER_CHANNELS:
        return ""
    serial = serial.strip()
    paper = PaperSerial.objects.filter(vote=vote, serial=serial).first()
    if paper is None:
        raise BallotRefused(_("选票编号 %(s)s 未登记发放。") % {"s": serial}, code="serial_unknown")
    if paper.voided_at is not None:
        raise BallotRefused(_("选票编号 %(s)s 已作废。") % {"s": serial}, code="serial_void")
    if Ballot.objects.filter(vote=vote, paper_serial=serial, voided=False).exists():
        raise BallotRefused(_("选票编号 %(s)s 已录入过。") % {"s": serial}, code="serial_used")
    return serial


def _cast(
    *,
    vote,
    channel,
    actor,
    owner_id,
    unit_id,
    approve,
    choice,
    proxy_name,
    proxy_mandate,
    paper_serial,
    reference,
    voting_code,
    now,
    context,
) -> Ballot:
    # Lock the vote row: ballots of one vote are appended one at a time, so the hash chain
    # has one order and the duplicate check below sees every committed ballot. The unique
    # constraint on (vote, entry) stays the last word.
    vote = Vote.objects.select_for_update().get(pk=vote.pk)
    if vote.status != VoteStatus.VOTING or not (vote.opens_at <= now < vote.closes_at):
        raise BallotRefused(
            _("不在投票时间内（%(opens)s 至 %(closes)s），选票不予接受。")
            % {"opens": timezone.localtime(vote.opens_at), "closes": timezone.localtime(vote.closes_at)},
            code="outside_window",
        )
    day = timezone.localdate(now)
    _check_channel(vote, channel, actor, voting_code=voting_code, reference=reference, paper_serial=paper_serial)
    if channel == Channel.ONLINE and not voting_code and owner_id is None and unit_id is None:
        own = Owner.objects.filter(person__user=actor).values_list("pk", flat=True).first()
        if own is None:
            raise NotPermitted(_("您的账号未关联业主身份，请使用投票码或到现场投票。"))
        owner_id = own
    entry, owner_id = _resolve_entry(vote, owner_id=owner_id, unit_id=unit_id, voting_code=voting_code, day=day)
    context["entry"] = entry
    if bool(proxy_name.strip()) != bool(proxy_mandate.strip()):
        raise ApplicationError(_("委托投票须同时登记受托人姓名和书面委托书编号。"), code="proxy_incomplete")
    if channel == Channel.ONLINE and not voting_code and not proxy_name:
        own_ids = list(Owner.objects.filter(person__user=actor).values_list("pk", flat=True))
        if not any(_is_owner_of_entry(vote, entry, o, day) for o in own_ids):
            raise NotPermitted(_("您只能为自己投票；代他人投票须登记书面委托。"))
    approved, choice, valid = _check_content(vote, approve, choice)
    serial = _check_paper(vote, channel, paper_serial)
    if Ballot.objects.filter(vote=vote, entry=entry, voided=False).exists():
        raise BallotRefused(
            _("该业主（%(key)s）已经投过票，每位业主只能投一票。") % {"key": entry.key}, code="duplicate"
        )

    last = Ballot.objects.filter(vote=vote).aggregate(seq=Max("seq"))["seq"] or 0
    prev = Ballot.objects.filter(vote=vote, seq=last).values_list("hash", flat=True).first() or GENESIS
    receipt = secrets.token_hex(6).upper()
    r_hash = receipt_hash(receipt)
    seq = last + 1
    digest = ballot_hash(
        vote_id=vote.pk,
        seq=seq,
        key=entry.key,
        channel=channel,
        choice=choice,
        approve=approve_text(approved),
        valid=valid,
        proxy_name=proxy_name.strip(),
        proxy_mandate=proxy_mandate.strip(),
        paper_serial=serial,
        reference=reference.strip(),
        cast_at=timestamp(now),
        receipt_hash=r_hash,
        prev_hash=prev,
    )
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(
                vote=vote,
                seq=seq,
                entry=entry,
                channel=channel,
                choice=choice,
                approve=approved,
                valid=valid,
                cast_by_owner_id=owner_id,
                proxy_name=proxy_name.strip(),
                proxy_mandate=proxy_mandate.strip(),
                paper_serial=serial,
                reference=reference.strip(),
                entered_by=acting_user(actor),
                cast_at=now,
                receipt_hash=r_hash,
                prev_hash=prev,
                hash=digest,
            )
    except IntegrityError as exc:
        raise BallotRefused(_("该业主已经投过票，每位业主只能投一票。"), code="duplicate") from exc
    if valid and approved:
        BallotApproval.objects.bulk_create(BallotApproval(ballot=ballot, candidate_id=c) for c in approved)
    if voting_code:
        VotingCode.objects.filter(vote=vote, code_hash=keyed_hash(voting_code)).update(used_at=now)
    audit_record(
        actor=actor,
        action=ElectionsEvent.BALLOT_CAST,
        obj=ballot,
        place=vote.estate,
        data={"channel": channel, "seq": seq, "valid": valid},
    )
    ballot.receipt = receipt
    return ballot


def ballot_cast(
    *,
    vote: Vote,
    channel: str,
    actor,
    owner_id: int | None = None,
    unit_id: int | None = None,
    approve: Iterable[int] | None = None,
    choice: str = "",
    proxy_name: str = "",
    proxy_mandate: str = "",
    paper_serial: str = "",
    reference: str = "",
    voting_code: str | None = None,
    now: datetime.datetime | None = None,
) -> Ballot:
    """Cast one ballot for a counted owner of the frozen roll, or refuse it and log the refusal.

    Returns the ballot with ``receipt`` set (shown to the voter once; only its hash is kept).
    """
    now = now or timezone.now()
    context: dict = {}
    try:
        with transaction.atomic():
            return _cast(
                vote=vote,
                channel=channel,
                actor=actor,
                owner_id=owner_id,
                unit_id=unit_id,
                approve=list(approve or []),
                choice=choice or "",
                proxy_name=proxy_name or "",
                proxy_mandate=proxy_mandate or "",
                paper_serial=paper_serial or "",
                reference=reference or "",
                voting_code=voting_code,
                now=now,
                context=context,
            )
    except NotPermitted:
        raise
    except ApplicationError as exc:
        RefusedBallot.objects.create(
            vote=vote,
            entry=context.get("entry"),
            channel=channel or "",
            reason=exc.code,
            message=exc.message,
            payload={"owner": owner_id, "unit": unit_id, "paper_serial": paper_serial, "reference": reference},
            actor=acting_user(actor),
            at=timezone.now(),
        )
        raise


@transaction.atomic
def ballot_void(*, ballot: Ballot, reason: str, actor) -> BallotVoid:
    """Void a wrongly entered ballot (a supervisor, with a reason); the ballot stays, and may be re-entered."""
    vote = ballot.vote
    _require(actor, Action.RUN_VOTE, vote.estate)
    _lock(vote)
    if vote.status != VoteStatus.VOTING:
        raise Conflict(_("只有投票进行中才能作废录入错误的选票。"), code="wrong_status")
    if not (reason or "").strip():
        raise ApplicationError(_("作废选票须写明原因。"), code="reason_required")
    if BallotVoid.objects.filter(ballot=ballot).exists():
        raise Conflict(_("该选票已作废。"), code="already_void")
    void = BallotVoid.objects.create(ballot=ballot, reason=reason.strip(), actor=acting_user(actor), at=timezone.now())
    # The one column of a ballot that changes, so that its owner may be entered again.
    Ballot.objects.filter(pk=ballot.pk).update(voided=True)
    audit_record(actor=actor, action=ElectionsEvent.BALLOT_VOID, obj=ballot, place=vote.estate, data={"reason": reason})
    return void


# Paper serials and voting codes --------------------------------------------------------------


@transaction.atomic
def paper_serials_issue(*, vote: Vote, serials: list[str], actor) -> int:
    """Record paper ballots issued with these serial numbers."""
    _require(actor, Action.RUN_VOTE, vote.estate)
    serials = [s.strip() for s in serials if s and s.strip()]
    if len(set(serials)) != len(serials):
        raise ApplicationError(_("选票编号有重复。"), code="serial_duplicate")
    existing = set(PaperSerial.objects.filter(vote=vote, serial__in=serials).values_list("serial", flat=True))
    if existing:
        raise Conflict(_("这些选票编号已发放：%(s)s。") % {"s": "、".join(sorted(existing)[:10])}, code="serial_exists")
    now = timezone.now()
    PaperSerial.objects.bulk_create(PaperSerial(vote=vote, serial=s, issued_at=now) for s in serials)
    audit_record(
        actor=actor, action=ElectionsEvent.PAPER_SERIAL_ISSUE, obj=vote, place=vote.estate, data={"count": len(serials)}
    )
    return len(serials)


@transaction.atomic
def paper_serial_void(*, vote: Vote, serial: str, reason: str, actor) -> PaperSerial:
    """Record an issued paper ballot as void (spoiled or not returned for counting)."""
    _require(actor, Action.RUN_VOTE, vote.estate)
    paper = PaperSerial.objects.select_for_update().filter(vote=vote, serial=serial.strip()).first()
    if paper is None:
        raise ApplicationError(_("选票编号 %(s)s 未登记发放。") % {"s": serial}, code="serial_unknown")
    if Ballot.objects.filter(vote=vote, paper_serial=paper.serial, voided=False).exists():
        raise Conflict(_("选票编号 %(s)s 已录入为有效选票，须先作废该选票。") % {"s": serial}, code="serial_used")
    if not (reason or "").strip():
        raise ApplicationError(_("作废选票编号须写明原因。"), code="reason_required")
    PaperSerial.objects.filter(pk=paper.pk).update(voided_at=timezone.now(), void_reason=reason.strip())
    paper.refresh_from_db()
    audit_record(
        actor=actor, action=ElectionsEvent.PAPER_SERIAL_VOID, obj=vote, place=vote.estate, data={"serial": serial}
    )
    return paper


def _new_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _i in range(8))


@transaction.atomic
def voting_codes_issue(*, vote: Vote, actor) -> list[tuple[int, str]]:
    """Issue a one-time voting code for every unit that has none yet; return (unit id, code) to print once."""
    _require(actor, Action.RUN_VOTE, vote.estate)
    if vote.status not in (VoteStatus.NOTICE, VoteStatus.VOTING):
        raise Conflict(_("投票码在公示或投票阶段发放。"), code="wrong_status")
    have = set(VotingCode.objects.filter(vote=vote).values_list("unit_id", flat=True))
    unit_ids = [
        u for u in PropertyUnit.objects.filter(estate=vote.estate).values_list("pk", flat=True) if u not in have
    ]
    now = timezone.now()
    issued = [(u, _new_code()) for u in unit_ids]
    VotingCode.objects.bulk_create(
        VotingCode(vote=vote, unit_id=u, code_hash=keyed_hash(code), issued_at=now) for u, code in issued
    )
    audit_record(
        actor=actor, action=ElectionsEvent.VOTING_CODE_ISSUE, obj=vote, place=vote.estate, data={"count": len(issued)}
    )
    return issued


# The tally ------------------------------------------------------------------------------------


def result_hash(data: dict) -> str:
    import json

    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def vote_tally(*, vote_id: int) -> VoteResult | None:
    """Count a closed vote once and store its immutable result; a second run finds no work and returns None.

    A failed quorum leaves the vote in counting when one extension is still possible;
    otherwise the vote fails.
    """
    claimed = Vote.objects.filter(pk=vote_id, status=VoteStatus.COUNTING, tally_state=TallyState.PENDING).update(
        tally_state=TallyState.RUNNING
    )
    if not claimed:
        return None
    try:
        with transaction.atomic():
            vote = Vote.objects.select_for_update().get(pk=vote_id)
            data = selectors.tally(vote)
            head = Ballot.objects.filter(vote=vote).order_by("-seq").values_list("hash", flat=True).first() or GENESIS
            round_no = (vote.results.aggregate(n=Max("round"))["n"] or 0) + 1
            result = VoteResult.objects.create(
                vote=vote,
                round=round_no,
                data=data,
                hash=result_hash(data),
                chain_head=head,
                computed_at=timezone.now(),
            )
            vote.tally_state = TallyState.DONE
            vote.save(update_fields=["tally_state"])
            audit_record(
                actor=SYSTEM,
                action=ElectionsEvent.VOTE_TALLY,
                obj=vote,
                place=vote.estate,
                data={"round": round_no, "hash": result.hash},
            )
            if not data["quorum"]["met"] and (not vote.extension_allowed or vote.extended):
                now = timezone.now()
                vote.status = VoteStatus.FAILED
                vote.save(update_fields=["status"])
                VoteStep.objects.create(
                    vote=vote,
                    from_status=VoteStatus.COUNTING,
                    to_status=VoteStatus.FAILED,
                    actor=None,
                    at=now,
                    reason=_("未达法定人数"),
                )
            return result
    except Exception:
        Vote.objects.filter(pk=vote_id, tally_state=TallyState.RUNNING).update(tally_state=TallyState.PENDING)
        raise


def vote_recount(*, vote: Vote) -> tuple[dict, bool]:
    """Count again from the same snapshot and ballots; return the data and whether it equals the stored result."""
    result = vote.latest_result
    data = selectors.tally(vote)
    return data, result is not None and result_hash(data) == result.hash


def close_due_votes(*, now: datetime.datetime | None = None) -> list[int]:
    """Close every vote whose voting time has ended (beat calls this every minute)."""
    now = now or timezone.now()
    closed = []
    for vote in Vote.objects.filter(status=VoteStatus.VOTING, closes_at__lte=now):
        vote_close(vote=vote, actor=SYSTEM, now=now)
        closed.append(vote.pk)
    return closed
