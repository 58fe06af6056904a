"""Spending public revenue: the request, its approvals in order, and the payment (the only way money leaves)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.events import CommitteesEvent
from committees.models import (
    Account,
    AccountKind,
    Decision,
    LedgerTransaction,
    MeetingKind,
    SpendingApproval,
    SpendingRequest,
    SpendingStatus,
    Stage,
    SupervisionGroup,
)
from committees.models.base import FEN
from committees.models.spending import STAGE_THRESHOLDS
from committees.rules import RuleMemo
from committees.signals import spending_paid, spending_requested
from core.errors import ApplicationError, Conflict, NotPermitted
from elections.models import Vote, VoteKind
from governance.audit import apply_changes, audit_record
from governance.models import Place, Post, PostBody
from governance.rules import rule
from governance.scoping import SYSTEM, Action, acting_user, require

from ._shared import require_estate, send_on_commit
from .ledger import BANK, _post_entry, account


def _approvals_complete(request: SpendingRequest, rules=rule) -> bool:
    done = set(SpendingApproval.objects.filter(request=request).values_list("stage", flat=True))
    return all(stage in done for stage in request.required_stages(rules))


def _split_group(request: SpendingRequest, rules) -> tuple[Decimal, list[SpendingRequest], Decimal] | None:
    """The requests this one looks split from, with the threshold they dodge and their total; or None.

    Same estate, purpose and payee (case and spaces aside) within ``SPLIT_PURCHASE_WINDOW_DAYS``,
    each at or under a threshold, together over it. The higher threshold is tried first.
    """
    window = datetime.timedelta(days=rules("SPLIT_PURCHASE_WINDOW_DAYS", request.estate))
    siblings = list(
        SpendingRequest.objects.select_for_update().filter(
            estate=request.estate,
            purpose=request.purpose,
            payee__iexact=request.payee,
            requested_on__gte=request.requested_on - window,
            requested_on__lte=request.requested_on + window,
        )
    )
    for _stage, key in reversed(STAGE_THRESHOLDS):
        limit = rules(key, request.estate)
        if request.amount > limit:
            continue
        group = [r for r in siblings if r.amount <= limit]
        total = sum((r.amount for r in group), Decimal("0"))
        if len(group) >= 2 and total > limit:
            return limit, group, total
    return None


def _split_check(request: SpendingRequest) -> None:
    """Flag requests that look like one purchase split under a threshold; their approvals follow the total."""
    rules = RuleMemo()
    found = _split_group(request, rules)
    if found is None:
        return
    limit, group, total = found
    days = rules("SPLIT_PURCHASE_WINDOW_DAYS", request.estate)
    reason = _(
        "与同一收款方“%(payee)s”、同一用途在%(days)d天内的%(n)d笔申请合计%(total)s元，超过%(limit)s元的审批门槛，"
        "疑似拆分采购；按合计金额审批。"
    ) % {"payee": request.payee, "days": days, "n": len(group), "total": total, "limit": limit}
    for r in group:
        changes = apply_changes(r, {"split_flagged": True, "split_reason": reason, "split_total": total})
        # Approved for its own amount, it now needs the approvals of the whole purchase.
        if r.status == SpendingStatus.APPROVED and not _approvals_complete(r, rules):
            changes.update(apply_changes(r, {"status": SpendingStatus.PENDING}))
        r.save(update_fields=list(changes))
        if r.pk == request.pk:
            for field in changes:
                setattr(request, field, getattr(r, field))
    # The platform's own finding: no person flagged these requests.
    audit_record(
        actor=SYSTEM,
        action=CommitteesEvent.SPENDING_SPLIT_FLAG,
        obj=request,
        place=request.estate,
        summary=reason[:500],
        data={"requests": [r.pk for r in group], "total": total},
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
    require(actor, Action.CHANGE, estate)
    require_estate(estate)
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
        data={"amount": amount, "split_flagged": request.split_flagged},
    )
    send_on_commit(spending_requested, request=request)
    return request


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


def _require_approver(actor, stage: str, estate: Place) -> None:
    """Refuse an actor who may not sign ``stage``: each stage has its own approvers.

    Committee decision: a committee member or community secretary (``change``); supervision
    sign-off: a member of the estate's supervision group who sits on no committee of it;
    discipline review: a discipline reviewer of the street (``review``). An approval is signed
    by a person: the platform itself never approves.
    """
    if acting_user(actor) is None:
        raise NotPermitted(_("审批须由具名的审批人签署。"), code="no_actor" if actor is None else "permission_denied")
    if stage == Stage.COMMITTEE:
        require(actor, Action.CHANGE, estate, _("只有业委会委员或社区书记可以登记业委会决定。"))
    elif stage == Stage.SUPERVISION:
        today = timezone.localdate()
        if not _is_supervisor(actor, estate, today):
            raise NotPermitted(_("只有本小区事务监督组的成员可以签字。"))
        if _on_committee(actor.person_id, estate, today):
            raise NotPermitted(_("业委会委员不能以事务监督组成员身份为本会的支出签字。"))
    elif stage == Stage.DISCIPLINE:
        require(actor, Action.REVIEW, estate, _("只有街道纪工委的审查人员可以提前介入审查。"))


def _check_basis(estate: Place, decision: Decision | None, resolution_vote: Vote | None) -> None:
    """The committee stage cites one passed decision of the estate's committee or assembly, or a passed resolution."""
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
        return
    if resolution_vote.estate_id != estate.pk or resolution_vote.kind != VoteKind.RESOLUTION:
        raise ApplicationError(_("所引用的表决不是本小区的业主大会表决。"), code="foreign_vote")
    if not resolution_vote.is_final:
        # A preliminary result may still change on an owner's objection: spend on the final one only.
        raise ApplicationError(_("所引用的表决结果尚未最终公布，请在结果最终确定后再审批。"), code="vote_not_final")
    if resolution_vote.passed is not True:
        raise ApplicationError(_("所引用的表决未获通过。"), code="vote_failed")


