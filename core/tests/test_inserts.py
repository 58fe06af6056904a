"""``core.inserts.insert_together``: several rows and a closing statement in one round trip, or none of them."""

import datetime
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.inserts import insert_select, insert_together
from governance.models import AuditEvent, Place

pytestmark = pytest.mark.django_db


def _event(n: int) -> AuditEvent:
    return AuditEvent(action="test.insert", object_id=str(n), summary=f"第{n}行", data={"n": n, "text": "业主"})


def test_the_rows_and_the_closing_statement_are_written(world):
    place = world["estate_a"]
    insert_together(
        [_event(1), _event(2)],
        then=("UPDATE governance_place SET name = %s WHERE id = %s", ["改名小区", place.pk]),
    )
    rows = list(AuditEvent.objects.filter(action="test.insert").order_by("object_id").values_list("object_id", "data"))
    assert rows == [("1", {"n": 1, "text": "业主"}), ("2", {"n": 2, "text": "业主"})]
    assert Place.objects.get(pk=place.pk).name == "改名小区"


@pytest.mark.postgres
def test_on_postgresql_it_is_one_statement(world):
    with CaptureQueriesContext(connection) as queries:
        insert_together([_event(1), _event(2), _event(3)], then=("SELECT 1", []))
    assert len(queries.captured_queries) == 1
    assert AuditEvent.objects.filter(action="test.insert").count() == 3


def test_a_row_that_breaks_a_constraint_leaves_none_written(world):
    taken = AuditEvent.objects.create(action="test.taken")
    second = _event(2)
    second.pk = taken.pk  # the primary key of an existing row
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together([_event(1), second])
    assert not AuditEvent.objects.filter(action="test.insert").exists()


def test_each_call_writes_its_own_values_through_the_kept_statement_text(world):
    moments = [datetime.datetime(2026, 12, 1, 8, n, tzinfo=datetime.UTC) for n in range(3)]
    for n, moment in enumerate(moments):
        with mock.patch("django.utils.timezone.now", return_value=moment):
            insert_together([_event(n)])
    stored = {
        object_id: (summary, created_at)
        for object_id, summary, created_at in AuditEvent.objects.filter(action="test.insert").values_list(
            "object_id", "summary", "created_at"
        )
    }
    # Every value, auto_now_add's included, is the call's own, not the first call's.
    assert stored == {str(n): (f"第{n}行", moment) for n, moment in enumerate(moments)}


@pytest.mark.postgres
def test_insert_select_writes_one_row_per_source_row_with_the_given_columns_from_it(world):
    sql, params = insert_select(_event(1), "src", {"object_id": "src.n::text", "data": "{value}::jsonb || src.extra"})
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH src AS (SELECT n, jsonb_build_object('n', n) AS extra FROM generate_series(7, 8) AS n), "
            f"w AS ({sql}) SELECT 1",
            params,
        )
    rows = list(AuditEvent.objects.filter(action="test.insert").order_by("object_id").values_list("object_id", "data"))
    assert rows == [("7", {"n": 7, "text": "业主"}), ("8", {"n": 8, "text": "业主"})]


@pytest.mark.postgres
def test_insert_select_from_an_empty_source_writes_nothing(world):
    sql, params = insert_select(_event(1), "src")
    with connection.cursor() as cursor:
        cursor.execute(f"WITH src AS (SELECT 1 WHERE false), w AS ({sql}) SELECT 1", params)
    assert not AuditEvent.objects.filter(action="test.insert").exists()
