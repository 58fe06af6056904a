"""Helpers the committees services share."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from governance.models import Place, PlaceKind


def require_estate(place: Place) -> None:
    """Refuse a place that is not an estate (a committee, a ledger, a meeting belongs to an estate)."""
    if place.kind != PlaceKind.ESTATE:
        raise ApplicationError(_("“%(name)s”不是小区。") % {"name": place.name}, code="not_an_estate")


def send_on_commit(signal, **kwargs) -> None:
    """Send ``signal`` once the current transaction commits (never for a write that rolled back)."""
    transaction.on_commit(lambda: signal.send(sender=None, **kwargs))


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
