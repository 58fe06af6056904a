import datetime

from django_celery_beat.models import PeriodicTask

from committees.tasks import verify_ledgers
from committees.tests.factories import around_the_guards, income
from governance.models import AuditEvent


def test_the_nightly_check_records_an_intact_ledger(estate, ledger):
    income(estate, "100", datetime.date(2026, 1, 5))
    assert verify_ledgers.delay().get() == [estate.pk]
    assert AuditEvent.objects.filter(action="ledger.verify", place=estate).count() == 1


def test_the_nightly_check_records_a_broken_chain_as_a_finding(estate, ledger):
    tx = income(estate, "100", datetime.date(2026, 1, 5))
    around_the_guards("UPDATE committees_ledgertransaction SET memo = 'x' WHERE id = %s", [tx.pk])
    verify_ledgers.delay()
    finding = AuditEvent.objects.get(action="ledger.verify_failed", place=estate)
    assert finding.data["broken_sequence"] == 1


def test_the_nightly_ledger_check_is_scheduled_in_beat(db):
    assert PeriodicTask.objects.filter(task="committees.tasks.verify_ledgers", enabled=True).exists()
