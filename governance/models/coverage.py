from django.db import models
from django.utils.translation import gettext_lazy as _

from .places import Place


class CoverageSnapshot(models.Model):
    """The coverage of a place's subtree as recounted by the background task, for history and dashboards."""

    place = models.ForeignKey(
        Place, verbose_name=_("地点"), on_delete=models.CASCADE, related_name="coverage_snapshots"
    )
    computed_at = models.DateTimeField(_("统计时间"), auto_now_add=True)
    estates = models.PositiveIntegerField(_("小区数"))
    covered_estates = models.PositiveIntegerField(_("全覆盖小区数"))
    data = models.JSONField(_("明细"))

    class Meta:
        verbose_name = _("覆盖统计")
        verbose_name_plural = _("覆盖统计")
        ordering = ["-computed_at"]
        get_latest_by = "computed_at"

    def __str__(self) -> str:
        return f"{self.place} {self.computed_at:%Y-%m-%d %H:%M}"
