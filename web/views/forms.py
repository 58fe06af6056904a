"""The committee's and the supervisors' forms. Each page reads through the user's scope (404 outside it),
calls one service with ``request.user``, and shows a refusal next to its field, keeping what was typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from committees import selectors as committee_selectors
from committees import services as committee_services
from committees.files import protected_file_response
from committees.models import (
    Decision,
    LedgerTransaction,
    Meeting,
    MeetingKind,
    Project,
    PropertyCompany,
    ServiceContract,
    SpendingApproval,
    SpendingRequest,
    SpendingStatus,
    Stage,
    SupervisionGroup,
)
from committees.rules import RuleMemo
from core.errors import ApplicationError
from elections.models import Vote, VoteKind
from governance.models import Place, Post
from governance.scoping import Action, can, subtree_q
from oversight import services as oversight_services
from oversight.models import InterventionOpinion
from web import committee_forms as cf
from web.figures import STAGE_WAITS_ON
from web.views.estate import readable_estate


def _status(form) -> int:
    """A form shown again after a refusal answers 400 (or the refusal's own status), never 200."""
    return getattr(form, "_refusal_status", 400) if form.is_bound else 200


def _refuse(form, exc: ApplicationError) -> None:
    form.refuse(exc)
    form._refusal_status = exc.status


def writable_estate(user, estate: Place) -> Place:
    """A form that writes to ``estate``: 403 for a reader without ``change`` there (an auditor, a reviewer).

    The service decides the write; this only keeps a form the reader could never submit from being shown."""
    if not can(user, Action.CHANGE, estate):
        raise PermissionDenied
    return estate


def _estate_crumbs(estate: Place, tab: str, tab_label: str, here: str) -> list[dict]:
    return [
        {"name": estate.name, "url": reverse("web:estate", args=[estate.pk])},
        {"name": tab_label, "url": reverse("web:estate-tab", args=[estate.pk, tab])},
        {"name": here, "url": ""},
    ]


# Meetings ---------------------------------------------------------------------------------


@login_required
def meeting_new(request, pk: int):
    """Schedule (or record) a meeting of the estate."""
    estate = writable_estate(request.user, readable_estate(request.user, pk))
    form = cf.MeetingForm(request.POST or None, initial={"kind": MeetingKind.COMMITTEE})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = committee_services.meeting_create(estate=estate, actor=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("已安排会议“%(t)s”。") % {"t": meeting.title})
            return redirect("web:meeting-manage", pk=meeting.pk)
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": _("安排会议"),
            "estate": estate,
            "submit": _("安排会议"),
            "crumbs": _estate_crumbs(estate, "meetings", _("会议"), _("安排会议")),
        },
        status=_status(form),
    )


def _meeting_people(meeting: Meeting):
    """Who may be recorded as attending: the post holders of the estate on the day, and those already recorded."""
    day = timezone.localtime(meeting.held_at).date()
    people = {post.person for post in Post.objects.current(day).filter(place=meeting.estate).select_related("person")}
    people |= set(meeting.attendees.all())
    return sorted(people, key=lambda p: (p.name, p.pk))


