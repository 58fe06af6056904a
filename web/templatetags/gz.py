"""Filters every page uses: money with thousands separators, counts, shares, chart data."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def money(value) -> str:
    """``1234567.5`` → ``1,234,567.50`` (yuan with fen); empty stays a dash."""
    number = _decimal(value)
    return "—" if number is None else f"{number.quantize(Decimal('0.01')):,}"


@register.filter
def num(value) -> str:
    """A count or an area with thousands separators: ``12345`` → ``12,345``, ``1234.5`` → ``1,234.50``."""
    number = _decimal(value)
    if number is None:
        return "—"
    if number == number.to_integral_value() and "." not in str(value):
        return f"{int(number):,}"
    return f"{number.quantize(Decimal('0.01')):,}"


@register.filter
def chart(option) -> str:
    """An ECharts option as the JSON a ``data-chart`` attribute carries (Django escapes it as an attribute)."""
    return json.dumps(option, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


@register.filter
def get(mapping, key):
    """``mapping[key]`` in a template (``None`` when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.inclusion_tag("web/_field.html")
def field(bound_field, hint: str = ""):
    """A form field with its label, hint and errors tied together for screen readers."""
    return {"f": bound_field, "hint": hint}


@register.filter
def who(user) -> str:
    """A user as people know them: the person's name, else the login (data: not translated); a dash for nobody."""
    if user is None or not getattr(user, "pk", None):
        return "—"
    person = getattr(user, "person", None)
    return format_html('<span translate="no">{}</span>', person.name if person is not None else user.username)