def _check_stage_order(request: SpendingRequest, stage: str, required: list[str]) -> set[str]:
    """Refuse a stage not needed, already signed, or signed before the stages it follows; return those signed."""
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
    return done


@transaction.atomic
def spending_approve(
    *,
    request: SpendingRequest,
    stage: str,
    actor,
    seen: str,
    decision: Decision | None = None,
    resolution_vote: Vote | None = None,
    at: datetime.datetime | None = None,
) -> SpendingApproval:
    """Record one approval of a spending request, in order: committee, supervision group, discipline reviewer.

    The committee stage cites a passed meeting decision or a passed resolution vote of the
    owners; the supervision stage is signed by a member of the estate's supervision group;
    the discipline stage by a discipline reviewer of the street. ``seen`` says what the
    approver looked at; ``at`` may record an approval after the fact, never in the future.
    """
    # Lock the request: two approvers of the same stage at once must not both pass.
    request = SpendingRequest.objects.select_for_update().select_related("estate").get(pk=request.pk)
    estate = request.estate
    _require_approver(actor, stage, estate)
    if request.status == SpendingStatus.PAID:
        raise Conflict(_("该申请已支付。"), code="already_paid")
    required = request.required_stages()
    done = _check_stage_order(request, stage, required)
    if not seen.strip():
        raise ApplicationError(_("请写明审阅了哪些材料。"), code="seen_required")
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at) or at > now:
        raise ApplicationError(_("审批时间须带时区，且不能晚于现在。"), code="bad_time")
    if request.approvals.filter(approved_at__gt=at).exists():
        raise ApplicationError(_("审批时间不能早于前一环节的审批。"), code="bad_time")
    if stage == Stage.COMMITTEE:
        _check_basis(estate, decision, resolution_vote)
    approval = SpendingApproval.objects.create(
        request=request,
        stage=stage,
        approver=acting_user(actor),
        approved_at=at,
        seen=seen.strip(),
        decision=decision if stage == Stage.COMMITTEE else None,
        resolution_vote=resolution_vote if stage == Stage.COMMITTEE else None,
    )
    changes = {}
    if all(s in done | {stage} for s in required):
        changes = apply_changes(request, {"status": SpendingStatus.APPROVED})
        request.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action=CommitteesEvent.SPENDING_APPROVE,
        obj=request,
        place=estate,
        data={"stage": stage, "approval": approval.pk, "seen": approval.seen[:200]},
        changes=changes,
    )
    return approval


