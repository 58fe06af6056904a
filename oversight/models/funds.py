"""Community service funds sent down to estates (下拨), posted on the estate's public-revenue ledger."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Place
from governance.models.trees import ScopedQuerySet

from .base import money_field


class FundAllocation(models.Model):
    """Part of a community's public-service funds allocated to one of its estates for a purpose.

    The money is posted on the estate's public-revenue ledger as its own income account, so
    that the statements show it apart and its use goes through the same spending approvals.
    """

    community = models.ForeignKey(
        Place,
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="fund_allocations_made",
        limit_choices_to={"kind": "community"},
    )
    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="fund_allocations",
        limit_choices_to={"kind": "estate"},
    )
    amount = money_field(_("金额（元）"))
    purpose = models.CharField(_("用途"), max_length=300)
    allocated_on = models.DateField(_("下拨日期"))
    posting = models.OneToOneField(
        "committees.LedgerTransaction",
        verbose_name=_("入账凭证"),
        on_delete=models.PROTECT,
        related_name="fund_allocation",
    )
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("社区下拨资金")
        verbose_name_plural = _("社区下拨资金")
        ordering = ["-allocated_on", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="fund_allocation_positive")]

    def __str__(self) -> str:
        return f"{self.community} → {self.estate} ¥{self.amount}"
