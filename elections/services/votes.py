"""Votes and their lifecycle: creating a vote, moving it from state to state, closing and extending it."""

from __future__ import annotations

import datetime
import functools

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.sql import UpdateQuery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.inserts import insert_together
from core.queueing import enqueue_on_commit
from core.uploads import check_upload
from elections import selectors
from elections.committee_size import committee_size_refusal
from elections.events import ElectionsEvent
from elections.models import (
    Candidate,
    Matter,
    NoticePosting,
    PreparatoryGroup,
    TallyState,
    Vote,
    VoteKind,
    VoteStatus,
    VoteStep,
)
from elections.services.candidates import preparatory_group_refusal
from elections.services.common import TransitionRefused, local_date, lock
from elections.services.follow_ups import committee_members, committee_refusal
from elections.services.roll import freeze_roll
from elections.signals import vote_filed, vote_scheduled
from governance.audit import apply_changes, audit_event, audit_record
from governance.models import Place, PlaceKind
from governance.rules import LAW_BOUNDS, rule
from governance.scoping import Action, acting_user, require


def notice_days(estate: Place) -> int:
    """The notice period of a vote of ``estate``: the district's rule, never shorter than the law's 15 days."""
    floor = LAW_BOUNDS["VOTE_NOTICE_DAYS"][0]
    return max(rule("VOTE_NOTICE_DAYS", estate), floor)


def _check_seats(seats: int | None, estate: Place) -> int:
    """Refuse a number of seats that no lawful committee of ``estate`` could have (docs/domain.md §5.4)."""
    if seats is None:
        raise ApplicationError(_("选举须指明应选名额。"), code="seats_invalid")
    refusal = committee_size_refusal(seats, estate)
    if refusal:
        raise ApplicationError(refusal, code="seats_invalid")
    return seats


@transaction.atomic
def vote_create(
    *,
    estate: Place,
    kind: str,
    title: str,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    actor,
    matter: int | None = None,
    seats: int | None = None,
    description: str = "",
    extension_allowed: bool = False,
) -> Vote:
    """Create a vote of ``estate`` in draft: an election (matter 3, a lawful number of seats) or a resolution.

    Its notice period is not typed: it starts when the vote enters ``notice`` (or on the day an
    earlier posting on the board was recorded, ``vote_notice_post``) and lasts at least
    ``VOTE_NOTICE_DAYS`` (the law's 15 days, or a district's longer period).
    """
    if estate.kind != PlaceKind.ESTATE:
        raise ApplicationError(_("投票只能在小区发起。"), code="not_an_estate")
    require(actor, Action.RUN_VOTE, estate)
    if kind == VoteKind.COMMITTEE_ELECTION:
        matter, seats = Matter.COMMITTEE, _check_seats(seats, estate)
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
        notice_days=notice_days(estate),
        objection_days=rule("VOTE_OBJECTION_DAYS", estate),
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
    elif to == VoteStatus.VOTING:
        days = max(vote.notice_days, LAW_BOUNDS["VOTE_NOTICE_DAYS"][0])
        earliest = vote.notice_starts + datetime.timedelta(days=days)
        if local_date(vote.opens_at) < earliest or timezone.localdate(now) < earliest:
            _refuse(
                _("公示期不少于 %(days)s 天：自 %(start)s 起公示，最早 %(earliest)s 开始投票。")
                % {"days": days, "start": vote.notice_starts, "earliest": earliest},
                "notice_too_short",
            )
        if now < vote.opens_at:
            _refuse(_("投票将于 %(at)s 开始，尚未到时间。") % {"at": timezone.localtime(vote.opens_at)}, "not_yet_open")
        if now >= vote.closes_at:
            _refuse(_("投票截止时间已过，不能开始投票。"), "window_passed")
    elif to == VoteStatus.COUNTING:
        if now < vote.opens_at:
            _refuse(_("投票尚未开始，不能结束投票。"), "not_yet_open")
        if now < vote.closes_at and not selectors.every_counted_owner_voted(vote):
            _refuse(
                _("投票截止时间为 %(at)s；在此之前只有全体业主都已投票才能提前结束。")
                % {"at": timezone.localtime(vote.closes_at)},
                "too_early",
            )
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
        _refuse_unlawful_committee(vote)
    elif to == VoteStatus.FILED and vote.is_election:
        if vote.follow_up:
            _refuse(_("决选和补选的结果随首次选举一并备案。"), "follow_up_not_filed")
        _refuse_unlawful_committee(vote)
        if not filing_reference.strip() or filed_on is None:
            _refuse(_("备案须填写街道办事处的备案文号和备案日期。"), "filing_required")


def _refuse_unlawful_committee(vote: Vote) -> None:
    refusal = committee_refusal(vote)
    if refusal:
        code, message = refusal
        _refuse(message, code)


