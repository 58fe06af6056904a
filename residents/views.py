"""Web pages of the register: the units in the user's scope and one unit's owners and residents; upload a register
file and watch its import; the template to fill in."""

import csv
import datetime
import io

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.db.models.functions import Length
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from governance.models import Place, PlaceKind
from governance.scoping import Action, scope_ranges
from residents import selectors, services
from residents.identifiers import make_resident_id
from residents.importer import COLUMNS
from residents.models import AreaSource, ImportJob, PartyMember, PropertyUnit, UnitUse

# The figures of a finished import, by the key the importer stores them under (residents/importer/writing.py).
SUMMARY_LABELS = {
    "rows": _("文件行数"),
    "units": _("房屋（专有部分）"),
    "on": _("产权变更生效日期"),
    "units_created": _("新增房屋"),
    "units_updated": _("更新房屋"),
    "units_area_changed": _("计入面积有变化的房屋"),
    "units_area_outranked": _("被更高优先级面积取代的面积"),
    "units_changing_hands": _("产权变更的房屋"),
    "persons_created": _("新增人员"),
    "persons_updated": _("更新人员"),
    "owners_created": _("新增业主"),
    "owners_updated": _("更新业主"),
    "ownerships_started": _("新登记产权"),
    "ownerships_ended": _("终止产权"),
    "ownerships_corrected": _("更正产权"),
}

# A filled-in example line of the register template (a made-up owner with a valid-looking ID number).
EXAMPLE = {
    "building": "1栋",
    "stairway": "1",
    "room": "101",
    "use": "residential",
    "area": "89.50",
    "area_source": "registered",
    "delivered": "yes",
    "owner_name": "张三",
    "owner_id_number": make_resident_id("500105", datetime.date(1970, 1, 1), 1),
    "owner_phone": "13800138000",
    "is_developer": "no",
    "share": "",
}


