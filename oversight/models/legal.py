"""Legal oversight: each estate's public-revenue management rules, and audits of estates with large revenue."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Place
from governance.models.trees import ScopedQuerySet


class RevenueRules(models.Model):
    """An estate's public-revenue management rules (公共收益管理办法) as adopted by the owners.

    The latest adopted document is in force; the adopting decision is a committee or assembly
    meeting's decision, or a resolution vote of the owners.
    """

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="revenue_rules",
        limit_choices_to={"kind": "estate"},
    )
    title = models.CharField(_("名称"), max_length=200)
    document = models.FileField(_("文件"), upload_to="oversight/rules/%Y/")
    adopted_on = models.DateField(_("通过日期"))
    decision = models.ForeignKey(
        "committees.Decision",
        verbose_name=_("通过该办法的会议决定"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    vote = models.ForeignKey(
        "elections.Vote",
        verbose_name=_("通过该办法的业主大会表决"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("公共收益管理办法")
        verbose_name_plural = _("公共收益管理办法")
        ordering = ["estate_id", "-adopted_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__isnull=True, vote__isnull=False)
                | models.Q(decision__isnull=False, vote__isnull=True),
                name="revenue_rules_one_adopting_act",
            )
        ]

    def __str__(self) -> str:
        return f"{self.estate} · {self.title}"


class AuditState(models.TextChoices):
    PLANNED = "planned", _("已计划")
    REPORTED = "reported", _("已出具报告")
    CLOSED = "closed", _("已整改销号")


class Audit(models.Model):
    """An audit of an estate's public revenue for a period: plan, auditor, findings, follow-up, closing."""

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="audits",
        limit_choices_to={"kind": "estate"},
    )
    period_start = models.DateField(_("审计期间开始"))
    period_end = models.DateField(_("审计期间结束"))
    auditor = models.CharField(_("审计机构"), max_length=200)
    plan = models.TextField(_("审计计划"))
    planned_on = models.DateField(_("计划日期"))
    state = models.CharField(_("状态"), max_length=16, choices=AuditState.choices, default=AuditState.PLANNED)
    reported_on = models.DateField(_("报告日期"), null=True, blank=True)
    findings = models.TextField(_("审计发现"), blank=True)
    report = models.FileField(_("审计报告"), upload_to="oversight/audits/%Y/", blank=True)
    published_at = models.DateTimeField(_("向业主公示时间"), null=True, blank=True)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    closing_note = models.TextField(_("销号说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("审计")
        verbose_name_plural = _("审计")
        ordering = ["estate_id", "-period_start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="audit_period_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.estate} {self.period_start}–{self.period_end}"


class AuditAction(models.Model):
    """A follow-up action an audit calls for: what, who owns it, by when; done with evidence."""

    audit = models.ForeignKey(Audit, verbose_name=_("审计"), on_delete=models.PROTECT, related_name="actions")
    description = models.TextField(_("整改事项"))
    owner = models.CharField(_("责任人"), max_length=100)
    due_on = models.DateField(_("整改期限"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    evidence = models.TextField(_("完成情况"), blank=True)
    evidence_file = models.FileField(_("佐证材料"), upload_to="oversight/audits/actions/%Y/", blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "audit__estate__"

    class Meta:
        verbose_name = _("审计整改事项")
        verbose_name_plural = _("审计整改事项")
        ordering = ["audit_id", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done_on__isnull=True) | ~models.Q(evidence=""),
                name="audit_action_done_with_evidence",
            )
        ]

    def __str__(self) -> str:
        return self.description[:60]
