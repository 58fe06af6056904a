"""Legal oversight: an estate's public-revenue management rules, and audits with their follow-up.

Who may do what: the rules are recorded by those who may change the estate's records (its
committee, the community, the street); audits are commissioned and followed up by the
community party organization and the street (``change`` at the estate's community), never
by the committee whose money is audited.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import Decision, MeetingKind
from core.errors import ApplicationError, Conflict
from core.uploads import check_upload
from elections.models import Vote, VoteKind
from governance.audit import apply_changes, audit_record
from governance.models import Place, PlaceKind
from governance.scoping import Action, acting_user, require
from oversight.events import OversightEvent
from oversight.models import Audit, AuditAction, AuditState, RevenueRules

AUDIT_RIGHT = _("只有社区党组织和街道的工作人员可以登记和跟进审计。")


def _require_estate(place: Place) -> None:
    if place.kind != PlaceKind.ESTATE:
        raise ApplicationError(_("“%(name)s”不是小区。") % {"name": place.name}, code="not_an_estate")


def _require_past(day: datetime.date, what: str) -> None:
    if day > timezone.localdate():
        raise ApplicationError(_("%(what)s不能晚于今天。") % {"what": what}, code="future_date")


def _save_file(instance, field: str, file, kind: str) -> None:
    check_upload(file, kind)
    getattr(instance, field).save(getattr(file, "name", field) or field, file, save=False)


@transaction.atomic
def revenue_rules_record(
    *,
    estate: Place,
    title: str,
    document,
    adopted_on: datetime.date,
    actor,
    decision: Decision | None = None,
    vote: Vote | None = None,
) -> RevenueRules:
    """Record the estate's public-revenue management rules, adopted by a passed decision or resolution vote."""
    _require_estate(estate)
    require(actor, Action.CHANGE, estate)
    if not title.strip():
        raise ApplicationError(_("请填写管理办法的名称。"), code="title_required")
    if not document:
        raise ApplicationError(_("请上传管理办法文件。"), code="document_required")
    _require_past(adopted_on, _("通过日期"))
    if (decision is None) == (vote is None):
        raise ApplicationError(
            _("请引用通过该办法的一项会议决定或一次业主大会表决（二者选一）。"), code="basis_required"
        )
    if decision is not None:
        if decision.meeting.estate_id != estate.pk or decision.meeting.kind not in (
            MeetingKind.COMMITTEE,
            MeetingKind.ASSEMBLY,
        ):
            raise ApplicationError(_("所引用的决定不是本小区业委会或业主大会的决定。"), code="foreign_decision")
        if not decision.passed:
            raise ApplicationError(_("所引用的决定未获通过。"), code="decision_failed")
    else:
        if vote.estate_id != estate.pk or vote.kind != VoteKind.RESOLUTION:
            raise ApplicationError(_("所引用的表决不是本小区的业主大会表决。"), code="foreign_vote")
        if vote.passed is not True:
            raise ApplicationError(_("所引用的表决未获通过。"), code="vote_failed")
    rules = RevenueRules(
        estate=estate,
        title=title.strip(),
        adopted_on=adopted_on,
        decision=decision,
        vote=vote,
        recorded_by=acting_user(actor),
    )
    _save_file(rules, "document", document, "document")
    rules.save()
    audit_record(
        actor=actor,
        action=OversightEvent.REVENUE_RULES_RECORD,
        obj=rules,
        place=estate,
        summary=rules.title,
        data={"adopted_on": adopted_on, "decision": getattr(decision, "pk", None), "vote": getattr(vote, "pk", None)},
    )
    return rules


@transaction.atomic
def audit_plan(
    *,
    estate: Place,
    period_start: datetime.date,
    period_end: datetime.date,
    auditor: str,
    plan: str,
    actor,
    planned_on: datetime.date | None = None,
) -> Audit:
    """Plan an audit of the estate's public revenue over a period, by a named auditor."""
    _require_estate(estate)
    require(actor, Action.CHANGE, estate.parent, message=AUDIT_RIGHT)
    if period_end < period_start:
        raise ApplicationError(_("审计期间的结束日期不能早于开始日期。"), code="bad_period")
    if not auditor.strip() or not plan.strip():
        raise ApplicationError(_("请填写审计机构和审计计划。"), code="plan_required")
    audit = Audit.objects.create(
        estate=estate,
        period_start=period_start,
        period_end=period_end,
        auditor=auditor.strip(),
        plan=plan.strip(),
        planned_on=planned_on or timezone.localdate(),
        created_by=acting_user(actor),
    )
    audit_record(
        actor=actor,
        action=OversightEvent.AUDIT_PLAN,
        obj=audit,
        place=estate,
        summary=str(audit),
        data={"auditor": audit.auditor, "period": [period_start, period_end]},
    )
    return audit


def _locked(audit: Audit) -> Audit:
    # Lock the audit: its state moves one way and two clerks must not both move it.
    return Audit.objects.select_for_update().select_related("estate").get(pk=audit.pk)


