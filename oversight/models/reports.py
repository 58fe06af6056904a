"""The district's reports, built in the background and kept for download with who built them and when."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Place
from governance.models.trees import ScopedQuerySet


class ReportKind(models.TextChoices):
    OVERVIEW = "overview", _("综合报告")
    COVERAGE = "coverage", _("党组织覆盖")
    COMMITTEES = "committees", _("业委会构成")
    COMPLIANCE = "compliance", _("四必履职")
    REVENUE = "revenue", _("公共收益")
    FUNDS = "funds", _("社区下拨资金")
    AUDITS = "audits", _("审计及整改")
    PETITIONS = "petitions", _("信访")
    EARLY_WARNING = "early_warning", _("预警")
    OCCUPANCY = "occupancy", _("入住率与党员参与")


class ReportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    PDF = "pdf", "PDF"


class ReportState(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Report(models.Model):
    """One report of a place's subtree over a period, in one format; its figures and its file."""

    kind = models.CharField(_("类型"), max_length=16, choices=ReportKind.choices)
    place = models.ForeignKey(Place, verbose_name=_("范围"), on_delete=models.PROTECT, related_name="reports")
    start = models.DateField(_("期间开始"))
    end = models.DateField(_("期间结束"))
    format = models.CharField(_("格式"), max_length=8, choices=ReportFormat.choices)
    state = models.CharField(_("状态"), max_length=16, choices=ReportState.choices, default=ReportState.PENDING)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    figures = models.JSONField(_("数据"), default=dict, blank=True)
    file = models.FileField(_("文件"), upload_to="oversight/reports/%Y/%m/", blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "place__"

    class Meta:
        verbose_name = _("报告")
        verbose_name_plural = _("报告")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="report_period")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.place} {self.start}–{self.end}"
