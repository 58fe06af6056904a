"""core.bulk.copy_lines: rows written as COPY text lines, values escaped by copy_text (the roll freeze's path)."""

import datetime
from decimal import Decimal

import pytest

from core.bulk import copy_lines, copy_text, reserve_ids
from governance.models import Person, Place


def test_copy_text_escapes_what_copy_would_read_as_a_separator_or_a_null():
    assert copy_text("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert copy_text(None) == "\\N"
    assert (copy_text(True), copy_text(False)) == ("t", "f")
    assert (copy_text(12), copy_text(Decimal("85.50"))) == ("12", "85.50")
    assert copy_text(datetime.date(2026, 3, 1)) == "2026-03-01"
    assert copy_text(datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)) == "2026-03-01T08:00:00+00:00"


def test_copy_text_refuses_a_naive_datetime_and_an_unknown_type():
    with pytest.raises(ValueError, match="naive"):
        copy_text(datetime.datetime(2026, 3, 1, 8, 0))
    with pytest.raises(TypeError):
        copy_text(1.5)


@pytest.mark.postgres
@pytest.mark.django_db
def test_lines_copied_in_keep_their_text_exactly_and_take_the_orms_defaults(world):
    place = Place.objects.get(pk=world["estate_a"].pk)
    names = ["甲\t乙", "丙\n丁", "back\\slash", "\\N", "plain"]
    ids = reserve_ids(Person, len(names))
    lines = (f"{pk}\t{copy_text(name)}\t{place.pk}" for pk, name in zip(ids, names, strict=True))
    assert copy_lines(Person, ["id", "name", "place_id"], lines, chunk=2) == len(names)
    people = list(Person.objects.filter(pk__in=ids).order_by("pk"))
    assert [p.name for p in people] == names
    assert all(p.created_at and p.id_number == "" and p.birth_date is None for p in people)
