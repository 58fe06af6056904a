"""The public-revenue ledger (公共收益): double entry, append-only, chained by hash."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Place
from governance.models.trees import ScopedQuerySet

from .base import ScopedAppendOnlyModel, money_field


class AccountKind(models.TextChoices):
    # An asset account holds money (bank, cash, a fund): it never goes negative.
    ASSET = "asset", _("资产")
    EQUITY = "equity", _("净资产")
    INCOME = "income", _("收入")
    EXPENSE = "expense", _("支出")


class Account(models.Model):
    """An account of an estate's public-revenue ledger.

    Income accounts are the sources (advertising, parking, rental, other); expense accounts
    are the purposes (reasonable costs, spending approved by the owners).
    """

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
        limit_choices_to={"kind": "estate"},
    )
    code = models.CharField(_("科目代码"), max_length=16)
    name = models.CharField(_("科目名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=AccountKind.choices)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("会计科目")
        verbose_name_plural = _("会计科目")
        ordering = ["estate_id", "code"]
        constraints = [models.UniqueConstraint(fields=["estate", "code"], name="account_unique_code_per_estate")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self) -> bool:
        return self.kind in (AccountKind.ASSET, AccountKind.EXPENSE)

    @property
    def holds_money(self) -> bool:
        """Money is kept here (bank, cash, a fund): its balance may never go below zero."""
        return self.kind == AccountKind.ASSET


class LedgerTransaction(ScopedAppendOnlyModel):
    """One balanced entry of an estate's ledger. Never changed: a correction reverses it.

    ``hash`` covers the entry's content, its legs, its voucher's digest and the previous
    entry's hash (``committees.chain``), so that changing any recorded entry breaks the chain
    from there on; re-hashing the chain after a change is caught by the published statements,
    each of which froze the hash of the last entry it covers.
    """

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="ledger_transactions",
        limit_choices_to={"kind": "estate"},
    )
    sequence = models.PositiveIntegerField(_("序号"))
    date = models.DateField(_("记账日期"))
    memo = models.CharField(_("摘要"), max_length=300)
    voucher = models.FileField(_("凭证"), upload_to="ledger/vouchers/%Y/%m/", blank=True)
    voucher_sha256 = models.CharField(_("凭证摘要"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记账人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记账时间"))
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("冲销的分录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    reason = models.CharField(_("冲销原因"), max_length=300, blank=True)
    previous_hash = models.CharField(_("上一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)

    scope_path = "estate__"

    class Meta:
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        ordering = ["estate_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "sequence"], name="ledger_sequence_unique_per_estate"),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True) | ~models.Q(reason=""), name="ledger_reversal_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.date} {self.memo}"


class LedgerLeg(ScopedAppendOnlyModel):
    """One side of a transaction: a debit or a credit on one account, in yuan with fen."""

    transaction = models.ForeignKey(
        LedgerTransaction, verbose_name=_("凭证"), on_delete=models.PROTECT, related_name="legs"
    )
    account = models.ForeignKey(Account, verbose_name=_("科目"), on_delete=models.PROTECT, related_name="legs")
    debit = money_field(_("借方"), default=0)
    credit = money_field(_("贷方"), default=0)

    scope_path = "transaction__estate__"

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        ordering = ["transaction_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0) & models.Q(credit=0)) | (models.Q(debit=0) & models.Q(credit__gt=0)),
                name="ledger_leg_one_positive_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} D{self.debit} C{self.credit}"


class Statement(ScopedAppendOnlyModel):
    """A published statement of an estate's public revenue for a period, frozen at publication.

    ``figures`` holds every number shown to the owners (balances and totals); ``figures_hash``
    proves they have not changed since. ``chain_head`` is the hash of the last ledger entry the
    statement covers (entry ``last_sequence``): the ledger must still lead to it. A later
    correction appears in a later period's statement.
    """

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="ledger_statements",
        limit_choices_to={"kind": "estate"},
    )
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"))
    figures = models.JSONField(_("数据"))
    figures_hash = models.CharField(_("数据哈希"), max_length=64)
    last_sequence = models.PositiveIntegerField(_("截至凭证序号"), default=0)
    chain_head = models.CharField(_("截至凭证哈希"), max_length=64, blank=True)
    published_at = models.DateTimeField(_("公开时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("公开人"), on_delete=models.PROTECT, null=True, related_name="+"
    )

    scope_path = "estate__"

    class Meta:
        verbose_name = _("收支公开报表")
        verbose_name_plural = _("收支公开报表")
        ordering = ["estate_id", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "period_start", "period_end"], name="statement_unique_period"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="statement_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.estate} {self.period_start}–{self.period_end}"
