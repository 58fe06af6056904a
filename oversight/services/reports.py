"""The district's reports: asked for by a person, built by a Celery task with progress, kept for download.

A report is a read: whoever may read a place (``view``), the district auditor included, may
build a report of it and download the reports built there. Reports carry no personal data.
"""

from __future__ import annotations

import datetime
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict
from core.queueing import enqueue_on_commit, resend_pending
from governance.audit import audit_record
from governance.models import Place, PlaceKind
from governance.rules import rule
from governance.scoping import SYSTEM, Action, acting_user, require, require_unrestricted
from oversight.events import OversightEvent
from oversight.models import Report, ReportFormat, ReportKind, ReportState
from oversight.reports import WRITERS, report_figures

logger = logging.getLogger(__name__)
REPORT_PLACES = (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.TOWN, PlaceKind.COMMUNITY, PlaceKind.ESTATE)
MAX_DAYS = 3 * 366 + 1


def check_report_request(kind: str, place: Place, start: datetime.date, end: datetime.date) -> None:
    """Refuse a report that cannot be built: unknown kind, a place below an estate, a bad period."""
    if kind not in ReportKind.values:
        raise ApplicationError(_("未知的报告类型。"), code="bad_kind")
    if place.kind not in REPORT_PLACES:
        raise ApplicationError(_("报告的范围须为区、街镇、社区或小区。"), code="bad_place")
    if end < start:
        raise ApplicationError(_("期间的结束日期不能早于开始日期。"), code="bad_period")
    if (end - start).days > MAX_DAYS:
        raise ApplicationError(_("一份报告的期间不能超过三年。"), code="period_too_long")


@transaction.atomic
def report_request(*, kind: str, place: Place, start: datetime.date, end: datetime.date, format: str, actor) -> Report:
    """Ask for a report; a task builds it after the commit."""
    require(actor, Action.VIEW, place)
    check_report_request(kind, place, start, end)
    if format not in ReportFormat.values:
        raise ApplicationError(_("报告格式只能是 csv、xlsx 或 pdf。"), code="bad_format")
    report = Report.objects.create(
        kind=kind, place=place, start=start, end=end, format=format, created_by=acting_user(actor)
    )
    audit_record(
        actor=actor,
        action=OversightEvent.REPORT_REQUEST,
        obj=report,
        place=place,
        summary=str(report),
        data={"kind": kind, "format": format, "start": start, "end": end},
    )
    # Imported here, not at the top: the tasks module imports these services.
    from oversight.tasks import build_report

    # With the broker unreachable the report stays pending; ``reports_resend_pending`` sends it again.
    enqueue_on_commit(build_report, report.pk)
    return report


def reports_resend_pending(*, actor, now: datetime.datetime | None = None) -> list[int]:
    """Send again the reports still pending ``QUEUE_RESEND_MINUTES`` after they were asked for; return their ids.

    Their message was lost (the broker was unreachable, see ``core.queueing``). Building twice is
    safe: ``report_build`` claims a report once. Run by the beat job as the system.
    """
    require_unrestricted(actor, _("只有平台或超级管理员能重新发送排队中的报表。"))
    # Imported here, not at the top: the tasks module imports these services.
    from oversight.tasks import build_report

    waited = datetime.timedelta(minutes=rule("QUEUE_RESEND_MINUTES"))
    pending = Report.objects.filter(state=ReportState.PENDING)
    return resend_pending(pending, build_report, waited=waited, now=now or timezone.now())


def report_build(*, report: Report) -> Report:
    """Build a pending report: its figures section by section (progress on the row), then its file.

    Safe to run twice: the first run claims the report; a second finds it taken and returns.
    A failure is kept on the report with its message.
    """
    claimed = Report.objects.filter(pk=report.pk, state=ReportState.PENDING).update(
        state=ReportState.RUNNING, started_at=timezone.now(), progress=0
    )
    report.refresh_from_db()
    if not claimed:
        return report

    def progress(percent: int) -> None:
        Report.objects.filter(pk=report.pk).update(progress=min(percent, 99))

    try:
        figures = report_figures(report.kind, report.place, report.start, report.end, progress=progress)
        content = WRITERS[report.format](figures)
        name = f"report-{report.kind}-{report.place_id}-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{report.format}"
        with transaction.atomic():
            report.figures = figures
            report.file.save(name, ContentFile(content), save=False)
            report.state, report.progress, report.finished_at = ReportState.DONE, 100, timezone.now()
            report.save(update_fields=["figures", "file", "state", "progress", "finished_at"])
            audit_record(
                actor=SYSTEM,
                action=OversightEvent.REPORT_BUILD,
                obj=report,
                place=report.place,
                summary=str(report),
                data={"bytes": len(content), "requested_by": report.created_by_id},
            )
    except Exception as exc:
        logger.exception("report %s failed", report.pk)
        Report.objects.filter(pk=report.pk).update(
            state=ReportState.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        report.refresh_from_db()
    return report


def report_open(*, report: Report, actor):
    """Open a built report's file for download; the download is recorded."""
    require(actor, Action.VIEW, report.place)
    if report.state != ReportState.DONE or not report.file:
        raise Conflict(_("报告尚未生成完成。"), code="report_not_ready")
    audit_record(
        actor=actor, action=OversightEvent.REPORT_DOWNLOAD, obj=report, place=report.place, summary=str(report)
    )
    return report.file.open("rb")