@transaction.atomic
def spending_object(*, request: SpendingRequest, stage: str, reason: str, actor) -> SpendingRequest:
    """Object to a spending request instead of signing the stage it waits for; the objection stays on record.

    Only whoever may sign that stage objects (the supervision group's members, the discipline
    reviewer); the request stays pending, so the committee answers before anyone signs. The
    objection is kept in the audit trail (append-only) and listed with the request
    (``selectors.spending_objections``).
    """
    request = SpendingRequest.objects.select_for_update().select_related("estate").get(pk=request.pk)
    estate = request.estate
    _require_approver(actor, stage, estate)
    if request.status != SpendingStatus.PENDING:
        raise Conflict(_("该申请已审批完毕，不能再提出异议。"), code="not_pending")
    required = request.required_stages()
    if stage not in required:
        raise ApplicationError(_("该申请不需要这一审批环节。"), code="stage_not_required")
    if request.approvals.filter(stage=stage).exists():
        raise Conflict(_("“%(stage)s”环节已审批。") % {"stage": Stage(stage).label}, code="stage_done")
    if not reason.strip():
        raise ApplicationError(_("请写明异议的理由。"), code="reason_required")
    audit_record(
        actor=actor,
        action=CommitteesEvent.SPENDING_OBJECT,
        obj=request,
        place=estate,
        summary=reason.strip()[:200],
        data={"stage": stage, "reason": reason.strip()},
    )
    return request


@transaction.atomic
def spending_pay(*, request: SpendingRequest, date: datetime.date, voucher, actor) -> LedgerTransaction:
    """Pay an approved request: post it to the ledger (expense of its purpose, out of the bank).

    The only way public revenue leaves the ledger. Refused before every approval it needs is
    signed, and when the bank would not cover it on ``date`` and every day after.
    """
    request = SpendingRequest.objects.select_for_update().select_related("estate", "purpose").get(pk=request.pk)
    estate = request.estate
    require(actor, Action.CHANGE, estate, _("只有业委会委员或社区书记可以登记支付。"))
    if request.status == SpendingStatus.PAID:
        raise Conflict(_("该申请已支付。"), code="already_paid")
    done = set(request.approvals.values_list("stage", flat=True))
    missing = [s for s in request.required_stages() if s not in done]
    if missing:
        raise Conflict(
            _("审批未完成，不能支付；尚缺：%(stages)s。") % {"stages": "、".join(str(Stage(s).label) for s in missing)},
            code="approvals_incomplete",
        )
    tx = _post_entry(
        estate=estate,
        date=date,
        voucher=voucher,
        actor=actor,
        memo=(_("支付：%(payee)s %(desc)s") % {"payee": request.payee, "desc": request.description})[:300],
        legs=[(request.purpose, request.amount, Decimal("0")), (account(estate, BANK), Decimal("0"), request.amount)],
    )
    changes = apply_changes(request, {"payment": tx, "status": SpendingStatus.PAID})
    request.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action=CommitteesEvent.SPENDING_PAY,
        obj=request,
        place=estate,
        data={"transaction": tx.pk},
        changes=changes,
    )
    send_on_commit(spending_paid, request=request)
    return tx
