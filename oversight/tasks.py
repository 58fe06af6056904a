"""Background work of the oversight layer: the daily sweep, notices by e-mail, digests and reports.

Tasks take ids, re-fetch, and call one service as the system; each is safe to run twice.
"""

from celery import shared_task

from governance.scoping import SYSTEM
from oversight import services
from oversight.models import Report


@shared_task(acks_late=True)
def oversight_sweep() -> dict:
    """The daily beat job: raise periodic obligations, meet evidenced ones, mark overdue, warn of due dates."""
    return services.obligations_sweep(actor=SYSTEM).as_dict()


@shared_task(acks_late=True)
def email_notices(notice_ids: list[int]) -> int:
    """E-mail the given notices to the users who want e-mail (each at most once)."""
    return services.notices_email(notice_ids=notice_ids)


@shared_task(acks_late=True)
def daily_digest() -> int:
    """The community secretaries' daily digest (beat, mornings)."""
    return services.digest_daily(actor=SYSTEM)


@shared_task(acks_late=True)
def weekly_digest() -> int:
    """The street staff's weekly digest of flagged estates (beat, Monday mornings)."""
    return services.digest_weekly(actor=SYSTEM)


@shared_task(acks_late=True)
def build_report(report_id: int) -> str:
    """Build one report (figures, file); its progress shows on the report while it runs."""
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        return "missing"
    return services.report_build(report=report).state


@shared_task
def reports_resend_pending() -> list[int]:
    """Beat, every ten minutes: send again the reports whose message was lost while the broker was down."""
    return services.reports_resend_pending(actor=SYSTEM)
