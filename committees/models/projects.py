from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Place
from governance.models.trees import ScopedQuerySet

from .base import money_field


def major_project_threshold() -> Decimal:
    return Decimal(settings.GONGZHI["MAJOR_PROJECT_THRESHOLD"])


class Project(models.Model):
    """A renovation or works project of an estate, such as replacing the fire main.

    A project whose budget reaches the configured threshold is *major*: the community party
    organization must supervise it through its life (四必, DOMAIN.md §6).
    """

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="projects",
        limit_choices_to={"kind": "estate"},
    )
    title = models.CharField(_("项目名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    budget = money_field(_("预算（元）"))
    contractor = models.CharField(_("施工单位"), max_length=200, blank=True)
    planned_start = models.DateField(_("计划开工"), null=True, blank=True)
    planned_end = models.DateField(_("计划完工"), null=True, blank=True)
    actual_start = models.DateField(_("实际开工"), null=True, blank=True)
    actual_end = models.DateField(_("实际完工"), null=True, blank=True)
    actual_cost = money_field(_("实际费用（元）"), null=True, blank=True)
    # The expert team: party members drawn from the register's skills.
    expert_team = models.ManyToManyField(
        "residents.PartyMember", verbose_name=_("党员专家组"), blank=True, related_name="expert_projects"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["estate_id", "-planned_start", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="project_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_major(self) -> bool:
        return self.budget >= major_project_threshold()

    @property
    def budget_saving(self) -> Decimal | None:
        """Budget minus actual cost, once the cost is known."""
        if self.actual_cost is None:
            return None
        return self.budget - self.actual_cost

    @property
    def schedule_saving_days(self) -> int | None:
        """Days the works finished ahead of the planned duration (negative: late)."""
        if not (self.planned_start and self.planned_end and self.actual_start and self.actual_end):
            return None
        return (self.planned_end - self.planned_start).days - (self.actual_end - self.actual_start).days
