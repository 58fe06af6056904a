"""The audit trail as the auditors read it: every write in a place's subtree, filtered by who, what, when, object.

``trail`` is the one query; the page lists it, ``web.services.audit_trail_export`` writes it to a
file (and records that export). Times are local (Asia/Shanghai) wherever they are shown.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.spreadsheets import safe_cell, safe_row
from governance.audit import event_choices, event_label
from governance.models import AuditEvent, Place
from governance.scoping import Action, subtree_q

EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class TrailFilter:
    """What the auditor asked for; every field optional."""

    who: str = ""
    system: bool = False
    action: str = ""
    start: datetime.date | None = None
    end: datetime.date | None = None
    model: str = ""
    obj: str = ""

    def as_dict(self) -> dict:
        return {
            "who": self.who,
            "system": self.system,
            "action": self.action,
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "model": self.model,
            "object": self.obj,
        }


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def object_types() -> list[tuple[str, str]]:
    """The kinds of object the trail can name, as ``(app_label.model, verbose name)``."""
    return sorted(
        (
            (f"{ct.app_label}.{ct.model}", str(ct.model_class()._meta.verbose_name))
            for ct in ContentType.objects.filter(
                app_label__in=("governance", "residents", "elections", "committees", "oversight")
            )
            if ct.model_class() is not None
        ),
        key=lambda pair: pair[1],
    )


def trail(user, place: Place, f: TrailFilter):
    """The audit rows in ``place``'s subtree that ``user`` may read, newest first, narrowed by ``f``."""
    rows = AuditEvent.objects.restrict(user, Action.VIEW).filter(subtree_q(place, "place__"))
    if f.system:
        rows = rows.filter(by_system=True)
    if f.who:
        rows = rows.filter(Q(actor__username__icontains=f.who) | Q(actor__person__name__icontains=f.who))
    if f.action:
        rows = rows.filter(action=f.action) if "." in f.action else rows.filter(action__startswith=f"{f.action}.")
    if f.start:
        rows = rows.filter(created_at__gte=_day_start(f.start))
    if f.end:
        rows = rows.filter(created_at__lt=_day_start(f.end + datetime.timedelta(days=1)))
    if f.model and "." in f.model:
        app_label, model = f.model.split(".", 1)
        rows = rows.filter(content_type__app_label=app_label, content_type__model=model)
    if f.obj:
        rows = rows.filter(Q(object_id=f.obj) | Q(summary__icontains=f.obj))
    return rows.order_by("-created_at", "-pk")


def _shown(value, field) -> str:
    """A recorded value as people read it: a choice by its label, yes/no, a dash for nothing."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    choices = dict(field.flatchoices) if field is not None and field.choices else {}
    if choices:
        return str(choices.get(value, value))
    return str(value)


def change_rows(event: AuditEvent) -> list[dict]:
    """The old and new values an update recorded, each field by its label and each value as people read it."""
    changes = (event.data or {}).get("changes") or {}
    model = event.content_type.model_class() if event.content_type_id else None
    rows = []
    for name, change in changes.items():
        try:
            field = model._meta.get_field(name) if model is not None else None
        except Exception:  # a field since removed, or not a field (attendees): shown by its recorded name
            field = None
        label = str(getattr(field, "verbose_name", "")) or name
        rows.append({"field": label, "old": _shown(change.get("old"), field), "new": _shown(change.get("new"), field)})
    return rows


def actions_grouped() -> list[tuple[str, list[tuple[str, str]]]]:
    """The event types for the filter, grouped by what they concern (the value before the dot)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for value, label in event_choices():
        groups.setdefault(value.split(".", 1)[0], []).append((value, str(label)))
    return list(groups.items())


HEADER = (
    gettext_lazy("时间"),
    gettext_lazy("操作人"),
    gettext_lazy("操作"),
    gettext_lazy("操作代码"),
    gettext_lazy("对象类型"),
    gettext_lazy("对象编号"),
    gettext_lazy("地点"),
    gettext_lazy("摘要"),
    gettext_lazy("详情"),
)


def _rows(queryset):
    """Each row as local time, who, what, object and where, ready for a file."""
    names = dict(Place.objects.filter(pk__in=queryset.values("place_id")).values_list("pk", "name"))
    types = {
        ct.pk: str(ct.model_class()._meta.verbose_name) if ct.model_class() else ct.model
        for ct in ContentType.objects.all()
    }
    for row in queryset.values(
        "created_at",
        "actor__username",
        "actor__person__name",
        "by_system",
        "action",
        "content_type_id",
        "object_id",
        "place_id",
        "summary",
        "data",
    )[:EXPORT_LIMIT].iterator(chunk_size=2000):
        who = (
            _("系统") if row["by_system"] else (row["actor__person__name"] or row["actor__username"] or _("匿名投票人"))
        )
        yield (
            timezone.localtime(row["created_at"]).replace(tzinfo=None, microsecond=0),
            who,
            event_label(row["action"]),
            row["action"],
            types.get(row["content_type_id"], ""),
            row["object_id"],
            names.get(row["place_id"], ""),
            row["summary"],
            json.dumps(row["data"], ensure_ascii=False, sort_keys=True),
        )


def write_csv(queryset) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(h) for h in HEADER])
    for row in _rows(queryset):
        writer.writerow(safe_row([row[0].strftime("%Y-%m-%d %H:%M:%S"), *row[1:]]))
    return buffer.getvalue().encode("utf-8-sig")


def write_xlsx(queryset) -> bytes:
    """One sheet; the time column holds date cells (local time), every text cell passes ``safe_cell``."""
    from openpyxl import Workbook  # openpyxl loads slowly: only when a workbook is written
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = _("审计记录")
    sheet.append([str(h) for h in HEADER])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _rows(queryset):
        sheet.append([row[0], *(safe_cell(v) for v in row[1:])])
    for (cell,) in sheet.iter_rows(min_row=2, min_col=1, max_col=1):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    for letter, width in zip("ABCDEFGHI", (20, 14, 18, 22, 14, 10, 16, 40, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}
