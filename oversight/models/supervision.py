"""Party oversight: the street discipline committee's early-intervention opinions (提前介入)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Place

from .base import AppendOnlyModel, ScopedAppendOnlyQuerySet


class InterventionOpinion(AppendOnlyModel):
    """An opinion of a discipline reviewer on a major matter or large spending before it is decided. Append-only.

    It names one matter: a spending request, a resolution vote of the owners, or a project.
    """

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="intervention_opinions",
        limit_choices_to={"kind": "estate"},
    )
    spending_request = models.ForeignKey(
        "committees.SpendingRequest",
        verbose_name=_("支出申请"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intervention_opinions",
    )
    vote = models.ForeignKey(
        "elections.Vote",
        verbose_name=_("业主大会表决"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intervention_opinions",
    )
    project = models.ForeignKey(
        "committees.Project",
        verbose_name=_("项目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intervention_opinions",
    )
    opinion = models.TextField(_("意见"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审查人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    objects = ScopedAppendOnlyQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("提前介入意见")
        verbose_name_plural = _("提前介入意见")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(spending_request__isnull=False, vote__isnull=True, project__isnull=True)
                    | models.Q(spending_request__isnull=True, vote__isnull=False, project__isnull=True)
                    | models.Q(spending_request__isnull=True, vote__isnull=True, project__isnull=False)
                ),
                name="intervention_names_one_matter",
            )
        ]

    def __str__(self) -> str:
        return self.opinion[:60]
