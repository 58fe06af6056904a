"""Pieces shared by the committees models: append-only records and money fields."""

from decimal import Decimal

from django.db import models

from core.appendonly import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet
from governance.scoping import ScopedQuerySetMixin

FEN = Decimal("0.01")

__all__ = ["FEN", "AppendOnlyError", "ScopedAppendOnlyModel", "money_field"]


class ScopedAppendOnlyQuerySet(ScopedQuerySetMixin, AppendOnlyQuerySet):
    """An append-only queryset that can also be restricted to a user's scope."""


class ScopedAppendOnlyModel(AppendOnlyModel):
    """A record of an estate's public money written once: ledger entries, legs, statements, approvals.

    The model guard is ``core.appendonly``'s; the database trigger is installed by the
    migration operation ``core.appendonly.append_only`` for each of these tables.
    """

    objects = ScopedAppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    """Yuan with fen, up to a thousand billion."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)
