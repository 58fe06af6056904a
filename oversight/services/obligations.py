"""The four musts (四必): raising obligations from events, meeting them with evidence, waiving, the sweep.

Obligations are raised by the platform (``actor=SYSTEM``) from the events that call for them:
the receivers of the lower layers' signals call the ``obligations_for_*`` functions, and the
daily sweep calls the same functions for anything a signal did not bring (catching up after
downtime) and raises the periodic ones. Each obligation's ``key`` names its event, so raising
twice creates it once.

Who may do what: the community party organization's people (the community secretary and the
street staff above them: ``change`` at the estate's community) record evidence; only the street
(``change`` at the estate's street) waives an obligation, with a reason, because the community
would otherwise excuse itself from its own duty.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import (
    Account,
    Decision,
    LedgerTransaction,
    Meeting,
    MeetingKind,
    Project,
    SpendingRequest,
)
from core.errors import ApplicationError, Conflict, NotPermitted
from core.uploads import check_upload
from elections.models import Vote, VoteKind, VoteStatus
from governance.audit import apply_changes, audit_record
from governance.models import Organization, OrgKind, Person, Place, PlaceKind, Post, PostBody, PostKind
from governance.rules import rule
from governance.scoping import SYSTEM, Action, acting_user, is_unrestricted, require
from oversight.events import OversightEvent
from oversight.models import (
    Evidence,
    EvidenceSource,
    LedgerCheckRecord,
    NoticeKind,
    Obligation,
    ObligationKind,
    ObligationState,
    SupervisionStage,
)
from oversight.selectors.queues import project_accepted_on
from oversight.services.notices import obligation_notice

DAY = datetime.timedelta(days=1)
LIVE = (ObligationState.OPEN, ObligationState.OVERDUE)


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=int(n))


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


# Who answers for an estate ---------------------------------------------------------------


def responsible_for(estate: Place, on: datetime.date | None = None) -> tuple[Organization | None, Person | None]:
    """The community party committee over ``estate`` and its secretary on ``on``: who answers for the four musts."""
    organization = (
        Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE, place_id=estate.parent_id).order_by("pk").first()
    )
    if organization is None:
        return None, None
    post = (
        Post.objects.current(on)
        .filter(organization=organization, body=PostBody.PARTY, kind=PostKind.SECRETARY)
        .select_related("person")
        .order_by("pk")
        .first()
    )
    return organization, post.person if post else None


# Raising ---------------------------------------------------------------------------------


@transaction.atomic
def obligation_raise(
    *,
    key: str,
    kind: str,
    estate: Place,
    title: str,
    due_on: datetime.date,
    actor,
    **subject,
) -> tuple[Obligation, bool]:
    """Raise the obligation named ``key`` unless it exists; return it and whether it was created.

    ``subject`` names what raised it (``meeting``, ``decision``, ``vote``, ``spending_request``,
    ``project`` with ``stage``, or a spot-check ``period_start``/``period_end``). Only the
    platform raises obligations: a person's request is refused.
    """
    if actor is not SYSTEM:
        raise ApplicationError(_("四必义务由平台根据事件自动生成，不能手工创建。"), code="raised_by_events")
    if estate.kind != PlaceKind.ESTATE:
        raise ApplicationError(_("“%(name)s”不是小区。") % {"name": estate.name}, code="not_an_estate")
    existing = Obligation.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    organization, person = responsible_for(estate)
    try:
        with transaction.atomic():
            obligation = Obligation.objects.create(
                key=key,
                kind=kind,
                estate=estate,
                title=title[:300],
                due_on=due_on,
                organization=organization,
                responsible=person,
                **subject,
            )
    except IntegrityError:  # raised at the same moment by a receiver and the sweep
        return Obligation.objects.get(key=key), False
    audit_record(
        actor=actor,
        action=OversightEvent.OBLIGATION_RAISE,
        obj=obligation,
        place=estate,
        summary=obligation.title,
        data={"key": key, "kind": kind, "due_on": due_on},
    )
    obligation_notice(obligation, NoticeKind.OBLIGATION_CREATED)
    return obligation, True


def _meet_from_lower_app(obligation: Obligation, *, done_on: datetime.date, source: str, note: str) -> None:
    """Meet ``obligation`` with the record a lower layer keeps (attendance, participation), once."""
    if obligation.state in LIVE and not obligation.evidence.filter(source=source).exists():
        evidence_record(obligation=obligation, done_on=done_on, note=note, source=source, actor=SYSTEM)


def obligations_for_meeting(*, meeting: Meeting, actor) -> list[Obligation]:
    """A committee meeting or owners' assembly must be attended by the community party organization (必列席).

    The attendance recorded on the meeting (``party_org_attended``) meets it.
    """
    if meeting.kind not in (MeetingKind.COMMITTEE, MeetingKind.ASSEMBLY):
        return []
    day = _local_date(meeting.held_at)
    obligation, _created = obligation_raise(
        key=f"attend:meeting:{meeting.pk}",
        kind=ObligationKind.ATTEND,
        estate=meeting.estate,
        title=_("列席%(kind)s：%(title)s（%(day)s）")
        % {"kind": meeting.get_kind_display(), "title": meeting.title, "day": day},
        due_on=day + _days(rule("OBLIGATION_RECORD_DAYS", meeting.estate)),
        meeting=meeting,
        actor=actor,
    )
    if meeting.party_org_attended:
        _meet_from_lower_app(
            obligation, done_on=day, source=EvidenceSource.MEETING, note=_("会议出席记录载明社区党组织列席。")
        )
    return [obligation]


def obligations_for_decision(*, decision: Decision, actor) -> list[Obligation]:
    """A major decision must have the community party organization's participation before it is taken (必参与)."""
    if not decision.is_major:
        return []
    meeting = decision.meeting
    day = _local_date(meeting.held_at)
    obligation, _created = obligation_raise(
        key=f"participate:decision:{decision.pk}",
        kind=ObligationKind.PARTICIPATE,
        estate=meeting.estate,
        title=_("参与重大事项决定：%(text)s（%(day)s %(meeting)s）")
        % {"text": decision.text[:80], "day": day, "meeting": meeting.title},
        due_on=day,
        decision=decision,
        meeting=meeting,
        actor=actor,
    )
    if decision.party_org_participated:
        _meet_from_lower_app(
            obligation, done_on=day, source=EvidenceSource.DECISION, note=_("会议决定记录载明社区党组织参与。")
        )
    return [obligation]


