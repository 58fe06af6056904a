"""The four musts (四必) of the community party organization over each estate, as obligations with evidence.

An obligation is raised by the event that calls for it (a meeting, a major decision, a major
project, an ended spot-check period), never by hand; it is met by evidence, waived with a
reason by an authorised person, or marked overdue by the sweep once its due date has passed.
Each has a unique ``key`` naming the event that raised it, so that raising twice creates it
once.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Organization, Person, Place
from governance.models.trees import ScopedQuerySet

from .base import AppendOnlyModel, ScopedAppendOnlyQuerySet


class ObligationKind(models.TextChoices):
    ATTEND = "attend", _("必列席")
    PARTICIPATE = "participate", _("必参与")
    SUPERVISE = "supervise", _("必监督")
    SPOT_CHECK = "spot_check", _("必抽查")


class ObligationState(models.TextChoices):
    OPEN = "open", _("待履行")
    MET = "met", _("已履行")
    OVERDUE = "overdue", _("已逾期")
    WAIVED = "waived", _("已豁免")


class SupervisionStage(models.TextChoices):
    START = "start", _("开工")
    PROGRESS = "progress", _("实施中")
    ACCEPTANCE = "acceptance", _("验收")


class ObligationQuerySet(ScopedQuerySet):
    def met_on_time(self):
        return self.filter(state=ObligationState.MET, met_on__lte=models.F("due_on"))


class Obligation(models.Model):
    """One duty of the community party organization over an estate, due on a date."""

    key = models.CharField(_("来源标识"), max_length=120, unique=True, help_text=_("引发该义务的事件，防止重复生成。"))
    kind = models.CharField(_("类型"), max_length=16, choices=ObligationKind.choices)
    state = models.CharField(_("状态"), max_length=16, choices=ObligationState.choices, default=ObligationState.OPEN)
    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="obligations",
        limit_choices_to={"kind": "estate"},
    )
    title = models.CharField(_("事项"), max_length=300)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("责任党组织"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
    )
    responsible = models.ForeignKey(
        Person, verbose_name=_("责任人"), on_delete=models.PROTECT, null=True, blank=True, related_name="obligations"
    )
    due_on = models.DateField(_("期限"), db_index=True)
    # What raised it: one of these, by kind.
    meeting = models.ForeignKey(
        "committees.Meeting",
        verbose_name=_("会议"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
    )
    decision = models.ForeignKey(
        "committees.Decision",
        verbose_name=_("会议决定"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
    )
    vote = models.ForeignKey(
        "elections.Vote",
        verbose_name=_("业主大会表决"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
    )
    spending_request = models.ForeignKey(
        "committees.SpendingRequest",
        verbose_name=_("支出申请"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
    )
    project = models.ForeignKey(
        "committees.Project",
        verbose_name=_("项目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
    )
    stage = models.CharField(_("监督阶段"), max_length=16, choices=SupervisionStage.choices, blank=True)
    period_start = models.DateField(_("抽查期间开始"), null=True, blank=True)
    period_end = models.DateField(_("抽查期间结束"), null=True, blank=True)
    # Set when evidence meets it: the day of the act the evidence records, and when it was recorded.
    met_on = models.DateField(_("履行日期"), null=True, blank=True)
    met_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    overdue_since = models.DateField(_("逾期日期"), null=True, blank=True)
    waived_reason = models.TextField(_("豁免理由"), blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("豁免人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    waived_at = models.DateTimeField(_("豁免时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    objects = ObligationQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("四必义务")
        verbose_name_plural = _("四必义务")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["state", "due_on"]),
            models.Index(fields=["estate", "due_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="waived") | ~models.Q(waived_reason=""), name="obligation_waiver_has_reason"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="met") | models.Q(met_on__isnull=False), name="obligation_met_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.title}"

    @property
    def met_on_time(self) -> bool:
        return self.state == ObligationState.MET and self.met_on is not None and self.met_on <= self.due_on


class EvidenceSource(models.TextChoices):
    OVERSIGHT = "oversight", _("监督记录")
    MEETING = "meeting", _("会议出席记录")
    DECISION = "decision", _("会议决定记录")


class Evidence(AppendOnlyModel):
    """What meets an obligation: an attendance, participation, supervision or spot-check record. Append-only.

    ``done_on`` is the day of the act recorded (the meeting attended, the opinion given, the
    site visited, the check made); ``recorded_at`` is when it was entered.
    """

    obligation = models.ForeignKey(
        Obligation, verbose_name=_("义务"), on_delete=models.PROTECT, related_name="evidence"
    )
    source = models.CharField(
        _("来源"), max_length=16, choices=EvidenceSource.choices, default=EvidenceSource.OVERSIGHT
    )
    done_on = models.DateField(_("日期"))
    people = models.CharField(_("参加人员"), max_length=300, blank=True, help_text=_("社区党组织到场或参与的人员。"))
    opinion = models.TextField(_("意见"), blank=True, help_text=_("参与重大事项时发表的意见。"))
    note = models.TextField(_("情况说明"), blank=True)
    sampled = models.JSONField(_("抽查凭证序号"), default=list, blank=True)
    compared = models.TextField(_("核对内容"), blank=True, help_text=_("与哪些凭证、合同、银行流水核对。"))
    findings = models.TextField(_("发现问题"), blank=True)
    file = models.FileField(_("附件"), upload_to="oversight/evidence/%Y/%m/", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedAppendOnlyQuerySet.as_manager()
    scope_path = "obligation__estate__"

    class Meta:
        verbose_name = _("履职记录")
        verbose_name_plural = _("履职记录")
        ordering = ["obligation_id", "recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.obligation_id} · {self.done_on}"


class LedgerCheckRecord(AppendOnlyModel):
    """The outcome of one verification of an estate's public-revenue ledger, as the committees layer reported it."""

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="ledger_check_records",
        limit_choices_to={"kind": "estate"},
    )
    ok = models.BooleanField(_("校验通过"))
    problem = models.CharField(_("问题"), max_length=500, blank=True)
    checked_at = models.DateTimeField(_("校验时间"), auto_now_add=True)

    objects = ScopedAppendOnlyQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("账簿校验结果")
        verbose_name_plural = _("账簿校验结果")
        ordering = ["estate_id", "-checked_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.estate_id} {'ok' if self.ok else self.problem}"