@login_required
def meeting_manage(request, pk: int):
    """Record a meeting's attendance, minutes, decisions and attachments, then publish the minutes.

    Longer than our 80 lines on purpose: like the clerk's desk, one page of several forms that re-renders every
    form as typed after a refused step; each step is one service call, dispatched here with the shared state.
    """
    meeting = get_object_or_404(
        Meeting.objects.restrict(request.user, Action.VIEW).select_related("estate", "committee"), pk=pk
    )
    estate = writable_estate(request.user, meeting.estate)
    people = _meeting_people(meeting)
    attending = [str(pk) for pk in meeting.attendees.values_list("pk", flat=True)]
    forms = {
        "attendance": cf.AttendanceForm(
            initial={
                "attendees": attending,
                "party_org": meeting.party_org_attended,
                "property_company": meeting.property_company_attended,
                "supervision_group": meeting.supervision_group_attended,
            },
            people=people,
            prefix="att",
        ),
        "minutes": cf.MinutesForm(initial={"minutes": meeting.minutes}, prefix="min"),
        "decision": cf.DecisionForm(prefix="dec"),
        "attachment": cf.AttachmentForm(prefix="file"),
    }
    step = request.POST.get("step", "")
    status = 200
    if request.method == "POST":
        try:
            if step == "attendance":
                form = forms["attendance"] = cf.AttendanceForm(request.POST, people=people, prefix="att")
                if form.is_valid():
                    chosen = {int(v) for v in form.cleaned_data["attendees"]}
                    committee_services.meeting_record_attendance(
                        meeting=meeting,
                        attendees=[p for p in people if p.pk in chosen],
                        party_org=form.cleaned_data["party_org"],
                        property_company=form.cleaned_data["property_company"],
                        supervision_group=form.cleaned_data["supervision_group"],
                        actor=request.user,
                    )
                    messages.success(request, _("已登记出席情况。"))
                    return redirect("web:meeting-manage", pk=meeting.pk)
            elif step == "minutes":
                form = forms["minutes"] = cf.MinutesForm(request.POST, prefix="min")
                if form.is_valid():
                    committee_services.meeting_record_minutes(
                        meeting=meeting, minutes=form.cleaned_data["minutes"], actor=request.user
                    )
                    messages.success(request, _("已保存会议纪要。"))
                    return redirect("web:meeting-manage", pk=meeting.pk)
            elif step == "decision":
                form = forms["decision"] = cf.DecisionForm(request.POST, prefix="dec")
                if form.is_valid():
                    committee_services.decision_record(meeting=meeting, actor=request.user, **form.cleaned_data)
                    messages.success(request, _("已登记决定。"))
                    return redirect("web:meeting-manage", pk=meeting.pk)
            elif step == "attachment":
                form = forms["attachment"] = cf.AttachmentForm(request.POST, request.FILES, prefix="file")
                if form.is_valid():
                    committee_services.meeting_attach(
                        meeting=meeting,
                        title=form.cleaned_data["title"],
                        file=form.cleaned_data["file"],
                        actor=request.user,
                    )
                    messages.success(request, _("已上传附件。"))
                    return redirect("web:meeting-manage", pk=meeting.pk)
            elif step == "publish":
                committee_services.meeting_publish_minutes(meeting=meeting, actor=request.user)
                messages.success(request, _("会议纪要已向业主公开。"))
                return redirect("committees:meeting-detail", pk=meeting.pk)
            else:
                raise Http404
        except ApplicationError as exc:
            target = forms.get(step) or forms["minutes"]
            _refuse(target, exc)
            status = exc.status
        else:
            status = 400
    meeting.refresh_from_db()
    return render(
        request,
        "web/meeting_manage.html",
        {
            "meeting": meeting,
            "estate": estate,
            "forms": forms,
            "decisions": list(meeting.decisions.all()),
            "attachments": list(meeting.attachments.all()),
            "may_change": can(request.user, Action.CHANGE, estate),
            "crumbs": _estate_crumbs(estate, "meetings", _("会议"), meeting.title),
        },
        status=status,
    )


# The ledger -------------------------------------------------------------------------------


@login_required
def income_new(request, pk: int):
    """Record public-revenue income with its voucher."""
    estate = writable_estate(request.user, readable_estate(request.user, pk))
    accounts = committee_selectors.ledger_accounts(estate)
    form = cf.IncomeForm(request.POST or None, request.FILES or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tx = committee_services.income_record(
                estate=estate,
                source=data["source"],
                amount=data["amount"],
                date=data["date"],
                memo=data["memo"],
                voucher=data["voucher"],
                actor=request.user,
            )
        except ApplicationError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("已记账：第 %(n)d 号凭证。") % {"n": tx.sequence})
            return redirect("web:estate-tab", pk=estate.pk, tab="ledger")
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": _("登记公共收益收入"),
            "estate": estate,
            "multipart": True,
            "submit": _("记账"),
            "intro": _("收入记入银行存款；每笔都须附凭证。支出请走支出申请，经审批后支付。"),
            "crumbs": _estate_crumbs(estate, "ledger", _("公共收益账簿"), _("登记收入")),
        },
        status=_status(form),
    )


def _readable_transaction(user, pk: int) -> LedgerTransaction:
    return get_object_or_404(LedgerTransaction.objects.restrict(user, Action.VIEW).select_related("estate"), pk=pk)


@login_required
def transaction_reverse(request, pk: int):
    """Reverse a ledger entry with the reason (the entry stays; its mirror image is posted)."""
    tx = _readable_transaction(request.user, pk)
    writable_estate(request.user, tx.estate)
    form = cf.ReverseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reversal = committee_services.transaction_reverse(
                transaction=tx, reason=data["reason"], date=data["date"], voucher=data["voucher"], actor=request.user
            )
        except ApplicationError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("已冲销：第 %(n)d 号凭证。") % {"n": reversal.sequence})
            return redirect("web:estate-tab", pk=tx.estate_id, tab="ledger")
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": _("冲销第 %(n)d 号凭证") % {"n": tx.sequence},
            "estate": tx.estate,
            "multipart": True,
            "submit": _("冲销"),
            "intro": _("原凭证“%(m)s”（%(d)s）保持不变，另记一笔方向相反的分录。") % {"m": tx.memo, "d": tx.date},
            "crumbs": _estate_crumbs(tx.estate, "ledger", _("公共收益账簿"), _("冲销")),
        },
        status=_status(form),
    )