def obligations_for_vote(*, vote: Vote, actor) -> list[Obligation]:
    """An owners' assembly called to vote must be attended (必列席); a resolution needs participation (必参与)."""
    if vote.status in (VoteStatus.DRAFT, VoteStatus.CANCELLED):
        return []
    closes = _local_date(vote.closes_at)
    raised = [
        obligation_raise(
            key=f"attend:vote:{vote.pk}",
            kind=ObligationKind.ATTEND,
            estate=vote.estate,
            title=_("列席业主大会：%(title)s（%(day)s 截止）") % {"title": vote.title, "day": closes},
            due_on=closes + _days(rule("OBLIGATION_RECORD_DAYS", vote.estate)),
            vote=vote,
            actor=actor,
        )[0]
    ]
    if vote.kind == VoteKind.RESOLUTION:
        raised.append(
            obligation_raise(
                key=f"participate:vote:{vote.pk}",
                kind=ObligationKind.PARTICIPATE,
                estate=vote.estate,
                title=_("参与业主大会表决事项：%(title)s") % {"title": vote.title},
                due_on=closes,
                vote=vote,
                actor=actor,
            )[0]
        )
    return raised


def obligations_for_spending(*, request: SpendingRequest, actor) -> list[Obligation]:
    """A spending request above the major-spending threshold needs the party organization's participation."""
    if request.approval_basis <= rule("MAJOR_SPENDING_THRESHOLD", request.estate):
        return []
    obligation, _created = obligation_raise(
        key=f"participate:spending:{request.pk}",
        kind=ObligationKind.PARTICIPATE,
        estate=request.estate,
        title=_("参与大额支出决定：%(payee)s %(amount)s元")
        % {"payee": request.payee, "amount": request.approval_basis},
        due_on=request.requested_on + _days(rule("PARTICIPATION_DUE_DAYS", request.estate)),
        spending_request=request,
        actor=actor,
    )
    return [obligation]


