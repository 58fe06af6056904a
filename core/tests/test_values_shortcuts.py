"""``core.values.representation_shortcut``: the quick conversions give exactly what DRF's fields give.

Each test compares the shortcut with the field's own ``to_representation`` on the values that could
tell them apart; where the two cannot agree, there must be no shortcut at all.
"""

from decimal import Decimal, InvalidOperation

import pytest
from rest_framework import serializers

from core.values import representation_shortcut

AREA = serializers.DecimalField(max_digits=10, decimal_places=2)


@pytest.mark.parametrize(
    "value",
    [Decimal("88.50"), Decimal("0.01"), Decimal("0.00"), Decimal("-3.10"), Decimal("12345678.90"), Decimal("7.5")],
)
def test_a_decimal_reads_as_the_fields_own_text(value):
    assert representation_shortcut(AREA)(value) == AREA.to_representation(value)


@pytest.mark.parametrize("value", [Decimal("1.005"), Decimal("1.015"), Decimal("2"), 3.25, "4.1"])
def test_a_decimal_without_the_fields_places_is_rounded_or_padded_by_the_field(value):
    assert representation_shortcut(AREA)(value) == AREA.to_representation(value)


def test_a_decimal_with_more_digits_than_the_field_allows_fails_as_the_field_fails():
    with pytest.raises(InvalidOperation):
        AREA.to_representation(Decimal("123456789.00"))
    with pytest.raises(InvalidOperation):
        representation_shortcut(AREA)(Decimal("123456789.00"))


def test_a_localized_or_numeric_decimal_has_no_shortcut():
    assert representation_shortcut(serializers.DecimalField(max_digits=10, decimal_places=2, localize=True)) is None
    numeric = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=False)
    assert representation_shortcut(numeric) is None


def test_a_string_choice_reads_as_itself_whether_or_not_it_is_a_key():
    use = serializers.ChoiceField(choices=[("residential", "住宅"), ("parking", "车位")])
    for value in ("residential", "garden"):
        assert representation_shortcut(use)(value) == use.to_representation(value) == value


def test_a_choice_with_keys_that_are_not_strings_has_no_shortcut():
    assert representation_shortcut(serializers.ChoiceField(choices=[(1, "一"), (2, "二")])) is None


def test_a_big_integer_shown_as_a_string_has_no_shortcut():
    assert representation_shortcut(serializers.BigIntegerField(coerce_to_string=True)) is None
    plain = serializers.BigIntegerField()
    assert representation_shortcut(plain)(2**40) == plain.to_representation(2**40) == 2**40


@pytest.mark.parametrize(
    "field, value",
    [(serializers.IntegerField(), 7), (serializers.CharField(), "1栋"), (serializers.BooleanField(), False)],
)
def test_an_integer_a_string_and_a_boolean_read_as_themselves(field, value):
    assert representation_shortcut(field)(value) == field.to_representation(value) == value