@login_required
def voucher(request, pk: int):
    """Open an entry's voucher; the service records who looked."""
    tx = _readable_transaction(request.user, pk)
    try:
        stored = committee_services.voucher_open(transaction=tx, actor=request.user)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    return protected_file_response(stored, as_attachment=False)


@login_required
def statement_new(request, pk: int):
    """Publish the quarterly statement of public revenue (the previous quarter by default)."""
    estate = writable_estate(request.user, readable_estate(request.user, pk))
    form = cf.StatementForm(request.POST or None, initial=cf.previous_quarter_initial())
    preview = None
    if form.is_valid():
        preview = committee_selectors.statement_figures(
            estate, form.cleaned_data["period_start"], form.cleaned_data["period_end"]
        )
    if request.method == "POST" and form.is_valid():
        try:
            statement = committee_services.statement_publish(estate=estate, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("收支报表已向业主公开。"))
            return redirect("committees:statement-detail", pk=statement.pk)
    if preview is None and not form.is_bound:
        initial = cf.previous_quarter_initial()
        preview = committee_selectors.statement_figures(estate, initial["period_start"], initial["period_end"])
    return render(
        request,
        "web/statement_new.html",
        {
            "form": form,
            "estate": estate,
            "f": preview,
            "crumbs": _estate_crumbs(estate, "statements", _("收支公开"), _("公开收支报表")),
        },
        status=_status(form),
    )


# Spending ---------------------------------------------------------------------------------


@login_required
def spending_new(request, pk: int):
    """File a spending request; the approvals it needs follow from its amount."""
    estate = writable_estate(request.user, readable_estate(request.user, pk))
    accounts = committee_selectors.ledger_accounts(estate)
    form = cf.SpendingForm(request.POST or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            spending = committee_services.spending_request_create(
                estate=estate,
                payee=data["payee"],
                purpose=next(a for a in accounts if a.code == data["purpose"]),
                amount=data["amount"],
                requested_on=data["requested_on"],
                description=data["description"],
                actor=request.user,
            )
        except ApplicationError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("支出申请已提交。"))
            return redirect("web:spending", pk=spending.pk)
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": _("新建支出申请"),
            "estate": estate,
            "submit": _("提交申请"),
            "crumbs": _estate_crumbs(estate, "spending", _("支出申请"), _("新建")),
        },
        status=_status(form),
    )


def readable_spending(user, pk: int) -> SpendingRequest:
    """A spending request the user may read: in their scope, or in an estate whose supervision group they sit on."""
    rows = SpendingRequest.objects.restrict(user, Action.VIEW)
    person_id = getattr(user, "person_id", None)
    if person_id:
        groups = SupervisionGroup.objects.filter(members__person_id=person_id).values("estate_id")
        rows = rows | SpendingRequest.objects.filter(estate_id__in=groups)
    return get_object_or_404(rows.select_related("estate", "purpose", "payment"), pk=pk)


def _may_sign(user, stage: str, estate: Place) -> bool:
    """Whether to offer ``user`` the form of ``stage`` (the service decides all the same)."""
    if stage == Stage.COMMITTEE:
        return can(user, Action.CHANGE, estate)
    if stage == Stage.DISCIPLINE:
        return can(user, Action.REVIEW, estate)
    person_id = getattr(user, "person_id", None)
    return bool(person_id) and SupervisionGroup.objects.filter(estate=estate, members__person_id=person_id).exists()


