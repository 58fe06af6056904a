"""Background work of the register."""

from celery import shared_task

from governance.scoping import SYSTEM
from residents import services
from residents.models import ImportJob


@shared_task(acks_late=True)
def register_import(job_id: int) -> str:
    """Run one register import job; safe to run twice (the job is claimed atomically).

    The job acts for the user who submitted the file (``job.created_by``, or ``SYSTEM``).
    """
    job = ImportJob.objects.select_related("estate", "created_by").get(pk=job_id)
    return services.register_import_run(job=job).state


@shared_task
def register_imports_fail_stalled() -> int:
    """Beat, every ten minutes: send again the jobs whose message was lost, and fail those whose worker stopped."""
    services.register_imports_resend_pending(actor=SYSTEM)
    return services.register_imports_fail_stalled(actor=SYSTEM)
