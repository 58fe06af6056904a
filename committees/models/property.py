from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Organization, Place
from governance.models.trees import ScopedQuerySet


class PropertyCompany(models.Model):
    """A property-service company (物业服务企业) and its party branch in the organization tree.

    ``place`` is where the company is registered with the platform (a street or community);
    it is also visible wherever it holds a service contract.
    """

    name = models.CharField(_("名称"), max_length=200, unique=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    place = models.ForeignKey(
        Place, verbose_name=_("登记地"), on_delete=models.PROTECT, related_name="property_companies"
    )
    party_branch = models.ForeignKey(
        Organization,
        verbose_name=_("物业党支部"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="property_companies",
    )
    contact = models.CharField(_("联系人"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "place__"

    class Meta:
        verbose_name = _("物业服务企业")
        verbose_name_plural = _("物业服务企业")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceContract(models.Model):
    """The property-service contract between an estate and a company."""

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="service_contracts",
        limit_choices_to={"kind": "estate"},
    )
    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("物业企业"), on_delete=models.PROTECT, related_name="contracts"
    )
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    fee_per_m2_month = models.DecimalField(_("物业费（元/平方米·月）"), max_digits=8, decimal_places=2)
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("物业服务合同")
        verbose_name_plural = _("物业服务合同")
        ordering = ["estate_id", "-start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="contract_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.estate} · {self.company} {self.start}–{self.end}"


class PerformanceNote(models.Model):
    """A note on how the company served the estate (an inspection, a complaint, praise)."""

    contract = models.ForeignKey(
        ServiceContract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="performance_notes"
    )
    noted_on = models.DateField(_("日期"))
    rating = models.PositiveSmallIntegerField(_("评分（1–5）"), null=True, blank=True)
    text = models.TextField(_("内容"))
    author = models.ForeignKey(
        "governance.User", verbose_name=_("记录人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "contract__estate__"

    class Meta:
        verbose_name = _("履约评价")
        verbose_name_plural = _("履约评价")
        ordering = ["-noted_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="note_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]
