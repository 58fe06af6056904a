"""Petitions (信访): record, update, reveal the petitioner, import a year's log, export.

Who may do what: the community and the street (``change`` where the petition is) record and
update petitions; whoever may read them sees petitioners' names and contacts masked; the full
values are shown only to those with ``view_personal`` there, and each reveal is audited, as in
the register. Exports carry masked data only, every cell made safe for spreadsheets.
"""

from __future__ import annotations

import csv
import datetime
import io

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.spreadsheets import safe_row
from core.uploads import check_upload
from governance.audit import apply_changes, audit_record
from governance.models import Place, PlaceKind
from governance.scoping import Action, acting_user, require, subtree_q
from oversight.events import OversightEvent
from oversight.models import (
    Petition,
    PetitionCategory,
    PetitionChannel,
    PetitionStatus,
    Satisfaction,
)
from oversight.petition_import import parse_log

PETITION_PLACES = (PlaceKind.COMMUNITY, PlaceKind.ESTATE)
UPDATABLE = ("status", "outcome", "satisfaction", "handled_by", "summary", "category", "channel")


def _check_choices(fields: dict) -> None:
    for key, enum in (
        ("category", PetitionCategory),
        ("channel", PetitionChannel),
        ("status", PetitionStatus),
        ("satisfaction", Satisfaction),
    ):
        if key in fields and fields[key] not in enum.values and not (key == "satisfaction" and fields[key] == ""):
            raise ApplicationError(_("“%(value)s”不是有效的选项。") % {"value": fields[key]}, code=f"bad_{key}")


@transaction.atomic
def petition_create(
    *,
    received_on: datetime.date,
    place: Place,
    category: str,
    channel: str,
    summary: str,
    actor,
    reference: str = "",
    handled_by: str = "",
    status: str = PetitionStatus.RECEIVED,
    outcome: str = "",
    satisfaction: str = "",
    petitioner_name: str = "",
    petitioner_contact: str = "",
) -> Petition:
    """Record one petition about an estate or a community."""
    if place.kind not in PETITION_PLACES:
        raise ApplicationError(_("信访件的地点须为小区或社区。"), code="bad_place")
    require(actor, Action.CHANGE, place)
    _check_choices({"category": category, "channel": channel, "status": status, "satisfaction": satisfaction})
    if received_on > timezone.localdate():
        raise ApplicationError(_("受理日期不能晚于今天。"), code="future_date")
    if not summary.strip():
        raise ApplicationError(_("请填写诉求摘要。"), code="summary_required")
    reference = reference.strip()
    if reference and Petition.objects.filter(reference=reference).exists():
        raise ApplicationError(_("编号“%(ref)s”已登记。") % {"ref": reference}, code="duplicate_reference")
    petition = Petition.objects.create(
        reference=reference,
        received_on=received_on,
        place=place,
        category=category,
        channel=channel,
        summary=summary.strip(),
        handled_by=handled_by.strip(),
        status=status,
        outcome=outcome.strip(),
        satisfaction=satisfaction,
        petitioner_name=petitioner_name.strip(),
        petitioner_contact=petitioner_contact.strip(),
        recorded_by=acting_user(actor),
    )
    audit_record(
        actor=actor,
        action=OversightEvent.PETITION_CREATE,
        obj=petition,
        place=place,
        summary=f"{petition.get_category_display()} {petition.summary[:100]}",
    )
    return petition


@transaction.atomic
def petition_update(*, petition: Petition, actor, **fields) -> Petition:
    """Record how a petition is handled: status, outcome, the petitioner's satisfaction, corrections."""
    require(actor, Action.CHANGE, petition.place)
    unknown = set(fields) - set(UPDATABLE)
    if unknown:
        raise ApplicationError(_("不能修改这些字段：%s") % "、".join(sorted(unknown)), code="invalid_field")
    _check_choices(fields)
    values = {k: v.strip() if isinstance(v, str) and k != "satisfaction" else v for k, v in fields.items()}
    if "summary" in values and not values["summary"]:
        raise ApplicationError(_("请填写诉求摘要。"), code="summary_required")
    changes = apply_changes(petition, values)
    if changes:
        petition.save(update_fields=list(changes))
        audit_record(
            actor=actor, action=OversightEvent.PETITION_UPDATE, obj=petition, place=petition.place, changes=changes
        )
    return petition


def petition_reveal(*, petition: Petition, actor) -> dict:
    """Show a petitioner's full name and contact to someone allowed to see personal data; record that they looked."""
    require(actor, Action.VIEW_PERSONAL, petition.place, message=_("您无权查看信访人的完整信息。"))
    audit_record(
        actor=actor,
        action=OversightEvent.PETITION_REVEAL,
        obj=petition,
        place=petition.place,
        summary=_("查看信访人信息"),
    )
    return {"petitioner_name": petition.petitioner_name, "petitioner_contact": petition.petitioner_contact}


