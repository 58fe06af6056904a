"""Pieces shared by the committees models: append-only records and money fields."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models.trees import ScopedQuerySet

FEN = Decimal("0.01")


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an append-only record."""


class AppendOnlyQuerySet(ScopedQuerySet):
    """A queryset with no bulk update or delete: corrections are new records."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only; post a correcting record instead.")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only; post a correcting record instead.")

    update.queryset_only = True
    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    """A row that is written once and never changed or deleted."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only; post a correcting record instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only; post a correcting record instead.")


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    """Yuan with fen, up to a thousand billion."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


class Matter(models.TextChoices):
    """The matters owners decide together (Civil Code Art. 278)."""

    RULES_OF_PROCEDURE = "rules_of_procedure", _("制定和修改业主大会议事规则")
    COVENANT = "covenant", _("制定和修改管理规约")
    COMMITTEE = "committee", _("选举业主委员会或者更换业主委员会成员")
    MANAGER = "manager", _("选聘和解聘物业服务企业或者其他管理人")
    USE_FUND = "use_fund", _("使用建筑物及其附属设施的维修资金")
    RAISE_FUND = "raise_fund", _("筹集建筑物及其附属设施的维修资金")
    REBUILD = "rebuild", _("改建、重建建筑物及其附属设施")
    COMMON_PARTS = "common_parts", _("改变共有部分的用途或者利用共有部分从事经营活动")
    OTHER_MAJOR = "other_major", _("有关共有和共同管理权利的其他重大事项")
    ROUTINE = "routine", _("日常事务")
