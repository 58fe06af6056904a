"""Background work of the committees layer."""

from celery import shared_task

from committees import services
from committees.models import LedgerTransaction
from governance.models import Place
from governance.scoping import SYSTEM


@shared_task(acks_late=True)
def verify_ledger(estate_id: int) -> dict:
    """Recompute one estate's hash chain and record the result in the audit trail."""
    return services.ledger_check(estate=Place.objects.get(pk=estate_id), actor=SYSTEM).__dict__


@shared_task
def verify_ledgers() -> list[int]:
    """Queue a check of every estate's ledger (the nightly beat job); return the estates queued."""
    estate_ids = sorted(set(LedgerTransaction.objects.values_list("estate_id", flat=True)))
    for estate_id in estate_ids:
        verify_ledger.delay(estate_id)
    return estate_ids
