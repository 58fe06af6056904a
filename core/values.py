"""A list endpoint's page read with ``.values_list()`` into exactly the JSON its ModelSerializer gives.

Building a model instance per row and running a ``ModelSerializer`` over it cost the scoped units list
about half its time (issue 13). A viewset that mixes in ``ValuesListMixin`` answers ``list`` from plain
tuples instead. What each key holds is read from the view's own serializer class, once: its readable
fields in order, each field's column (its ``source`` as a lookup: ``building.name`` is
``building__name``; a primary-key related field reads the foreign key's id), and each field's own
``to_representation`` for values that need one (decimals as strings, choices); ``None`` stays
``None``, as DRF leaves it. A field that is not a column (a model property such as a unit's
``label``) is named in the serializer's ``values_computed``: the columns it needs and a function of
them. Fields this cannot read exactly (nested serializers, method fields, many-related fields, a
source through a nullable relation, which DRF would leave out) are refused when the view is first
used, so the fast path cannot answer differently from the serializer; tests compare the two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from rest_framework import serializers
from rest_framework.fields import (
    BigIntegerField,
    BooleanField,
    CharField,
    ChoiceField,
    DecimalField,
    IntegerField,
    ReadOnlyField,
)
from rest_framework.response import Response
from rest_framework.settings import api_settings

# Fields whose representation of a database value of the expected type is the value itself.
_IDENTITY = {IntegerField: int, CharField: str, BooleanField: bool}


@dataclass(frozen=True)
class _Key:
    name: str
    columns: tuple[int, ...]  # positions in the row tuple
    convert: Callable | None  # None: the value as read (a column of the expected type)
    computed: bool = False


class ValuesRepresentation:
    """Turn ``values_list(*columns)`` rows into the representations ``serializer_class`` would give."""

    def __init__(self, serializer_class: type[serializers.ModelSerializer]):
        self.serializer_class = serializer_class
        model = serializer_class.Meta.model
        computed = getattr(serializer_class, "values_computed", {})
        columns: list[str] = []

        def position(column: str) -> int:
            if column not in columns:
                columns.append(column)
            return columns.index(column)

        keys = []
        for field in serializer_class().fields.values():
            if field.write_only:
                continue
            name = field.field_name
            if name in computed:
                needed, function = computed[name]
                keys.append(_Key(name, tuple(position(c) for c in needed), function, computed=True))
                continue
            column, convert = self._column_of(model, field)
            keys.append(_Key(name, (position(column),), convert))
        self.columns = tuple(columns)
        self._keys = tuple(keys)

    @staticmethod
    def _column_of(model, field) -> tuple[str, Callable | None]:
        unreadable = (serializers.BaseSerializer, serializers.SerializerMethodField, serializers.ManyRelatedField)
        if isinstance(field, unreadable) or field.source == "*":
            raise ImproperlyConfigured(f"{field.field_name}: not a column; name it in values_computed")
        attrs = field.source_attrs
        current = model
        for i, attr in enumerate(attrs):
            try:
                model_field = current._meta.get_field(attr)
            except FieldDoesNotExist:
                message = f"{field.field_name}: {attr} is not a column of {current.__name__}"
                raise ImproperlyConfigured(message) from None
            last = i == len(attrs) - 1
            if not last:
                # DRF leaves the key out when a relation on the way is empty; a values row would say None.
                if not model_field.many_to_one or model_field.null:
                    raise ImproperlyConfigured(f"{field.field_name}: {attr} is not a required foreign key")
                current = model_field.related_model
            elif model_field.is_relation and not model_field.many_to_one:
                raise ImproperlyConfigured(f"{field.field_name}: {attr} is not a column")
        column = "__".join(attrs)
        if isinstance(field, serializers.RelatedField):
            # ``values_list`` gives a foreign key's id: what a primary-key field shows, nothing else.
            if not isinstance(field, serializers.PrimaryKeyRelatedField) or field.pk_field is not None:
                raise ImproperlyConfigured(f"{field.field_name}: only plain primary-key related fields are read")
            return column, None
        if type(field) is ReadOnlyField:
            return column, None  # DRF's read-only field shows the value as read
        return column, representation_shortcut(field) or field.to_representation

    def rows(self, rows: Iterable[tuple]) -> list[dict]:
        """The representations of ``rows`` (tuples of ``self.columns``), in order."""
        keys = self._keys
        result = []
        for row in rows:
            item = {}
            for key in keys:
                if key.computed:
                    item[key.name] = key.convert(*(row[i] for i in key.columns))
                    continue
                value = row[key.columns[0]]
                if value is None or key.convert is None:
                    item[key.name] = value
                else:
                    item[key.name] = key.convert(value)
            result.append(item)
        return result


def representation_shortcut(field) -> Callable | None:
    """A conversion that gives exactly what ``field.to_representation`` gives, in less time, or None.

    - an integer, a string or a boolean (``_IDENTITY``), and a big integer not shown as a string: a value
      of that type is its own representation;
    - a choice whose keys are all strings: ``choice_strings_to_values`` maps each key to itself, and a
      string that is no key is returned as it is, so a ``str`` is its own representation;
    - a decimal shown as a string with ``decimal_places`` places (not localized, not normalized): a
      ``Decimal`` that already has those places and no more digits than ``max_digits`` is unchanged by
      the field's ``quantize``, so its text is ``f"{value:f}"``; any other value (more or fewer places,
      more digits, not a ``Decimal``) takes the field's own conversion, with its errors.
    """
    kind = type(field)
    if kind in _IDENTITY:
        return _checked(_IDENTITY[kind], field.to_representation)
    if kind is BigIntegerField and not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING):
        return _checked(int, field.to_representation)
    if kind is ChoiceField and all(type(key) is str for key in field.choices):
        return _checked(str, field.to_representation)
    if kind is DecimalField and _plain_decimal_text(field):
        return _decimal_text(field.decimal_places, field.max_digits, field.to_representation)
    return None


def _plain_decimal_text(field) -> bool:
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    return bool(coerce and not field.localize and not field.normalize_output and field.decimal_places)


def _decimal_text(places: int, max_digits: int | None, fallback: Callable) -> Callable:
    # The characters of the text that are not digits: the point, and a sign.
    most = None if max_digits is None else max_digits + 1

    def convert(value):
        if type(value) is Decimal:
            text = f"{value:f}"
            point = text.find(".")
            if (
                point >= 0
                and len(text) - point - 1 == places
                and (most is None or len(text) - (text[0] == "-") <= most)
            ):
                return text
        return fallback(value)

    return convert


def _checked(expected: type, fallback: Callable) -> Callable:
    """The value itself when it already has the representation's type, else the field's own conversion."""

    def convert(value):
        return value if type(value) is expected else fallback(value)

    return convert


@cache
def values_representation(serializer_class) -> ValuesRepresentation:
    return ValuesRepresentation(serializer_class)


class ValuesListMixin:
    """Answer ``list`` from ``.values_list()`` rows with the serializer's own JSON (see the module)."""

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        reader = values_representation(self.get_serializer_class())
        paginator = self.paginator
        if paginator is None:
            return Response(reader.rows(queryset.values_list(*reader.columns)))
        if hasattr(paginator, "paginate_rows"):
            rows = paginator.paginate_rows(queryset, reader.columns, request, view=self)
        else:
            rows = paginator.paginate_queryset(queryset.values_list(*reader.columns), request, view=self)
        if rows is None:
            return Response(reader.rows(queryset.values_list(*reader.columns)))
        return paginator.get_paginated_response(reader.rows(rows))
