"""The audit trail page: every write in scope, filtered by who, what, when and object; exported through a service."""

from __future__ import annotations

import datetime

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.errors import ApplicationError
from governance.audit import event_label
from governance.models import Place
from governance.scoping import Action
from web import audit_trail, services
from web.nav import needs
from web.scope import chosen_place, home_places, place_crumbs

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request) -> audit_trail.TrailFilter:
    get = request.GET
    return audit_trail.TrailFilter(
        who=get.get("who", "").strip()[:100],
        system=get.get("system") == "1",
        action=get.get("action", "").strip()[:64],
        start=_date(get.get("start", "")),
        end=_date(get.get("end", "")),
        model=get.get("model", "").strip()[:100],
        obj=get.get("object", "").strip()[:100],
    )


def _place(request) -> Place:
    place = chosen_place(request, Action.VIEW)
    if place is None:
        raise Http404
    return place


@needs("view")
def trail(request):
    """``/audit/``: the writes in the chosen place's subtree, newest first, fifty a page."""
    place = _place(request)
    f = _filters(request)
    rows = audit_trail.trail(request.user, place, f).select_related("actor__person", "place", "content_type")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    entries = [
        {
            "event": e,
            "label": event_label(e.action),
            "type": e.content_type.model_class()._meta.verbose_name
            if e.content_type_id and e.content_type.model_class()
            else "",
        }
        for e in page
    ]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "web/audit_trail.html",
        {
            "place": place,
            "homes": home_places(request.user, Action.VIEW),
            "f": f,
            "page": page,
            "entries": entries,
            "actions": audit_trail.actions_grouped(),
            "types": audit_trail.object_types(),
            "pager_query": params.urlencode(),
            "export_query": params.urlencode(),
            "crumbs": place_crumbs(request.user, place, Action.VIEW, "web:audit-trail"),
        },
    )


@needs("view")
def export(request):
    """Download the filtered trail as CSV or XLSX; the service checks the right and records the export."""
    place = _place(request)
    file_type = request.GET.get("file_type", "xlsx")
    try:
        content, _count = services.audit_trail_export(
            place=place, filters=_filters(request), format=file_type, actor=request.user
        )
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_type])
    response["Content-Disposition"] = f'attachment; filename="audit-{place.pk}-{stamp}.{file_type}"'
    return response
