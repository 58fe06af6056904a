from django.db import models
from django.utils.translation import gettext_lazy as _

from .places import Place
from .trees import ScopedQuerySet


class DistrictRule(models.Model):
    """A district's own value for one configurable rule (docs/domain.md marks them "configurable")."""

    district = models.ForeignKey(
        Place, verbose_name=_("区"), on_delete=models.CASCADE, related_name="rules", limit_choices_to={"level": 0}
    )
    key = models.CharField(_("规则"), max_length=64)
    value = models.JSONField(_("取值"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "district__"

    class Meta:
        verbose_name = _("区级规则")
        verbose_name_plural = _("区级规则")
        constraints = [models.UniqueConstraint(fields=["district", "key"], name="district_rule_unique_key")]

    def __str__(self) -> str:
        return f"{self.district} · {self.key}"