def obligations_for_project(*, project: Project, actor, today: datetime.date | None = None) -> list[Obligation]:
    """A major project must be supervised at its start, every interval while it runs, and at acceptance (必监督).

    Raised once the works have started: the start visit is due within the recording days;
    each full interval of works calls for a visit recorded within the recording days after
    it; acceptance calls for a last one. Intervals already past are raised with their own
    due dates, so a late call catches up.
    """
    if not project.is_major or project.actual_start is None:
        return []
    today = today or timezone.localdate()
    start = project.actual_start
    if start > today:
        return []
    estate = project.estate
    record = _days(rule("SUPERVISION_RECORD_DAYS", estate))
    interval = _days(rule("SUPERVISION_INTERVAL_DAYS", estate))
    accepted = project_accepted_on(project)
    # Works run from the start to their end (or, while no end is recorded, to acceptance).
    finished = project.actual_end or accepted
    raised = [
        obligation_raise(
            key=f"supervise:project:{project.pk}:start",
            kind=ObligationKind.SUPERVISE,
            estate=estate,
            title=_("监督重大项目开工：%(title)s") % {"title": project.title},
            due_on=start + record,
            project=project,
            stage=SupervisionStage.START,
            actor=actor,
        )[0]
    ]
    n = 1
    while start + n * interval <= today and (finished is None or start + n * interval < finished):
        raised.append(
            obligation_raise(
                key=f"supervise:project:{project.pk}:progress:{n}",
                kind=ObligationKind.SUPERVISE,
                estate=estate,
                title=_("监督重大项目实施（第%(n)d期）：%(title)s") % {"n": n, "title": project.title},
                due_on=start + n * interval + record,
                project=project,
                stage=SupervisionStage.PROGRESS,
                actor=actor,
            )[0]
        )
        n += 1
    if accepted is not None and accepted <= today:
        raised.append(
            obligation_raise(
                key=f"supervise:project:{project.pk}:acceptance",
                kind=ObligationKind.SUPERVISE,
                estate=estate,
                title=_("监督重大项目验收：%(title)s") % {"title": project.title},
                due_on=accepted + record,
                project=project,
                stage=SupervisionStage.ACCEPTANCE,
                actor=actor,
            )[0]
        )
    return raised


