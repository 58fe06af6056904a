"""Projects (renovations and works): registration, start, milestones and acceptance, the expert team."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from committees.events import CommitteesEvent
from committees.models import Project, ProjectMilestone
from committees.signals import project_changed, project_registered
from core.errors import ApplicationError, Conflict
from governance.audit import apply_changes, audit_record
from governance.models import Place
from governance.scoping import Action, require
from residents.models import PartyMember

from ._shared import require_estate, send_on_commit

# What registration and later planning changes may set; the works' actual dates, cost and
# acceptance are recorded by ``project_start`` and ``project_accept``.
PROJECT_FIELDS = ("title", "description", "budget", "contractor", "planned_start", "planned_end")


def _check_project(project: Project) -> None:
    if project.budget is None or project.budget < 0:
        raise ApplicationError(_("预算不能为负。"), code="negative_budget")
    if project.actual_cost is not None and project.actual_cost < 0:
        raise ApplicationError(_("实际费用不能为负。"), code="negative_cost")
    for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
        a, b = getattr(project, start), getattr(project, end)
        if a and b and b < a:
            raise ApplicationError(_("完工日期不能早于开工日期。"), code="end_before_start")


def _set_expert_team(project: Project, experts) -> tuple[list[int], list[int]]:
    """Set the expert team (party members only); return the members before and after."""
    experts = list(experts)
    if any(not isinstance(member, PartyMember) for member in experts):
        raise ApplicationError(_("专家组成员必须是党员。"), code="not_a_party_member")
    before = sorted(project.expert_team.values_list("pk", flat=True))
    project.expert_team.set(experts)
    return before, sorted(m.pk for m in experts)


def _only_planning(fields: dict) -> None:
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise ApplicationError(
            _("不能在此修改：%(fields)s（开工、节点与验收另行登记）。") % {"fields": "、".join(sorted(unknown))},
            code="read_only_field",
        )


@transaction.atomic
def project_create(*, estate: Place, title: str, budget: Decimal, actor, experts=(), **fields) -> Project:
    """Register a project; a major one (budget at the threshold or over) must be supervised."""
    require(actor, Action.CHANGE, estate)
    require_estate(estate)
    _only_planning(fields)
    project = Project(estate=estate, title=title.strip(), budget=budget, **fields)
    _check_project(project)
    project.save()
    _set_expert_team(project, experts)
    audit_record(
        actor=actor,
        action=CommitteesEvent.PROJECT_CREATE,
        obj=project,
        place=estate,
        summary=project.title,
        data={"budget": project.budget, "major": project.is_major},
    )
    send_on_commit(project_registered, project=project)
    return project


@transaction.atomic
def project_update(*, project: Project, actor, experts=None, **fields) -> Project:
    """Change the plan: title, description, budget, contractor, planned dates, the expert team."""
    require(actor, Action.CHANGE, project.estate)
    _only_planning(fields)
    changes = apply_changes(project, fields)
    _check_project(project)
    project.save(update_fields=list(changes))
    if experts is not None:
        before, after = _set_expert_team(project, experts)
        if before != after:
            changes["expert_team"] = (before, after)
    audit_record(
        actor=actor,
        action=CommitteesEvent.PROJECT_UPDATE,
        obj=project,
        place=project.estate,
        summary=project.title,
        changes=changes,
    )
    return project


@transaction.atomic
def project_start(*, project: Project, on: datetime.date, actor) -> Project:
    """Record that the works started."""
    require(actor, Action.CHANGE, project.estate)
    project = Project.objects.select_for_update().select_related("estate").get(pk=project.pk)
    if project.accepted_on:
        raise Conflict(_("项目已验收。"), code="project_accepted")
    changes = apply_changes(project, {"actual_start": on})
    _check_project(project)
    project.save(update_fields=list(changes))
    audit_record(actor=actor, action=CommitteesEvent.PROJECT_START, obj=project, place=project.estate, changes=changes)
    send_on_commit(project_changed, project=project, change="started")
    return project


@transaction.atomic
def project_milestone_add(
    *, project: Project, title: str, actor, planned_on: datetime.date | None = None
) -> ProjectMilestone:
    """Plan a milestone of the works (design approved, pipes laid, pressure test)."""
    require(actor, Action.CHANGE, project.estate)
    if not title.strip():
        raise ApplicationError(_("请填写节点名称。"), code="title_required")
    if project.accepted_on:
        raise Conflict(_("项目已验收。"), code="project_accepted")
    milestone = ProjectMilestone.objects.create(project=project, title=title.strip(), planned_on=planned_on)
    audit_record(
        actor=actor,
        action=CommitteesEvent.PROJECT_MILESTONE_ADD,
        obj=milestone,
        place=project.estate,
        summary=milestone.title,
        data={"project": project.pk, "planned_on": planned_on},
    )
    return milestone


@transaction.atomic
def project_milestone_reach(
    *, milestone: ProjectMilestone, reached_on: datetime.date, actor, note: str = ""
) -> ProjectMilestone:
    """Record that the works reached a milestone, with what was found."""
    project = Project.objects.select_related("estate").get(pk=milestone.project_id)
    require(actor, Action.CHANGE, project.estate)
    if project.actual_start is None:
        raise Conflict(_("项目尚未开工。"), code="not_started")
    if reached_on < project.actual_start:
        raise ApplicationError(_("节点完成日期不能早于开工日期。"), code="before_start")
    changes = apply_changes(milestone, {"reached_on": reached_on, "note": note.strip()})
    milestone.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action=CommitteesEvent.PROJECT_MILESTONE_REACH,
        obj=milestone,
        place=project.estate,
        summary=milestone.title,
        changes=changes,
    )
    send_on_commit(project_changed, project=project, change="milestone", milestone=milestone)
    return milestone


@transaction.atomic
def project_accept(
    *,
    project: Project,
    accepted_on: datetime.date,
    actual_end: datetime.date,
    actual_cost: Decimal,
    actor,
    note: str = "",
) -> Project:
    """Record the acceptance (竣工验收) of the finished works: the finish date, the actual cost, the findings."""
    require(actor, Action.CHANGE, project.estate)
    project = Project.objects.select_for_update().select_related("estate").get(pk=project.pk)
    if project.accepted_on:
        raise Conflict(_("项目已验收。"), code="project_accepted")
    if project.actual_start is None:
        raise Conflict(_("项目尚未开工。"), code="not_started")
    if accepted_on < actual_end:
        raise ApplicationError(_("验收日期不能早于完工日期。"), code="accepted_before_end")
    changes = apply_changes(
        project,
        {"actual_end": actual_end, "actual_cost": actual_cost, "accepted_on": accepted_on, "acceptance_note": note},
    )
    _check_project(project)
    project.save(update_fields=list(changes))
    audit_record(actor=actor, action=CommitteesEvent.PROJECT_ACCEPT, obj=project, place=project.estate, changes=changes)
    send_on_commit(project_changed, project=project, change="accepted")
    return project
