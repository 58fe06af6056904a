"""Spending of public revenue and its approvals (docs/domain.md §6, §7)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Place
from governance.models.trees import ScopedQuerySet
from governance.rules import rule

from .base import ScopedAppendOnlyModel, money_field
from .ledger import Account, LedgerTransaction
from .meetings import Decision


class Stage(models.TextChoices):
    COMMITTEE = "committee", _("业委会决定")
    SUPERVISION = "supervision", _("事务监督组签字")
    DISCIPLINE = "discipline", _("街道纪工委提前介入")


STAGE_ORDER = (Stage.COMMITTEE, Stage.SUPERVISION, Stage.DISCIPLINE)


class SpendingStatus(models.TextChoices):
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已审批")
    PAID = "paid", _("已支付")


# The approval thresholds, lowest first: above each, its stage is needed too.
STAGE_THRESHOLDS = (
    (Stage.SUPERVISION, "SPENDING_SUPERVISION_THRESHOLD"),
    (Stage.DISCIPLINE, "SPENDING_DISCIPLINE_THRESHOLD"),
)


class SpendingRequest(models.Model):
    """A request to spend public revenue; it is paid (posted to the ledger) only once approved."""

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="spending_requests",
        limit_choices_to={"kind": "estate"},
    )
    payee = models.CharField(_("收款方"), max_length=200)
    purpose = models.ForeignKey(
        Account, verbose_name=_("用途（支出科目）"), on_delete=models.PROTECT, related_name="spending_requests"
    )
    description = models.TextField(_("说明"), blank=True)
    amount = money_field(_("金额（元）"))
    requested_on = models.DateField(_("申请日期"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=16, choices=SpendingStatus.choices, default=SpendingStatus.PENDING)
    # Split-purchase detection: several requests just under a threshold that add up over it.
    split_flagged = models.BooleanField(_("疑似拆分采购"), default=False)
    split_reason = models.TextField(_("拆分说明"), blank=True)
    split_total = money_field(_("合并金额（元）"), null=True, blank=True)
    payment = models.OneToOneField(
        LedgerTransaction,
        verbose_name=_("支付凭证"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spending_request",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("支出申请")
        verbose_name_plural = _("支出申请")
        ordering = ["estate_id", "-requested_on", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="spending_amount_positive")]
        indexes = [models.Index(fields=["estate", "payee", "purpose", "requested_on"])]

    def __str__(self) -> str:
        return f"{self.payee} ¥{self.amount}"

    @property
    def approval_basis(self) -> Decimal:
        """The amount the approval thresholds apply to: a flagged split counts as the whole purchase."""
        return max(self.amount, self.split_total or Decimal("0"))

    def required_stages(self, rules=rule) -> list[str]:
        """The approvals this request needs, in order (``rules``: ``governance.rules.rule`` or a memo of it)."""
        basis = self.approval_basis
        stages = [Stage.COMMITTEE]
        for stage, key in STAGE_THRESHOLDS:
            if basis > rules(key, self.estate):
                stages.append(stage)
        return stages


class SpendingApproval(ScopedAppendOnlyModel):
    """One approval of a spending request: who, when, and what they saw."""

    request = models.ForeignKey(
        SpendingRequest, verbose_name=_("支出申请"), on_delete=models.PROTECT, related_name="approvals"
    )
    stage = models.CharField(_("环节"), max_length=16, choices=Stage.choices)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("审批时间"))
    seen = models.TextField(_("审阅材料"), help_text=_("审批人看到的材料：说明、文件编号等。"))
    decision = models.ForeignKey(
        Decision,
        verbose_name=_("会议决定"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spending_approvals",
    )
    resolution_vote = models.ForeignKey(
        "elections.Vote",
        verbose_name=_("业主大会表决"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spending_approvals",
        limit_choices_to={"kind": "resolution"},
    )

    scope_path = "request__estate__"

    class Meta:
        verbose_name = _("支出审批")
        verbose_name_plural = _("支出审批")
        ordering = ["request_id", "approved_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["request", "stage"], name="spending_one_approval_per_stage")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} · {self.approver}"
