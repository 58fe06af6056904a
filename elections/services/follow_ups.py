"""Completing an election's committee (docs/domain.md §5.4): a tie settled, empty seats filled, before it is filed.

A committee has 5 to 11 members, an odd number (``elections.committee_size``, the one rule).
An election whose count leaves a tie for the last seats, or fewer members than a lawful
committee, or an even number, is never made final nor filed (``committee_refusal``). A tie is
settled by a run-off among the tied candidates (a new vote following the first) or by the
method the estate's rules of procedure name, recorded with its document; empty seats are
filled by a by-election (a new vote following the first). The follow-ups run their own
lifecycle up to ``final``; their winners join the first election's committee when it is filed.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict
from core.uploads import check_upload
from elections.committee_size import committee_size_refusal
from elections.events import ElectionsEvent
from elections.models import (
    Candidate,
    FollowUp,
    Matter,
    TieMethod,
    TieSettlement,
    Vote,
    VoteKind,
    VoteStatus,
    VoteStep,
)
from elections.services.common import lock
from governance.audit import audit_record
from governance.rules import rule
from governance.scoping import Action, acting_user, require

DECIDED = (VoteStatus.FINAL, VoteStatus.FILED)


def _elected(vote: Vote) -> list[int]:
    result = vote.current_result
    return list(result.data.get("elected", [])) if result else []


def tie_winners(vote: Vote) -> list[int] | None:
    """The candidates (of ``vote``) who won its tied seats, or None while the tie is unsettled."""
    result = vote.current_result
    if result is None or not result.data.get("ties"):
        return []
    settlement = TieSettlement.objects.filter(vote=vote).select_related("runoff").first()
    if settlement is None:
        return None
    if settlement.method == TieMethod.RULES_OF_PROCEDURE:
        return list(settlement.winners)
    runoff = settlement.runoff
    if runoff.status not in DECIDED or runoff.current_result is None or runoff.current_result.data.get("ties"):
        return None
    owners = dict(Candidate.objects.filter(vote=runoff).values_list("pk", "owner_id"))
    first = dict(Candidate.objects.filter(vote=vote).values_list("owner_id", "pk"))
    return [first[owners[c]] for c in _elected(runoff)]


def committee_members(vote: Vote) -> list[int] | None:
    """The owners (ids) of the committee an election makes, in seat order, with its follow-ups' winners.

    None while a tie is unsettled. By-elections count once final.
    """
    winners = tie_winners(vote)
    if winners is None:
        return None
    owner_of = dict(Candidate.objects.filter(vote=vote).values_list("pk", "owner_id"))
    members = [owner_of[c] for c in [*_elected(vote), *winners]]
    for by_election in vote.follow_ups.filter(follow_up=FollowUp.BY_ELECTION, status__in=DECIDED).order_by("pk"):
        owners = dict(Candidate.objects.filter(vote=by_election).values_list("pk", "owner_id"))
        members += [owners[c] for c in _elected(by_election) if owners[c] not in members]
    return members


def committee_refusal(vote: Vote) -> tuple[str, str] | None:
    """Say why an election cannot be made final or filed under §5.4 (code, message), or return None."""
    if not vote.is_election or vote.follow_up:
        return None
    members = committee_members(vote)
    if members is None:
        return (
            "tie_unresolved",
            _("最后名额出现同票，须先以决选或业主大会议事规则确定的方式产生当选人。"),
        )
    refusal = committee_size_refusal(len(members), vote.estate)
    if refusal:
        return (
            "committee_size",
            refusal + _("请先补选空缺名额，补选结果确定后再公告和备案。"),
        )
    return None


def _follow_up_window(first: Vote, kind: str) -> None:
    if not first.is_election or first.follow_up:
        raise ApplicationError(_("只有首次的业主委员会选举可以决选或补选。"), code="not_a_first_election")
    if first.status != VoteStatus.PRELIMINARY or first.current_result is None:
        raise Conflict(_("决选和补选在初步结果公示期间、最终结果公告之前组织。"), code="wrong_status")


def _new_follow_up(*, first: Vote, kind: str, seats: int, title: str, opens_at, closes_at, actor, status) -> Vote:
    if timezone.is_naive(opens_at) or timezone.is_naive(closes_at) or closes_at <= opens_at:
        raise ApplicationError(_("投票截止时间须晚于开始时间，且带时区。"), code="window_invalid")
    vote = Vote.objects.create(
        estate=first.estate,
        kind=VoteKind.COMMITTEE_ELECTION,
        title=title,
        matter=Matter.COMMITTEE,
        seats=seats,
        notice_days=max(rule("VOTE_NOTICE_DAYS", first.estate), 15),
        objection_days=rule("VOTE_OBJECTION_DAYS", first.estate),
        opens_at=opens_at,
        closes_at=closes_at,
        follows=first,
        follow_up=kind,
        status=status,
        created_by=acting_user(actor),
    )
    VoteStep.objects.create(
        vote=vote,
        from_status=VoteStatus.DRAFT,
        to_status=status,
        actor=acting_user(actor),
        at=timezone.now(),
        reason=_("%(kind)s：%(first)s") % {"kind": FollowUp(kind).label, "first": first.title},
    )
    return vote


@transaction.atomic
def election_runoff_create(*, vote: Vote, opens_at: datetime.datetime, closes_at: datetime.datetime, actor) -> Vote:
    """Call a run-off among the candidates tied for the last seats of ``vote``.

    The run-off is an election of its own for the tied seats, among the tied candidates as
    they were found eligible; it starts in review, its candidates carried over, and goes
    through its own notice period.
    """
    require(actor, Action.RUN_VOTE, vote.estate)
    lock(vote)
    _follow_up_window(vote, FollowUp.RUNOFF)
    data = vote.current_result.data
    if not data.get("ties"):
        raise Conflict(_("本次选举没有同票，不需要决选。"), code="no_tie")
    if TieSettlement.objects.filter(vote=vote).exists():
        raise Conflict(_("同票已在处理。"), code="tie_settled")
    runoff = _new_follow_up(
        first=vote,
        kind=FollowUp.RUNOFF,
        seats=data["tied_seats"],
        title=_("%(title)s（决选）") % {"title": vote.title},
        opens_at=opens_at,
        closes_at=closes_at,
        actor=actor,
        status=VoteStatus.REVIEW,
    )
    now = timezone.now()
    for tied in Candidate.objects.filter(vote=vote, pk__in=data["ties"]).order_by("pk"):
        Candidate.objects.create(
            vote=runoff,
            owner_id=tied.owner_id,
            nominated_by=tied.nominated_by,
            statement=tied.statement,
            is_party_member=tied.is_party_member,
            reported_party_member=tied.reported_party_member,
            eligible=True,
            review_reason=_("沿用首轮资格审查"),
            reviewed_by=acting_user(actor),
            reviewed_at=now,
        )
    TieSettlement.objects.create(
        vote=vote, method=TieMethod.RUNOFF, runoff=runoff, recorded_by=acting_user(actor), recorded_at=now
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.ELECTION_RUNOFF,
        obj=runoff,
        place=vote.estate,
        data={"first": vote.pk, "tied": data["ties"], "seats": data["tied_seats"]},
    )
    return runoff


@transaction.atomic
def election_tie_settle(*, vote: Vote, winners: list[int], rule_text: str, document, actor) -> TieSettlement:
    """Record the tied candidates the method of the estate's rules of procedure gives, with that document."""
    require(actor, Action.RUN_VOTE, vote.estate)
    lock(vote)
    _follow_up_window(vote, FollowUp.RUNOFF)
    data = vote.current_result.data
    ties, seats = set(data.get("ties", [])), data.get("tied_seats", 0)
    if not ties:
        raise Conflict(_("本次选举没有同票。"), code="no_tie")
    if TieSettlement.objects.filter(vote=vote).exists():
        raise Conflict(_("同票已在处理。"), code="tie_settled")
    winners = sorted({int(w) for w in winners})
    if not set(winners) <= ties or len(winners) != seats:
        raise ApplicationError(_("须从同票候选人中确定 %(n)s 名当选人。") % {"n": seats}, code="winners_invalid")
    if not (rule_text or "").strip():
        raise ApplicationError(_("请写明议事规则规定的同票处理方式。"), code="rule_required")
    if document is None:
        raise ApplicationError(_("请上传业主大会议事规则。"), code="document_required")
    kind = check_upload(document, "document")
    settlement = TieSettlement.objects.create(
        vote=vote,
        method=TieMethod.RULES_OF_PROCEDURE,
        winners=winners,
        rule_text=rule_text.strip(),
        document=document,
        document_type=kind,
        recorded_by=acting_user(actor),
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.ELECTION_TIE_SETTLE,
        obj=vote,
        place=vote.estate,
        data={"winners": winners, "rule": settlement.rule_text},
    )
    return settlement


