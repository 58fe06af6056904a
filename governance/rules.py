"""The configurable rules of the domain, read one way everywhere: ``rule(key, place)``.

Defaults come from ``settings.GONGZHI`` (the deployment's choice); a district may set its
own value for a rule (``DistrictRule``), which applies to every place in its tree. A rule
that the law bounds cannot be set past the law (``LAW_BOUNDS``): a district may lengthen a
notice period, never shorten it below the statutory minimum.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from governance.models import DistrictRule, Place

# (lowest, highest) the law allows, for the rules it bounds; ``None`` leaves a side open.
LAW_BOUNDS: dict[str, tuple[Any, Any]] = {
    # docs/domain.md §5.2: assembly materials are posted at least 15 days before the vote.
    "VOTE_NOTICE_DAYS": (15, None),
    "VOTE_OBJECTION_DAYS": (1, None),
    # docs/domain.md §5.4: 5 to 11 members; 3 only where a district allows it for small estates.
    "COMMITTEE_SEATS_MIN": (5, 11),
    "COMMITTEE_SEATS_MAX": (5, 11),
    # docs/domain.md §5.6: a term is at most five years; filing within 30 days.
    "COMMITTEE_TERM_YEARS": (1, 5),
    "COMMITTEE_FILING_DAYS": (1, 30),
}


def _defaults() -> dict[str, Any]:
    return settings.GONGZHI


def rule(key: str, place: Place | None = None) -> Any:
    """Return the value of rule ``key`` where ``place`` is (its district's own value, else the default)."""
    return rules([key], place)[key]


def rules(keys: list[str], place: Place | None = None) -> dict[str, Any]:
    """The values of the rules ``keys`` where ``place`` is, as ``rule`` gives each, in one query."""
    defaults = _defaults()
    unknown = [key for key in keys if key not in defaults]
    if unknown:
        raise KeyError(f"Unknown rule {unknown[0]!r}: add its default to settings.GONGZHI")
    values = {key: defaults[key] for key in keys}
    if place is not None:
        overrides = DistrictRule.objects.filter(district__tree_id=place.tree_id, district__level=0, key__in=keys)
        values.update((key, value) for key, value in overrides.values_list("key", "value") if value is not None)
    return {key: _typed(defaults[key], value) for key, value in values.items()}


def _typed(default: Any, value: Any) -> Any:
    if isinstance(default, str) and _is_decimal(default):
        return Decimal(str(value))
    if isinstance(default, tuple) and isinstance(value, list):
        return tuple(value)
    return value


def _is_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def rule_refusal(key: str, value: Any) -> str | None:
    """Say why ``value`` cannot be a district's value of ``key``, or return None."""
    if key not in _defaults():
        return _("未知规则“%(key)s”。") % {"key": key}
    default = _defaults()[key]
    if isinstance(default, bool) != isinstance(value, bool):
        return _("规则“%(key)s”的取值类型不对。") % {"key": key}
    low, high = LAW_BOUNDS.get(key, (None, None))
    if (low is not None and value < low) or (high is not None and value > high):
        return _("规则“%(key)s”的取值须在法定范围 %(low)s 至 %(high)s 之内。") % {
            "key": key,
            "low": low if low is not None else "—",
            "high": high if high is not None else "—",
        }
    return None