def spot_check_periods(
    first_day: datetime.date, today: datetime.date, months: int
) -> list[tuple[datetime.date, datetime.date]]:
    """The periods of ``months`` months (from January) that contain or follow ``first_day`` and ended before today."""
    months = max(1, min(12, int(months)))
    month = ((first_day.month - 1) // months) * months + 1
    start = datetime.date(first_day.year, month, 1)
    periods = []
    while True:
        year, month = start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1
        following = datetime.date(year, month, 1)
        end = following - DAY
        if end >= today:
            return periods
        periods.append((start, end))
        start = following


def obligations_for_spot_checks(
    *, estate: Place, actor, today: datetime.date | None = None, since: datetime.date | None = None
) -> list[Obligation]:
    """Each ended period of an estate's public-revenue ledger calls for a spot check of it (必抽查).

    Periods run from the first entry of the ledger (never before ``since``); each is due a
    configured number of days after it ends.
    """
    today = today or timezone.localdate()
    first = LedgerTransaction.objects.filter(estate=estate).aggregate(first=Min("date"))["first"]
    if first is None:
        return []
    if since is not None and first < since:
        first = since
    due_days = _days(rule("SPOT_CHECK_DUE_DAYS", estate))
    raised = []
    for period_start, period_end in spot_check_periods(first, today, rule("SPOT_CHECK_MONTHS", estate)):
        raised.append(
            obligation_raise(
                key=f"spot_check:estate:{estate.pk}:{period_start.isoformat()}",
                kind=ObligationKind.SPOT_CHECK,
                estate=estate,
                title=_("抽查公共收益收支（%(start)s 至 %(end)s）") % {"start": period_start, "end": period_end},
                due_on=period_end + due_days,
                period_start=period_start,
                period_end=period_end,
                actor=actor,
            )[0]
        )
    return raised


# Meeting them ----------------------------------------------------------------------------


def _community_of(estate: Place) -> Place:
    return estate.parent if estate.parent_id else estate


def _street_of(estate: Place) -> Place:
    community = _community_of(estate)
    return community.parent if community.parent_id else community


def _check_evidence(obligation: Obligation, *, people: str, opinion: str, note: str, sampled, compared, findings):
    kind = obligation.kind
    if kind == ObligationKind.ATTEND and not people:
        raise ApplicationError(_("请写明社区党组织列席会议的人员。"), code="people_required")
    if kind == ObligationKind.PARTICIPATE and not (people and opinion):
        raise ApplicationError(_("请写明参与人员和发表的意见。"), code="opinion_required")
    if kind == ObligationKind.SUPERVISE and not note:
        raise ApplicationError(_("请写明监督了什么、发现了什么。"), code="note_required")
    if kind == ObligationKind.SPOT_CHECK:
        if not sampled or not compared or not findings:
            raise ApplicationError(
                _("抽查记录须写明抽查的凭证序号、与哪些原始凭证核对，以及发现的问题（没有问题也请写明）。"),
                code="spot_check_incomplete",
            )
        found = set(
            LedgerTransaction.objects.filter(
                estate=obligation.estate,
                sequence__in=sampled,
                date__gte=obligation.period_start,
                date__lte=obligation.period_end,
            ).values_list("sequence", flat=True)
        )
        missing = sorted(set(sampled) - found)
        if missing:
            raise ApplicationError(
                _("凭证序号 %(seqs)s 不是本小区该期间的记账凭证。") % {"seqs": "、".join(str(s) for s in missing)},
                code="sampled_not_in_period",
            )


def _clean_sampled(sampled) -> list[int]:
    try:
        return sorted({int(s) for s in sampled or ()})
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("抽查凭证序号须为整数。"), code="bad_sampled") from exc


@transaction.atomic
def evidence_record(
    *,
    obligation: Obligation,
    done_on: datetime.date,
    actor,
    people: str = "",
    opinion: str = "",
    note: str = "",
    sampled: Sequence[int] = (),
    compared: str = "",
    findings: str = "",
    file=None,
    source: str = EvidenceSource.OVERSIGHT,
) -> Evidence:
    """Record what meets an obligation; the first evidence meets it (a waived one takes none).

    ``done_on`` is the day of the act recorded; the obligation is met on time when that day is
    on or before its due date. Evidence that a lower layer keeps (a meeting's attendance, a
    decision's participation) comes with its ``source`` and needs no details.
    """
    require(
        actor,
        Action.CHANGE,
        _community_of(obligation.estate),
        message=_("只有社区党组织和街道的工作人员可以登记四必履职记录。"),
    )
    # Lock the obligation: two people recording at once must not both flip its state.
    obligation = Obligation.objects.select_for_update().select_related("estate").get(pk=obligation.pk)
    if obligation.state == ObligationState.WAIVED:
        raise Conflict(_("该义务已豁免，不再登记履职记录。"), code="obligation_waived")
    if done_on > timezone.localdate():
        raise ApplicationError(_("履职日期不能晚于今天。"), code="future_date")
    people, opinion, note = people.strip(), opinion.strip(), note.strip()
    compared, findings = compared.strip(), findings.strip()
    sampled = _clean_sampled(sampled)
    if source == EvidenceSource.OVERSIGHT:
        _check_evidence(
            obligation, people=people, opinion=opinion, note=note, sampled=sampled, compared=compared, findings=findings
        )
    if file:
        check_upload(file, "evidence")
    evidence = Evidence(
        obligation=obligation,
        source=source,
        done_on=done_on,
        people=people[:300],
        opinion=opinion,
        note=note,
        sampled=sampled,
        compared=compared,
        findings=findings,
        recorded_by=acting_user(actor),
    )
    if file:
        evidence.file.save(getattr(file, "name", "evidence") or "evidence", file, save=False)
    evidence.save()
    changes = {}
    if obligation.state in LIVE:
        changes = apply_changes(obligation, {"state": ObligationState.MET, "met_on": done_on, "met_at": timezone.now()})
        obligation.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action=OversightEvent.OBLIGATION_EVIDENCE,
        obj=obligation,
        place=obligation.estate,
        summary=obligation.title,
        data={"evidence": evidence.pk, "source": source, "done_on": done_on, "sampled": sampled},
        changes=changes,
    )
    return evidence


