"""core.bulk: ids reserved from a table's sequence, rows copied in with the ORM's defaults."""

import pytest

from core.bulk import copy_rows, reserve_ids
from governance.models import Person, Place

pytestmark = pytest.mark.postgres


@pytest.mark.django_db
def test_reserved_ids_are_fresh_and_rows_copied_with_them_take_the_orms_defaults(world):
    before = Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ids = reserve_ids(Person, 3)
    assert len(set(ids)) == 3 and min(ids) > before and ids == sorted(ids)
    place = Place.objects.get(pk=world["estate_a"].pk)
    assert copy_rows(Person, ["id", "name", "place_id"], [(pk, f"甲{pk}", place.pk) for pk in ids]) == 3
    people = list(Person.objects.filter(pk__in=ids).order_by("pk"))
    assert [p.name for p in people] == [f"甲{pk}" for pk in ids]
    assert all(p.created_at and p.id_number == "" and p.birth_date is None for p in people)
    assert Person.objects.create(name="乙").pk > max(ids)  # the sequence moved past them
    assert reserve_ids(Person, 0) == []


@pytest.mark.django_db
def test_the_next_id_in_a_statement_comes_from_the_sequence_reserve_ids_takes_from(world):
    from django.db import connection

    from core.bulk import next_id_sql

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {next_id_sql(Person)}")
        (taken,) = cursor.fetchone()
    reserved = reserve_ids(Person, 2)
    assert min(reserved) > taken
    assert Person.objects.create(name="丙").pk > max(reserved)