def _update_sql(vote: Vote, fields: list[str]) -> tuple[str, list]:
    """The ``UPDATE`` that ``vote.save(update_fields=fields)`` runs, as ``(sql, params)``."""
    query = UpdateQuery(Vote)
    query.add_q(Q(pk=vote.pk))
    query.add_update_fields([(Vote._meta.get_field(name), None, getattr(vote, name)) for name in fields])
    return query.get_compiler(connection=connection).as_sql()


@functools.cache
def _locked_read_sql() -> tuple[str, list[str], list[str]]:
    """``_lock_and_reload``'s statement on PostgreSQL, with the vote's and the estate's fields in its order."""
    vote_fields, place_fields = Vote._meta.concrete_fields, Place._meta.concrete_fields
    columns = [f'v."{f.column}"' for f in vote_fields] + [f'e."{f.column}"' for f in place_fields]
    sql = (
        f'SELECT {", ".join(columns)} FROM "elections_vote" v '
        'JOIN "governance_place" e ON e."id" = v."estate_id" WHERE v."id" = %s FOR UPDATE OF v'
    )
    return sql, [f.attname for f in vote_fields], [f.attname for f in place_fields]


def _lock_and_reload(vote: Vote) -> None:
    """Lock the vote's row for this transaction and reload ``vote`` in place, with its estate as stored now.

    ``common.lock`` and the estate in one statement rather than three (only the vote's row is locked);
    on PostgreSQL as fixed SQL, reloaded as ``refresh_from_db`` does: the ORM's form took longer to
    build (2 ms of Python at every transition) than the database to run it (issue 13).
    """
    if connection.vendor != "postgresql":
        vote.refresh_from_db(from_queryset=Vote.objects.select_for_update(of=("self",)).select_related("estate"))
        return
    sql, vote_fields, place_fields = _locked_read_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [vote.pk])
        row = cursor.fetchone()
    if row is None:
        raise Vote.DoesNotExist("Vote matching query does not exist.")
    vote._prefetched_objects_cache = {}
    for name, value in zip(vote_fields, row, strict=False):
        setattr(vote, name, value)
    for field in (*Vote._meta.concrete_fields, *Vote._meta.related_objects, *Vote._meta.private_fields):
        if field.is_relation and field.is_cached(vote):
            field.delete_cached_value(vote)
    Vote.estate.field.set_cached_value(vote, Place.from_db(connection.alias, place_fields, row[len(vote_fields) :]))
    vote._state.db = connection.alias


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
    now = now or timezone.now()
    # Lock the vote: a transition must not interleave with ballots or another transition. The right is
    # checked after the lock, whose transaction a refusal rolls back: the lock's read brings the estate.
    _lock_and_reload(vote)
    require(actor, Action.RUN_VOTE, vote.estate)
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
    values: dict = {"status": to}
    if to == VoteStatus.NOTICE:
        # The notice period starts now, or on the day of an earlier recorded posting on the board.
        posted = NoticePosting.objects.filter(vote=vote).order_by("posted_on").values_list("posted_on", flat=True)
        values["notice_starts"] = min([timezone.localdate(now), *posted[:1]])
    elif to == VoteStatus.VOTING:
        values.update(freeze_roll(vote=vote, now=now))
    elif to == VoteStatus.COUNTING:
        values["tally_state"] = TallyState.PENDING
        values["tally_since"] = timezone.now()
    elif to == VoteStatus.PRELIMINARY:
        result_date = timezone.localdate(now)
        values["result_date"] = result_date
        values["objection_ends"] = result_date + datetime.timedelta(days=vote.objection_days)
        if vote.is_election:
            values["filing_due"] = result_date + datetime.timedelta(days=rule("COMMITTEE_FILING_DAYS", vote.estate))
    elif to == VoteStatus.FILED:
        values.update(filing_reference=filing_reference.strip(), filed_on=filed_on)
    elif to == VoteStatus.CANCELLED:
        values["cancel_reason"] = reason.strip()
    changes = apply_changes(vote, values)
    step = VoteStep(vote=vote, from_status=previous, to_status=to, actor=acting_user(actor), at=now, reason=reason)
    event = audit_event(
        actor=actor,
        action=ElectionsEvent.VOTE_TRANSITION,
        obj=vote,
        place=vote.estate,
        summary=f"{previous} → {to}",
        data={"reason": reason},
        changes=changes,
    )
    # The vote's new state, its step and its audit row: one statement on PostgreSQL (the rows ``save``
    # and ``create`` wrote, one round trip under the lock instead of three).
    insert_together([step, event], then=_update_sql(vote, list(changes)) if changes else None)
    if to == VoteStatus.NOTICE:
        transaction.on_commit(lambda: vote_scheduled.send(sender=Vote, vote=vote))
    if to == VoteStatus.COUNTING:
        # elections.tasks imports this package: importing it at the top would be circular.
        from elections.tasks import vote_tally_task

        # Sent softly: with the broker down the close stands, and tallies_recover sends it later.
        enqueue_on_commit(vote_tally_task, vote.pk)
    if to == VoteStatus.FILED and vote.is_election:
        # The committee: the elected, the tie's winners, and the by-elections' elected, in seat order.
        elected = committee_members(vote) or []
        transaction.on_commit(lambda: vote_filed.send(sender=Vote, vote=vote, elected=elected, actor=actor))
    return vote