@transaction.atomic
def obligation_waive(*, obligation: Obligation, reason: str, actor) -> Obligation:
    """Excuse an open or overdue obligation, with the reason; only the street above the community may."""
    require(
        actor,
        Action.CHANGE,
        _street_of(obligation.estate),
        message=_("只有街道工作人员可以豁免社区党组织的四必义务。"),
    )
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ApplicationError(_("请写明豁免的理由。"), code="reason_required")
    obligation = Obligation.objects.select_for_update().select_related("estate").get(pk=obligation.pk)
    if obligation.state not in LIVE:
        raise Conflict(
            _("该义务%(state)s，不能豁免。") % {"state": obligation.get_state_display()}, code="not_waivable"
        )
    changes = apply_changes(
        obligation,
        {
            "state": ObligationState.WAIVED,
            "waived_reason": reason,
            "waived_by": acting_user(actor),
            "waived_at": timezone.now(),
        },
    )
    obligation.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action=OversightEvent.OBLIGATION_WAIVE,
        obj=obligation,
        place=obligation.estate,
        summary=reason[:500],
        changes=changes,
    )
    return obligation


# The ledger checks the committees layer reports -----------------------------------------


@transaction.atomic
def ledger_check_record(*, estate: Place, ok: bool, problem: str, actor) -> LedgerCheckRecord:
    """Keep the outcome of a verification of the estate's ledger (a failure raises an early warning)."""
    require(actor, Action.CHANGE, estate)
    record = LedgerCheckRecord.objects.create(estate=estate, ok=bool(ok), problem=(problem or "")[:500])
    audit_record(
        actor=actor,
        action=OversightEvent.LEDGER_CHECK_RECORD,
        obj=record,
        place=estate,
        summary="" if ok else record.problem,
        data={"ok": bool(ok)},
    )
    return record


# The sweep -------------------------------------------------------------------------------


@dataclass
class SweepResult:
    raised: int = 0
    met: int = 0
    overdue: int = 0
    due_soon: int = 0

    def as_dict(self) -> dict:
        return {"raised": self.raised, "met": self.met, "overdue": self.overdue, "due_soon": self.due_soon}


def _sweep_events(since: datetime.date, today: datetime.date) -> None:
    """Raise what the signals should have brought in the window (a missed signal, a worker that was down).

    Events that already raised their obligations are skipped in the query; the periodic ones
    (supervision intervals, spot-check periods) are raised by key, once each.
    """
    meetings = (
        Meeting.objects.filter(held_at__date__gte=since, kind__in=(MeetingKind.COMMITTEE, MeetingKind.ASSEMBLY))
        .exclude(obligations__kind=ObligationKind.ATTEND)
        .select_related("estate")
    )
    for meeting in meetings:
        obligations_for_meeting(meeting=meeting, actor=SYSTEM)
    decisions = (
        Decision.objects.filter(is_major=True, meeting__held_at__date__gte=since)
        .exclude(obligations__kind=ObligationKind.PARTICIPATE)
        .select_related("meeting", "meeting__estate")
    )
    for decision in decisions:
        obligations_for_decision(decision=decision, actor=SYSTEM)
    votes = Vote.objects.exclude(status__in=(VoteStatus.DRAFT, VoteStatus.CANCELLED)).filter(closes_at__date__gte=since)
    for vote in votes.select_related("estate"):
        obligations_for_vote(vote=vote, actor=SYSTEM)
    requests = SpendingRequest.objects.filter(requested_on__gte=since).exclude(obligations__isnull=False)
    for request in requests.select_related("estate"):
        obligations_for_spending(request=request, actor=SYSTEM)
    running = Project.objects.filter(actual_start__isnull=False).filter(
        Q(accepted_on__isnull=True) | Q(accepted_on__gte=since)
    )
    for project in running.select_related("estate"):
        obligations_for_project(project=project, actor=SYSTEM, today=today)
    ledger_estates = Place.objects.filter(kind=PlaceKind.ESTATE, pk__in=Account.objects.values("estate_id"))
    for estate in ledger_estates.order_by("pk"):
        obligations_for_spot_checks(estate=estate, actor=SYSTEM, today=today, since=since)


