"""Writes of the web layer: what the pages hand out that no lower app does (the audit trail's export)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from governance.audit import audit_record
from governance.models import Place
from governance.scoping import Action, require
from web import audit_trail
from web.events import WebEvent


@transaction.atomic
def audit_trail_export(*, place: Place, filters: audit_trail.TrailFilter, format: str, actor) -> tuple[bytes, int]:
    """Write the audit trail of ``place``'s subtree, as filtered, to CSV or XLSX; record who exported what.

    Whoever may read everything at the place (``view``) may export its trail; the rows are
    those the actor may read (``AuditEvent.objects.restrict``). Returns the file and its rows.
    """
    require(actor, Action.VIEW, place, message=_("您无权导出该范围的审计记录。"))
    if format not in audit_trail.WRITERS:
        raise ApplicationError(_("导出格式只能是 csv 或 xlsx。"), code="bad_format")
    rows = audit_trail.trail(actor, place, filters)
    count = min(rows.count(), audit_trail.EXPORT_LIMIT)
    content = audit_trail.WRITERS[format](rows)
    audit_record(
        actor=actor,
        action=WebEvent.AUDIT_TRAIL_EXPORT,
        place=place,
        summary=_("导出审计记录 %(n)d 条") % {"n": count},
        data={"format": format, "rows": count, "filters": filters.as_dict()},
    )
    return content, count