@login_required
def spending_detail(request, pk: int):
    """A spending request with its approvals in order; the next approver signs or objects here; the committee pays.

    Longer than our 80 lines on purpose: three forms (sign, object, pay) on one page that re-renders each as typed
    after a refused step; each step is one service call, dispatched here with the state the page shares.
    """
    spending = readable_spending(request.user, pk)
    estate = spending.estate
    rules = RuleMemo()
    required = spending.required_stages(rules)
    approvals = {
        a.stage: a
        for a in SpendingApproval.objects.filter(request=spending).select_related(
            "approver__person", "decision", "resolution_vote"
        )
    }
    waiting = [s for s in required if s not in approvals]
    stage = waiting[0] if waiting else None
    decisions = list(
        Decision.objects.filter(
            meeting__estate=estate, passed=True, meeting__kind__in=(MeetingKind.COMMITTEE, MeetingKind.ASSEMBLY)
        )
        .select_related("meeting")
        .order_by("-meeting__held_at")[:30]
    )
    votes = list(Vote.objects.filter(estate=estate, kind=VoteKind.RESOLUTION).order_by("-closes_at")[:20])
    approve_form = cf.ApprovalForm(initial={"stage": stage}, decisions=decisions, votes=votes, prefix="ok")
    object_form = cf.ObjectionForm(prefix="no")
    pay_form = cf.PaymentForm(initial={"date": timezone.localdate()}, prefix="pay")
    status = 200
    if request.method == "POST":
        step = request.POST.get("step", "")
        try:
            if step == "approve":
                approve_form = cf.ApprovalForm(request.POST, decisions=decisions, votes=votes, prefix="ok")
                if approve_form.is_valid():
                    data = approve_form.cleaned_data
                    committee_services.spending_approve(
                        request=spending,
                        stage=data["stage"],
                        seen=data["seen"],
                        decision=Decision.objects.filter(pk=data["decision"]).first() if data["decision"] else None,
                        resolution_vote=Vote.objects.filter(pk=data["resolution_vote"]).first()
                        if data["resolution_vote"]
                        else None,
                        actor=request.user,
                    )
                    messages.success(request, _("已签署“%(s)s”。") % {"s": Stage(data["stage"]).label})
                    return redirect("web:spending", pk=spending.pk)
            elif step == "object":
                object_form = cf.ObjectionForm(request.POST, prefix="no")
                if object_form.is_valid():
                    if stage == Stage.DISCIPLINE and can(request.user, Action.REVIEW, estate):
                        oversight_services.intervention_record(
                            opinion=object_form.cleaned_data["opinion"], spending_request=spending, actor=request.user
                        )
                    else:
                        committee_services.spending_object(
                            request=spending,
                            stage=stage or "",
                            reason=object_form.cleaned_data["opinion"],
                            actor=request.user,
                        )
                    messages.success(request, _("您的意见已记录，业委会须答复后再审批。"))
                    return redirect("web:spending", pk=spending.pk)
            elif step == "pay":
                pay_form = cf.PaymentForm(request.POST, request.FILES, prefix="pay")
                if pay_form.is_valid():
                    committee_services.spending_pay(
                        request=spending,
                        date=pay_form.cleaned_data["date"],
                        voucher=pay_form.cleaned_data["voucher"],
                        actor=request.user,
                    )
                    messages.success(request, _("已支付并记账。"))
                    return redirect("web:spending", pk=spending.pk)
            else:
                raise Http404
        except ApplicationError as exc:
            _refuse({"approve": approve_form, "object": object_form, "pay": pay_form}[step], exc)
            status = exc.status
        else:
            status = 400
    opinions = list(
        InterventionOpinion.objects.filter(spending_request=spending)
        .select_related("reviewer__person")
        .order_by("created_at")
    )
    return render(
        request,
        "web/spending.html",
        {
            "spending": spending,
            "estate": estate,
            "required": [
                {"stage": s, "label": Stage(s).label, "on": STAGE_WAITS_ON[s], "approval": approvals.get(s)}
                for s in required
            ],
            "stage": stage,
            "stage_label": Stage(stage).label if stage else "",
            "stage_on": STAGE_WAITS_ON.get(stage, ""),
            "may_sign": bool(stage) and _may_sign(request.user, stage, estate),
            "may_pay": spending.status == SpendingStatus.APPROVED and can(request.user, Action.CHANGE, estate),
            "approve_form": approve_form,
            "object_form": object_form,
            "pay_form": pay_form,
            "objections": committee_selectors.spending_objections(spending),
            "opinions": opinions,
            "crumbs": _estate_crumbs(estate, "spending", _("支出申请"), spending.payee)
            if can(request.user, Action.VIEW, estate)
            else [],
        },
        status=status,
    )


# Property companies -------------------------------------------------------------------------