@transaction.atomic
def petitions_import(*, place: Place, year: int, file, actor) -> dict:
    """Import a year's petition log under ``place``: every row, or none with the errors of each line.

    The upload is checked (size, type by content) before anything parses it. A row whose
    number is already recorded is an error, so importing the same log twice writes nothing twice.
    """
    require(actor, Action.CHANGE, place)
    if not 2000 <= year <= timezone.localdate().year:
        raise ApplicationError(_("年份无效。"), code="bad_year")
    kind = check_upload(file, "petitions")
    parsed = parse_log(file, kind, place=place, year=year)
    references = [row["reference"] for row in parsed.rows if row["reference"]]
    taken = set(Petition.objects.filter(reference__in=references).values_list("reference", flat=True))
    for row in parsed.rows:
        if row["reference"] in taken:
            parsed.errors.append(
                {"line": row["line"], "errors": [_("编号“%(ref)s”已登记。") % {"ref": row["reference"]}]}
            )
    if not parsed.rows and not parsed.errors:
        parsed.errors.append({"line": 2, "errors": [_("文件中没有信访记录。")]})
    if parsed.errors:
        parsed.errors.sort(key=lambda e: e["line"])
        raise ApplicationError(
            _("信访台账有%(n)d行存在错误，未导入任何记录。") % {"n": len(parsed.errors)},
            code="import_errors",
            extra={"errors": parsed.errors},
        )
    recorded_by = acting_user(actor)
    Petition.objects.bulk_create(
        [
            Petition(
                reference=row["reference"],
                received_on=row["received_on"],
                place=row["place"],
                category=row["category"],
                channel=row["channel"],
                summary=row["summary"],
                handled_by=row["handled_by"],
                status=row["status"],
                outcome=row["outcome"],
                satisfaction=row["satisfaction"],
                petitioner_name=row["petitioner_name"],
                petitioner_contact=row["petitioner_contact"],
                recorded_by=recorded_by,
            )
            for row in parsed.rows
        ],
        batch_size=1000,
    )
    audit_record(
        actor=actor,
        action=OversightEvent.PETITION_IMPORT,
        place=place,
        summary=_("导入%(year)d年信访台账%(n)d件") % {"year": year, "n": len(parsed.rows)},
        data={"year": year, "rows": len(parsed.rows), "file": getattr(file, "name", "")},
    )
    return {"year": year, "imported": len(parsed.rows)}


EXPORT_COLUMNS = (
    ("reference", _("编号")),
    ("received_on", _("受理日期")),
    ("place", _("地点")),
    ("category", _("类别")),
    ("channel", _("渠道")),
    ("summary", _("诉求摘要")),
    ("handled_by", _("承办单位")),
    ("status", _("状态")),
    ("outcome", _("办理结果")),
    ("satisfaction", _("满意度")),
    ("petitioner_name", _("信访人")),
    ("petitioner_contact", _("联系方式")),
)


def _export_rows(place: Place, year: int):
    petitions = Petition.objects.filter(subtree_q(place, "place__"), received_on__year=year).select_related("place")
    for p in petitions.order_by("received_on", "pk"):
        yield [
            p.reference,
            p.received_on,
            p.place.name,
            p.get_category_display(),
            p.get_channel_display(),
            p.summary,
            p.handled_by,
            p.get_status_display(),
            p.outcome,
            p.get_satisfaction_display() if p.satisfaction else "",
            p.petitioner_name_masked,
            p.petitioner_contact_masked,
        ]


def petitions_export(*, place: Place, year: int, format: str, actor) -> tuple[bytes, int]:
    """Export a year's petitions under ``place`` as CSV or XLSX (petitioners masked); record the export.

    Returns the file's bytes and the number of petitions. Every cell goes through ``safe_cell``.
    """
    require(actor, Action.VIEW, place)
    if format not in ("csv", "xlsx"):
        raise ApplicationError(_("导出格式只能是 csv 或 xlsx。"), code="bad_format")
    header = [str(label) for _key, label in EXPORT_COLUMNS]
    rows = [safe_row(row) for row in _export_rows(place, year)]
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        content = buffer.getvalue().encode("utf-8-sig")
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = str(year)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        content = out.getvalue()
    audit_record(
        actor=actor,
        action=OversightEvent.PETITION_EXPORT,
        place=place,
        summary=_("导出%(year)d年信访台账%(n)d件") % {"year": year, "n": len(rows)},
        data={"year": year, "rows": len(rows), "format": format},
    )
    return content, len(rows)
