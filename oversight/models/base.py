"""Shared bases of the oversight models."""

from django.db import models

from core.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from governance.scoping import ScopedQuerySetMixin


class ScopedAppendOnlyQuerySet(ScopedQuerySetMixin, AppendOnlyQuerySet):
    """An append-only queryset that can also be restricted to a user's scope."""


__all__ = ["AppendOnlyModel", "ScopedAppendOnlyQuerySet"]


def money_field(verbose_name, **kwargs):
    """A money column in yuan with fen."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)