@login_required
def contract_new(request, pk: int):
    """Record the estate's service contract with a property company."""
    estate = writable_estate(request.user, readable_estate(request.user, pk))
    companies = list(
        PropertyCompany.objects.filter(
            subtree_q(estate.parent, "place__") if estate.parent_id else subtree_q(estate, "place__")
        ).order_by("name")
        | PropertyCompany.objects.filter(contracts__estate=estate)
    )
    companies = sorted({c.pk: c for c in companies}.values(), key=lambda c: c.name)
    form = cf.ContractForm(request.POST or None, companies=companies)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = committee_services.service_contract_create(
                estate=estate,
                company=next(c for c in companies if c.pk == data["company"]),
                start=data["start"],
                end=data["end"],
                fee_per_m2_month=data["fee_per_m2_month"],
                notes=data["notes"],
                actor=request.user,
            )
        except ApplicationError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("已登记物业服务合同。"))
            return redirect("web:contract", pk=contract.pk)
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": _("登记物业服务合同"),
            "estate": estate,
            "submit": _("登记"),
            "crumbs": _estate_crumbs(estate, "property", _("物业服务"), _("登记合同")),
        },
        status=_status(form),
    )


@login_required
def contract_detail(request, pk: int):
    """A service contract and the notes on how the company served; the committee adds a note here."""
    contract = get_object_or_404(
        ServiceContract.objects.restrict(request.user, Action.VIEW).select_related("estate", "company"), pk=pk
    )
    form = cf.NoteForm(request.POST or None, initial={"noted_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            committee_services.performance_note_create(contract=contract, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("已记录履约评价。"))
            return redirect("web:contract", pk=contract.pk)
    return render(
        request,
        "web/contract.html",
        {
            "contract": contract,
            "estate": contract.estate,
            "notes": list(contract.performance_notes.select_related("author__person").order_by("-noted_on", "-pk")),
            "form": form,
            "may_change": can(request.user, Action.CHANGE, contract.estate),
            "crumbs": _estate_crumbs(contract.estate, "property", _("物业服务"), contract.company.name),
        },
        status=_status(form),
    )


# Projects ----------------------------------------------------------------------------------


@login_required
def project_detail(request, pk: int):
    """A project's life: start, milestones planned and reached, acceptance."""
    project = get_object_or_404(
        Project.objects.restrict(request.user, Action.VIEW)
        .select_related("estate")
        .prefetch_related(Prefetch("milestones"), "expert_team__person"),
        pk=pk,
    )
    milestones = list(project.milestones.all())
    open_milestones = [m for m in milestones if m.reached_on is None]
    forms = {
        "start": cf.ProjectStartForm(initial={"on": timezone.localdate()}, prefix="start"),
        "milestone": cf.MilestoneForm(prefix="ms"),
        "reach": cf.MilestoneReachForm(
            initial={"reached_on": timezone.localdate()}, milestones=open_milestones, prefix="reach"
        ),
        "accept": cf.AcceptanceForm(
            initial={"accepted_on": timezone.localdate(), "actual_end": timezone.localdate()}, prefix="acc"
        ),
    }
    status = 200
    if request.method == "POST":
        step = request.POST.get("step", "")
        if step not in forms:
            raise Http404
        bound = {
            "start": lambda: cf.ProjectStartForm(request.POST, prefix="start"),
            "milestone": lambda: cf.MilestoneForm(request.POST, prefix="ms"),
            "reach": lambda: cf.MilestoneReachForm(request.POST, milestones=open_milestones, prefix="reach"),
            "accept": lambda: cf.AcceptanceForm(request.POST, prefix="acc"),
        }[step]()
        forms[step] = bound
        if bound.is_valid():
            data = bound.cleaned_data
            try:
                if step == "start":
                    committee_services.project_start(project=project, on=data["on"], actor=request.user)
                elif step == "milestone":
                    committee_services.project_milestone_add(
                        project=project, title=data["title"], planned_on=data["planned_on"], actor=request.user
                    )
                elif step == "reach":
                    committee_services.project_milestone_reach(
                        milestone=next(m for m in open_milestones if m.pk == data["milestone"]),
                        reached_on=data["reached_on"],
                        note=data["note"],
                        actor=request.user,
                    )
                else:
                    committee_services.project_accept(project=project, actor=request.user, **data)
            except ApplicationError as exc:
                _refuse(bound, exc)
                status = exc.status
            else:
                messages.success(request, _("已登记。"))
                return redirect("web:project", pk=project.pk)
        else:
            status = 400
    return render(
        request,
        "web/project.html",
        {
            "project": project,
            "estate": project.estate,
            "milestones": milestones,
            "forms": forms,
            "major": project.major_under(RuleMemo()),
            "may_change": can(request.user, Action.CHANGE, project.estate),
            "crumbs": _estate_crumbs(project.estate, "projects", _("项目"), project.title),
        },
        status=status,
    )