@transaction.atomic
def election_by_election_create(
    *, vote: Vote, seats: int, opens_at: datetime.datetime, closes_at: datetime.datetime, actor
) -> Vote:
    """Call a by-election for seats ``vote`` left empty; it starts at nomination (the preparatory group stands)."""
    require(actor, Action.RUN_VOTE, vote.estate)
    lock(vote)
    _follow_up_window(vote, FollowUp.BY_ELECTION)
    data = vote.current_result.data
    open_seats = (vote.seats or 0) - len(data.get("elected", [])) - data.get("tied_seats", 0)
    pending = vote.follow_ups.filter(follow_up=FollowUp.BY_ELECTION).exclude(
        status__in=[*DECIDED, VoteStatus.CANCELLED, VoteStatus.FAILED]
    )
    if pending.exists():
        raise Conflict(_("已有一场补选正在进行。"), code="by_election_pending")
    filled = sum(len(_elected(v)) for v in vote.follow_ups.filter(follow_up=FollowUp.BY_ELECTION, status__in=DECIDED))
    if not 1 <= seats <= open_seats - filled:
        raise ApplicationError(
            _("补选名额须为 1 至 %(n)s 名（空缺名额）。") % {"n": max(open_seats - filled, 0)}, code="seats_invalid"
        )
    by_election = _new_follow_up(
        first=vote,
        kind=FollowUp.BY_ELECTION,
        seats=seats,
        title=_("%(title)s（补选）") % {"title": vote.title},
        opens_at=opens_at,
        closes_at=closes_at,
        actor=actor,
        status=VoteStatus.NOMINATION,
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.ELECTION_BY_ELECTION,
        obj=by_election,
        place=vote.estate,
        data={"first": vote.pk, "seats": seats},
    )
    return by_election