@transaction.atomic
def audit_report(*, audit: Audit, findings: str, reported_on: datetime.date, actor, report=None) -> Audit:
    """Record the auditor's report: its findings and, where there is one, the report document."""
    require(actor, Action.CHANGE, audit.estate.parent, message=AUDIT_RIGHT)
    audit = _locked(audit)
    if audit.state != AuditState.PLANNED:
        raise Conflict(_("该审计已出具报告。"), code="already_reported")
    if not findings.strip():
        raise ApplicationError(_("请填写审计发现（没有问题也请写明）。"), code="findings_required")
    _require_past(reported_on, _("报告日期"))
    if reported_on < audit.planned_on:
        raise ApplicationError(_("报告日期不能早于计划日期。"), code="bad_date")
    if report:
        _save_file(audit, "report", report, "document")
    changes = apply_changes(
        audit, {"state": AuditState.REPORTED, "findings": findings.strip(), "reported_on": reported_on}
    )
    audit.save(update_fields=[*changes, *(["report"] if report else [])])
    audit_record(actor=actor, action=OversightEvent.AUDIT_REPORT, obj=audit, place=audit.estate, changes=changes)
    return audit


@transaction.atomic
def audit_publish(*, audit: Audit, actor) -> Audit:
    """Post the audit's report to the estate's owners (docs/domain.md §7: posted for 30 days)."""
    require(actor, Action.CHANGE, audit.estate.parent, message=AUDIT_RIGHT)
    audit = _locked(audit)
    if audit.state == AuditState.PLANNED:
        raise Conflict(_("审计报告出具后才能公示。"), code="not_reported")
    if audit.published_at is not None:
        raise Conflict(_("该审计报告已公示。"), code="already_published")
    changes = apply_changes(audit, {"published_at": timezone.now()})
    audit.save(update_fields=list(changes))
    audit_record(actor=actor, action=OversightEvent.AUDIT_PUBLISH, obj=audit, place=audit.estate, changes=changes)
    return audit


@transaction.atomic
def audit_action_add(*, audit: Audit, description: str, owner: str, due_on: datetime.date, actor) -> AuditAction:
    """Add a follow-up action the audit calls for, with who owns it and by when."""
    require(actor, Action.CHANGE, audit.estate.parent, message=AUDIT_RIGHT)
    audit = _locked(audit)
    if audit.state == AuditState.CLOSED:
        raise Conflict(_("该审计已销号，不能再添加整改事项。"), code="audit_closed")
    if not description.strip() or not owner.strip():
        raise ApplicationError(_("请写明整改事项和责任人。"), code="action_required")
    action = AuditAction.objects.create(
        audit=audit, description=description.strip(), owner=owner.strip(), due_on=due_on
    )
    audit_record(
        actor=actor,
        action=OversightEvent.AUDIT_ACTION_ADD,
        obj=action,
        place=audit.estate,
        summary=action.description[:200],
        data={"audit": audit.pk, "owner": action.owner, "due_on": due_on},
    )
    return action


@transaction.atomic
def audit_action_done(*, action: AuditAction, done_on: datetime.date, evidence: str, actor, file=None) -> AuditAction:
    """Record that a follow-up action is done, with what shows it."""
    estate = action.audit.estate
    require(actor, Action.CHANGE, estate.parent, message=AUDIT_RIGHT)
    action = AuditAction.objects.select_for_update().get(pk=action.pk)
    if action.done_on is not None:
        raise Conflict(_("该整改事项已完成。"), code="already_done")
    if not evidence.strip():
        raise ApplicationError(_("请写明完成情况。"), code="evidence_required")
    _require_past(done_on, _("完成日期"))
    if file:
        _save_file(action, "evidence_file", file, "evidence")
    changes = apply_changes(action, {"done_on": done_on, "evidence": evidence.strip()})
    action.save(update_fields=[*changes, *(["evidence_file"] if file else [])])
    audit_record(actor=actor, action=OversightEvent.AUDIT_ACTION_DONE, obj=action, place=estate, changes=changes)
    return action


@transaction.atomic
def audit_close(*, audit: Audit, closed_on: datetime.date, note: str, actor) -> Audit:
    """Close an audit once every follow-up action is done, with a note of the evidence."""
    require(actor, Action.CHANGE, audit.estate.parent, message=AUDIT_RIGHT)
    audit = _locked(audit)
    if audit.state != AuditState.REPORTED:
        raise Conflict(_("只有已出具报告、尚未销号的审计才能销号。"), code="not_closable")
    open_actions = list(audit.actions.filter(done_on__isnull=True).values_list("description", flat=True))
    if open_actions:
        raise Conflict(
            _("尚有%(n)d项整改事项未完成：%(first)s") % {"n": len(open_actions), "first": open_actions[0][:60]},
            code="actions_open",
        )
    if not note.strip():
        raise ApplicationError(_("请写明销号依据。"), code="note_required")
    _require_past(closed_on, _("销号日期"))
    changes = apply_changes(audit, {"state": AuditState.CLOSED, "closed_on": closed_on, "closing_note": note.strip()})
    audit.save(update_fields=list(changes))
    audit_record(actor=actor, action=OversightEvent.AUDIT_CLOSE, obj=audit, place=audit.estate, changes=changes)
    return audit
