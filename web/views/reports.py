"""The auditor's reports: choose scope and period, watch the task build it, read it with charts, download it.

The report is built by ``oversight.services.report_request`` → the Celery task → ``report_build``;
the page shows the report's stored figures, the very numbers the API and the file carry.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django import forms
from django.core.paginator import Paginator
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from governance.models import Place, PlaceKind
from governance.scoping import Action
from oversight import services
from oversight.models import Report, ReportFormat, ReportKind, ReportState
from oversight.reports import BOOL, INT, MONEY, PERCENT
from web import charts
from web.forms import DateInput, PageForm
from web.nav import needs

# The labels of the summary figures the report sections carry (oversight/reports.py), by key.
SUMMARY_LABELS = {
    "estates": gettext_lazy("小区数"),
    "covered_estates": gettext_lazy("全覆盖小区"),
    "share": gettext_lazy("比例（%）"),
    "estates_with_commissioner": gettext_lazy("配备物业管理专员的小区"),
    "committees": gettext_lazy("业委会数"),
    "members": gettext_lazy("委员人数"),
    "party_members": gettext_lazy("党员人数"),
    "party_member_share": gettext_lazy("党员占比（%）"),
    "chair_is_secretary": gettext_lazy("一肩挑"),
    "chair_is_secretary_share": gettext_lazy("一肩挑比例（%）"),
    "obligations": gettext_lazy("应履行"),
    "met_on_time": gettext_lazy("按时履行"),
    "met_late": gettext_lazy("逾期后履行"),
    "overdue_count": gettext_lazy("逾期未履行"),
    "waived": gettext_lazy("豁免"),
    "pending": gettext_lazy("未到期"),
    "revenue": gettext_lazy("公共收益（元）"),
    "funds": gettext_lazy("社区下拨资金（元）"),
    "spending": gettext_lazy("支出（元）"),
    "total": gettext_lazy("合计（元）"),
    "audits": gettext_lazy("审计数"),
    "actions": gettext_lazy("整改事项"),
    "actions_done": gettext_lazy("已完成整改"),
    "flagged": gettext_lazy("预警小区"),
    "occupancy": gettext_lazy("入住率（%）"),
    "participation": gettext_lazy("在职党员参与率（%）"),
}

ABOVE_ESTATE = (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.TOWN, PlaceKind.COMMUNITY)


class ReportForm(PageForm):
    FIELD_OF_CODE = {
        "bad_kind": "kind",
        "bad_place": "place",
        "bad_period": "end",
        "period_too_long": "start",
        "bad_format": "format",
    }

    kind = forms.ChoiceField(label=gettext_lazy("报告类型"), choices=ReportKind.choices)
    place = forms.TypedChoiceField(label=gettext_lazy("范围"), coerce=int)
    start = forms.DateField(label=gettext_lazy("期间开始"), widget=DateInput())
    end = forms.DateField(label=gettext_lazy("期间结束"), widget=DateInput())
    format = forms.ChoiceField(label=gettext_lazy("文件格式"), choices=ReportFormat.choices, initial=ReportFormat.XLSX)

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.places = {p.pk: p for p in places}
        # The kinds' labels once (``get_kind_display`` rebuilt the choices per place: 0.16 s for a district's 260).
        kind_label = {kind: str(label) for kind, label in PlaceKind.choices}
        self.fields["place"].choices = [
            (p.pk, ("　" * max(p.level, 0)) + f"{p.name}（{kind_label.get(p.kind, p.kind)}）") for p in places
        ]


def report_places(user) -> list[Place]:
    """The places a user may build a report of: districts down to estates within their reading scope."""
    return list(
        Place.objects.restrict(user, Action.VIEW)
        .filter(kind__in=(*ABOVE_ESTATE, PlaceKind.ESTATE))
        .order_by("tree_id", "lft")[:2000]
    )


@needs("view")
def reports(request):
    """``/reports/``: ask for a report, and the history of the reports built in the user's scope."""
    places = report_places(request.user)
    today = timezone.localdate()
    form = ReportForm(
        request.POST or None,
        places=places,
        initial={
            "kind": ReportKind.OVERVIEW,
            "start": today.replace(month=1, day=1),
            "end": today,
            "place": places[0].pk if places else None,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = services.report_request(
                    kind=data["kind"],
                    place=form.places[data["place"]],
                    start=data["start"],
                    end=data["end"],
                    format=data["format"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                form.refuse(exc)
                status = exc.status
            else:
                return redirect("web:report", pk=report.pk)
    history = Paginator(
        Report.objects.restrict(request.user, Action.VIEW).select_related("place", "created_by__person"), 20
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "web/reports.html",
        {"form": form, "history": history, "has_places": bool(places), "pager_query": ""},
        status=status,
    )


def _readable_report(user, pk: int) -> Report:
    return get_object_or_404(
        Report.objects.restrict(user, Action.VIEW).select_related("place", "created_by__person"), pk=pk
    )


def _section_chart(section: dict) -> dict | None:
    """A bar chart of a section's first share, amount or count by its first column, when rows compare."""
    columns = section["columns"]
    rows = section["rows"]
    if len(rows) < 2 or len(rows) > 60:
        return None
    for kind in (PERCENT, MONEY, INT):
        for i, column in enumerate(columns[1:], start=1):
            if column["type"] == kind:
                return charts.bar(
                    [str(r[0]) for r in rows],
                    [(column["label"], [r[i] if r[i] not in ("", None) else 0 for r in rows])],
                    percent=kind == PERCENT,
                )
    return None


def _display_rows(section: dict) -> list[list[dict]]:
    out = []
    for row in section["rows"]:
        cells = []
        for value, column in zip(row, section["columns"], strict=True):
            kind = column["type"]
            cells.append({"value": (_("是") if value else _("否")) if kind == BOOL else value, "kind": kind})
        out.append(cells)
    return out


@needs("view")
def report_detail(request, pk: int):
    """A report: its progress while the task builds it, then its figures with charts and the file to download."""
    report = _readable_report(request.user, pk)
    sections = []
    if report.state == ReportState.DONE:
        for section in report.figures.get("sections", []):
            # In the order the labels are listed (the database's JSON keeps no key order).
            order = {key: i for i, key in enumerate(SUMMARY_LABELS)}
            summary = [
                {"label": SUMMARY_LABELS.get(key, key), "value": value}
                for key, value in sorted(section.get("summary", {}).items(), key=lambda kv: order.get(kv[0], 99))
            ]
            sections.append(
                {
                    **section,
                    "chart": _section_chart(section),
                    "display": _display_rows(section),
                    "summary_rows": summary,
                }
            )
    return render(
        request,
        "web/report.html",
        {"report": report, "sections": sections, "done": report.state == ReportState.DONE},
    )


@needs("view")
def report_progress(request, pk: int):
    """The report's state and progress, for the page's progress bar."""
    report = _readable_report(request.user, pk)
    return JsonResponse(
        {
            "state": report.state,
            "state_display": str(report.get_state_display()),
            "progress": report.progress,
            "done": report.state in (ReportState.DONE, ReportState.FAILED),
        }
    )


@needs("view")
def report_download(request, pk: int):
    """Download the report's file; the service records the download."""
    report = _readable_report(request.user, pk)
    try:
        handle = services.report_open(report=report, actor=request.user)
    except ApplicationError:
        return redirect("web:report", pk=report.pk)
    return FileResponse(handle, as_attachment=True, filename=PurePosixPath(report.file.name).name)
