"""How many members an owners' committee may have (docs/domain.md §5.4): the one rule elections and committees share.

A committee has 5 to 11 members, an odd number. A district may allow 3 for estates of at
most 100 households (``COMMITTEE_SMALL_ESTATE_THREE`` and ``COMMITTEE_SMALL_ESTATE_HOUSEHOLDS``).
The number of households is the number of residential units on the estate's register.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from governance.models import Place
from governance.rules import rule
from residents.models import PropertyUnit, UnitUse


def committee_size_bounds(estate: Place) -> tuple[int, int]:
    """The smallest and largest lawful committee of ``estate`` (both odd)."""
    low, high = rule("COMMITTEE_SEATS_MIN", estate), rule("COMMITTEE_SEATS_MAX", estate)
    if rule("COMMITTEE_SMALL_ESTATE_THREE", estate):
        households = PropertyUnit.objects.filter(estate=estate, use=UnitUse.RESIDENTIAL).count()
        if households <= rule("COMMITTEE_SMALL_ESTATE_HOUSEHOLDS", estate):
            low = 3
    return low, high


def committee_size_refusal(members: int, estate: Place) -> str | None:
    """Say why a committee of ``members`` cannot serve ``estate``, or return None if it can."""
    low, high = committee_size_bounds(estate)
    if members % 2 == 0 or not low <= members <= high:
        return _("业主委员会应由 %(low)s 至 %(high)s 名委员组成，且为单数；本次为 %(n)s 名。") % {
            "low": low,
            "high": high,
            "n": members,
        }
    return None