def _sweep_lower_evidence(result: SweepResult) -> None:
    """Meet obligations whose evidence a lower layer recorded without a signal reaching us."""
    attended = Obligation.objects.filter(
        state__in=LIVE, kind=ObligationKind.ATTEND, meeting__party_org_attended=True
    ).select_related("meeting", "estate")
    for obligation in attended:
        _meet_from_lower_app(
            obligation,
            done_on=_local_date(obligation.meeting.held_at),
            source=EvidenceSource.MEETING,
            note=_("会议出席记录载明社区党组织列席。"),
        )
        result.met += 1
    participated = Obligation.objects.filter(
        state__in=LIVE, kind=ObligationKind.PARTICIPATE, decision__party_org_participated=True
    ).select_related("decision__meeting", "estate")
    for obligation in participated:
        _meet_from_lower_app(
            obligation,
            done_on=_local_date(obligation.decision.meeting.held_at),
            source=EvidenceSource.DECISION,
            note=_("会议决定记录载明社区党组织参与。"),
        )
        result.met += 1


def _sweep_overdue(result: SweepResult, today: datetime.date) -> None:
    for obligation in (
        Obligation.objects.select_for_update()
        .filter(state=ObligationState.OPEN, due_on__lt=today)
        .select_related("estate")
        .order_by("due_on", "pk")
    ):
        overdue = {"state": ObligationState.OVERDUE, "overdue_since": obligation.due_on + DAY}
        changes = apply_changes(obligation, overdue)
        obligation.save(update_fields=list(changes))
        audit_record(
            actor=SYSTEM,
            action=OversightEvent.OBLIGATION_OVERDUE,
            obj=obligation,
            place=obligation.estate,
            summary=obligation.title,
            changes=changes,
        )
        obligation_notice(obligation, NoticeKind.OBLIGATION_OVERDUE)
        result.overdue += 1


def _sweep_due_soon(result: SweepResult, today: datetime.date) -> None:
    horizon = today + _days(rule("OBLIGATION_DUE_SOON_DAYS"))
    for obligation in Obligation.objects.filter(
        state=ObligationState.OPEN, due_on__gte=today, due_on__lte=horizon
    ).select_related("estate"):
        if obligation_notice(obligation, NoticeKind.OBLIGATION_DUE_SOON):
            result.due_soon += 1


@transaction.atomic
def obligations_sweep(*, actor=SYSTEM, today: datetime.date | None = None) -> SweepResult:
    """The daily beat job: raise what events and periods call for, meet what lower layers evidence, mark overdue.

    Idempotent: every obligation has its key and every notice its key, so a second run the
    same day changes nothing. After downtime it catches up over ``OBLIGATION_CATCH_UP_DAYS``:
    a missed period's obligations are raised once, with their own due dates, and those
    already past due are marked overdue in the same run.
    """
    if actor is not SYSTEM and not is_unrestricted(actor):
        raise NotPermitted(_("只有系统或超级管理员可以运行全区四必巡检。"))
    today = today or timezone.localdate()
    since = today - _days(rule("OBLIGATION_CATCH_UP_DAYS"))
    result = SweepResult()
    before = Obligation.objects.count()
    _sweep_events(since, today)
    result.raised = Obligation.objects.count() - before
    _sweep_lower_evidence(result)
    _sweep_overdue(result, today)
    _sweep_due_soon(result, today)
    if result.raised or result.met or result.overdue:
        audit_record(actor=actor, action=OversightEvent.OBLIGATION_SWEEP, data={**result.as_dict(), "today": today})
    return result
