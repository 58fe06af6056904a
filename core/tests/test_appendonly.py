"""Append-only records refuse change through the ORM and in the database itself (the audit trail as subject)."""

import pytest
from django.db import IntegrityError, connection, transaction

from core.appendonly import AppendOnlyError
from governance.audit import audit_record
from governance.events import GovernanceEvent
from governance.models import AuditEvent
from governance.scoping import SYSTEM


@pytest.fixture
def event(db):
    return audit_record(actor=SYSTEM, action=GovernanceEvent.COVERAGE_RECOUNT, summary="原始摘要")


def test_an_audit_row_cannot_be_saved_again(event):
    event.summary = "改过的摘要"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).summary == "原始摘要"


def test_an_audit_row_cannot_be_deleted_through_the_orm(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_queryset_update_of_an_audit_row_is_refused(event):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="改过的摘要")
    assert AuditEvent.objects.get(pk=event.pk).summary == "原始摘要"


def test_the_database_refuses_a_raw_update_of_an_audit_row(event):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE governance_auditevent SET summary = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).summary == "原始摘要"


def test_the_database_refuses_a_raw_delete_of_an_audit_row(event):
    import core.appendonly

    core.appendonly.ALLOW_FLUSH = False  # as in production: only the test runner's flush may delete on SQLite
    try:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM governance_auditevent WHERE id = %s", [event.pk])
    finally:
        core.appendonly.ALLOW_FLUSH = True
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
def test_postgresql_refuses_to_truncate_the_audit_trail(event):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fire the insert's deferred checks first
        cursor.execute("SET LOCAL gongzhi.allow_truncate = 'off'")
        cursor.execute("TRUNCATE governance_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_an_audit_row_needs_a_registered_event_type(db):
    with pytest.raises(TypeError):
        audit_record(actor=SYSTEM, action="place.create")
    assert not AuditEvent.objects.exists()


def test_an_audit_row_needs_an_actor(db):
    with pytest.raises(TypeError):
        audit_record(actor=None, action=GovernanceEvent.COVERAGE_RECOUNT)
    assert not AuditEvent.objects.exists()


def test_the_system_is_recorded_as_the_system(event):
    assert event.by_system is True
    assert event.actor_id is None