class ImportForm(forms.Form):
    estate = forms.ModelChoiceField(label=_("小区"), queryset=Place.objects.none())
    file = forms.FileField(label=_("登记册文件（CSV 或 XLSX）"))
    on = forms.DateField(
        label=_("产权变更生效日期（默认今天）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        estates = Place.objects.restrict(user, Action.KEEP_REGISTER).filter(kind=PlaceKind.ESTATE)
        self.fields["estate"].queryset = estates


def _require_change_somewhere(user) -> None:
    """The register's pages are for whoever may change a register somewhere; the others get 403, not an empty form."""
    if scope_ranges(user, Action.KEEP_REGISTER) == []:
        raise PermissionDenied


@login_required
def import_new(request):
    _require_change_somewhere(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.register_import_submit(
                estate=form.cleaned_data["estate"],
                file=form.cleaned_data["file"],
                on=form.cleaned_data["on"],
                actor=request.user,
            )
        except ApplicationError as exc:
            form.add_error("file" if exc.code.startswith("upload") else None, exc.message)
        else:
            return redirect("residents:import-detail", pk=job.pk)
    jobs = ImportJob.objects.visible_to(request.user).select_related("estate")[:20]
    return render(
        request,
        "residents/import_new.html",
        {
            "form": form,
            "jobs": jobs,
            "uses": UnitUse.choices,
            "area_sources": AreaSource.choices,
            "crumbs": _register_crumbs(last=_("导入登记册")) if scope_ranges(request.user, Action.VIEW) != [] else [],
        },
        status=400 if form.is_bound else 200,  # shown again after a refusal: 400, like every form (docs/web.md)
    )


@login_required
def import_detail(request, pk: int):
    job = get_object_or_404(ImportJob.objects.visible_to(request.user).select_related("estate"), pk=pk)
    if request.GET.get("json"):
        return JsonResponse(
            {
                "state": job.state,
                "state_display": str(job.get_state_display()),
                "progress": job.percent,
                "done": job.finished,
            }
        )
    figures = [
        {"label": SUMMARY_LABELS.get(key, key), "value": f"{value:,}" if isinstance(value, int) else value}
        for key, value in (job.summary or {}).items()
        if key != "area_changes"
    ]
    return render(request, "residents/import_detail.html", {"job": job, "figures": figures})


@login_required
def import_template(request, file_type: str):
    """The register file to fill in: the header every import expects and one example line."""
    _require_change_somewhere(request.user)
    if file_type == "xlsx":
        from openpyxl import Workbook  # openpyxl loads slowly: only when a workbook is written

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "register"
        sheet.append(list(COLUMNS))
        sheet.append([EXAMPLE[c] for c in COLUMNS])
        for (cell,) in sheet.iter_rows(
            min_row=2, min_col=COLUMNS.index("owner_id_number") + 1, max_col=COLUMNS.index("owner_id_number") + 1
        ):
            cell.number_format = "@"  # an ID number stays text, never a number in scientific notation
        out = io.BytesIO()
        workbook.save(out)
        content = out.getvalue()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        writer.writerow([EXAMPLE[c] for c in COLUMNS])
        content = buffer.getvalue().encode("utf-8-sig")
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="register-template.{file_type}"'
    return response


# The register itself: units, owners, residents ------------------------------------------------------------

REGISTER_PAGE = 50


def _require_view_somewhere(user) -> None:
    """The register is read by whoever may read everything somewhere (staff, the committee, the auditor and the
    reviewer); an owner reads their own units on their own page (``/mine/``), a clerk the roll's public notice."""
    if scope_ranges(user, Action.VIEW) == []:
        raise PermissionDenied


def _register_crumbs(estate: Place | None = None, last: str = "") -> list[dict]:
    """登记册 › estate › unit: each a page the user opened the current one through, so one they may open."""
    crumbs = [{"name": _("登记册"), "url": reverse("residents:register")}]
    if estate is not None:
        url = f"{reverse('residents:register')}?{urlencode({'estate': estate.pk})}"
        crumbs.append({"name": estate.name, "url": url})
    if last:
        crumbs.append({"name": last, "url": ""})
    return crumbs


@login_required
def register(request):
    """The units in the user's scope, by estate and searched by short form (``101``, ``3栋``, ``3栋-2单元-101``).

    Owners by name only (ID and phone numbers never appear on a list), residents and party members counted,
    the latest occupancy; fifty a page, in a fixed number of queries whatever the scope (``register_rows``).
    """
    _require_view_somewhere(request.user)
    estates = list(
        Place.objects.restrict(request.user, Action.VIEW).filter(kind=PlaceKind.ESTATE).order_by("name", "pk")
    )
    units = PropertyUnit.objects.restrict(request.user, Action.VIEW)
    estate = None
    value = request.GET.get("estate", "")
    if value:
        estate = next((e for e in estates if str(e.pk) == value), None)
        if estate is None:
            raise Http404  # not an estate in the user's scope: like a missing one
        units = units.filter(estate=estate)
    query = request.GET.get("q", "").strip()[:60]
    if query:
        units = selectors.units_matching(units, query)
    units = units.order_by("estate__name", "estate_id", "building_id", "stairway", Length("room"), "room", "pk")
    page = Paginator(selectors.register_rows(units), REGISTER_PAGE).get_page(request.GET.get("page"))
    params = {k: v for k, v in (("estate", value), ("q", query)) if v}
    return render(
        request,
        "residents/register.html",
        {
            "estates": estates,
            "estate": estate,
            "q": query,
            "page": page,
            "pager_query": urlencode(params),
            "may_import": scope_ranges(request.user, Action.KEEP_REGISTER) != [],
            "crumbs": _register_crumbs(estate) if estate else [],
        },
    )


@login_required
def unit_detail(request, pk: int):
    """One unit: its owners over time with their shares, who lives there, its occupancy; out of scope: 404."""
    _require_view_somewhere(request.user)
    unit = get_object_or_404(
        PropertyUnit.objects.restrict(request.user, Action.VIEW).select_related("estate", "building"), pk=pk
    )
    today = timezone.localdate()
    ownerships = list(unit.ownerships.select_related("owner__person").order_by("-start", "-pk"))
    residents = list(
        unit.residents.select_related("person")
        .annotate(party=Exists(PartyMember.objects.filter(person=OuterRef("person"))))
        .order_by("-start", "-pk")
    )
    for row in [*ownerships, *residents]:
        row.current = row.start <= today and (row.end is None or row.end > today)
    return render(
        request,
        "residents/unit.html",
        {
            "unit": unit,
            "ownerships": ownerships,
            "residents": residents,
            "occupancy": list(unit.occupancy_states.order_by("-since")),
            "crumbs": _register_crumbs(unit.estate, unit.label),
        },
    )
