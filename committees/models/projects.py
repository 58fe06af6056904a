from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Place
from governance.models.trees import ScopedQuerySet
from governance.rules import rule

from .base import money_field


class Project(models.Model):
    """A renovation or works project of an estate, such as replacing the fire main.

    A project whose budget reaches the configured threshold is *major*: the community party
    organization must supervise it through its life (四必, docs/domain.md §6). Its life: registered
    (planned dates and budget), started (``actual_start``), milestones reached, and accepted
    on completion (``accepted_on``, with the finish date and the actual cost).
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
    accepted_on = models.DateField(_("验收日期"), null=True, blank=True)
    acceptance_note = models.TextField(_("验收意见"), blank=True)
    # The expert team: party members drawn from the register's skills.
    expert_team = models.ManyToManyField(
        "residents.PartyMember", verbose_name=_("党员专家组"), blank=True, related_name="expert_projects"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

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

    def major_under(self, rules=rule) -> bool:
        """Whether the budget reaches ``MAJOR_PROJECT_THRESHOLD`` (``rules``: ``rule`` or a memo of it)."""
        return self.budget >= rules("MAJOR_PROJECT_THRESHOLD", self.estate)

    @property
    def is_major(self) -> bool:
        return self.major_under()

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


class ProjectMilestone(models.Model):
    """A stage of a project's works (design approved, pipes laid, pressure test passed), planned and reached."""

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    planned_on = models.DateField(_("计划日期"), null=True, blank=True)
    reached_on = models.DateField(_("完成日期"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "project__estate__"

    class Meta:
        verbose_name = _("项目节点")
        verbose_name_plural = _("项目节点")
        ordering = ["project_id", "planned_on", "pk"]

    def __str__(self) -> str:
        return self.title