def vote_close(*, vote: Vote, actor, now: datetime.datetime | None = None) -> Vote:
    """Close voting (after it opened) and enqueue the tally."""
    return vote_transition(vote=vote, to=VoteStatus.COUNTING, actor=actor, now=now)


@transaction.atomic
def vote_extend(*, vote: Vote, closes_at: datetime.datetime, actor, now: datetime.datetime | None = None) -> Vote:
    """Extend a vote whose quorum failed, once, within the configured limit, if the estate's rules allow it."""
    require(actor, Action.RUN_VOTE, vote.estate)
    now = now or timezone.now()
    lock(vote)
    result = vote.latest_result
    if vote.status != VoteStatus.COUNTING or result is None or result.data["quorum"]["met"]:
        raise TransitionRefused(_("只有未达法定人数、已计票的投票才能延期。"), code="not_extendable")
    if not vote.extension_allowed:
        raise TransitionRefused(_("本小区议事规则不允许延期，请宣告投票未通过。"), code="extension_not_allowed")
    if vote.extended:
        raise TransitionRefused(_("投票只能延期一次。"), code="already_extended")
    limit = vote.closes_at + datetime.timedelta(days=rule("VOTE_EXTENSION_MAX_DAYS", vote.estate))
    if not (now < closes_at <= limit):
        raise ApplicationError(
            _("延期后的截止时间须晚于现在，且不晚于 %(limit)s。") % {"limit": timezone.localtime(limit)},
            code="extension_too_long",
        )
    previous = vote.status
    changes = apply_changes(
        vote,
        {
            "original_closes_at": vote.closes_at,
            "closes_at": closes_at,
            "extended": True,
            "status": VoteStatus.VOTING,
            "tally_state": TallyState.IDLE,
        },
    )
    vote.save(update_fields=list(changes))
    VoteStep.objects.create(
        vote=vote,
        from_status=previous,
        to_status=vote.status,
        actor=acting_user(actor),
        at=now,
        reason=_("延期至 %(at)s") % {"at": timezone.localtime(closes_at)},
    )
    audit_record(actor=actor, action=ElectionsEvent.VOTE_EXTEND, obj=vote, place=vote.estate, changes=changes)
    return vote


# The notice on the board -----------------------------------------------------------------------

POSTABLE = (VoteStatus.DRAFT, VoteStatus.NOMINATION, VoteStatus.REVIEW, VoteStatus.NOTICE)


@transaction.atomic
def vote_notice_post(
    *, vote: Vote, posted_on: datetime.date, posted_by: str, document, actor, now: datetime.datetime | None = None
) -> NoticePosting:
    """Record that the vote's notice went up on the estate's board on ``posted_on``, backed by a photo or document.

    The notice period then counts from that day if it is earlier than the day the vote entered
    notice. The posting cannot predate the vote, nor (for an election) the last candidate
    review: what went up must be the list as reviewed.
    """
    require(actor, Action.RUN_VOTE, vote.estate)
    now = now or timezone.now()
    lock(vote)
    if vote.status not in POSTABLE:
        raise TransitionRefused(_("公示张贴须在投票开始前登记。"), code="wrong_status")
    if not (posted_by or "").strip():
        raise ApplicationError(_("请填写张贴人。"), code="posted_by_required")
    if document is None:
        raise ApplicationError(_("请上传张贴的照片或文件。"), code="document_required")
    earliest = local_date(vote.created_at)
    if vote.is_election:
        reviewed = Candidate.objects.filter(vote=vote).order_by("-reviewed_at").values_list("reviewed_at", flat=True)
        if reviewed and reviewed[0]:
            earliest = max(earliest, local_date(reviewed[0]))
    if not earliest <= posted_on <= timezone.localdate(now):
        raise ApplicationError(
            _("张贴日期须在 %(earliest)s 至今天之间（不早于投票发起和候选人资格审查）。") % {"earliest": earliest},
            code="posted_on_invalid",
        )
    kind = check_upload(document, "evidence")
    posting = NoticePosting.objects.create(
        vote=vote,
        posted_on=posted_on,
        posted_by=posted_by.strip(),
        document=document,
        document_type=kind,
        recorded_by=acting_user(actor),
        recorded_at=now,
    )
    changes = {}
    if vote.status == VoteStatus.NOTICE and vote.notice_starts and posted_on < vote.notice_starts:
        changes = apply_changes(vote, {"notice_starts": posted_on})
        vote.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action=ElectionsEvent.VOTE_NOTICE_POST,
        obj=vote,
        place=vote.estate,
        data={"posted_on": posted_on, "posted_by": posting.posted_by, "posting": posting.pk},
        changes=changes,
    )
    return posting
