"""Party oversight: the street discipline committee's early-intervention opinions (提前介入)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from committees.models import Project, SpendingRequest, SpendingStatus
from core.errors import ApplicationError, Conflict
from elections.models import Vote, VoteKind
from governance.audit import audit_record
from governance.scoping import Action, acting_user, require
from oversight.events import OversightEvent
from oversight.models import InterventionOpinion
from oversight.selectors.queues import UNDECIDED_VOTE, project_accepted_on


@transaction.atomic
def intervention_record(
    *,
    opinion: str,
    actor,
    spending_request: SpendingRequest | None = None,
    vote: Vote | None = None,
    project: Project | None = None,
) -> InterventionOpinion:
    """Record a discipline reviewer's opinion on one matter before it is decided.

    The matter is a spending request not yet paid, a resolution vote still open, or a
    project not yet accepted. Only the street's discipline reviewers (``review``) write them.
    """
    subjects = [s for s in (spending_request, vote, project) if s is not None]
    if len(subjects) != 1:
        raise ApplicationError(_("请指明意见针对的一项事项。"), code="one_matter")
    estate = subjects[0].estate
    require(actor, Action.REVIEW, estate, message=_("只有街道纪工委的审查人员可以登记提前介入意见。"))
    if not opinion.strip():
        raise ApplicationError(_("请填写意见。"), code="opinion_required")
    if spending_request is not None and spending_request.status == SpendingStatus.PAID:
        raise Conflict(_("该支出已支付，提前介入须在决定之前。"), code="already_decided")
    if vote is not None and (vote.kind != VoteKind.RESOLUTION or vote.status not in UNDECIDED_VOTE):
        raise Conflict(_("该表决已结束或不是业主大会表决事项。"), code="already_decided")
    if project is not None and project_accepted_on(project) is not None:
        raise Conflict(_("该项目已验收。"), code="already_decided")
    record = InterventionOpinion.objects.create(
        estate=estate,
        spending_request=spending_request,
        vote=vote,
        project=project,
        opinion=opinion.strip(),
        reviewer=acting_user(actor),
    )
    audit_record(
        actor=actor,
        action=OversightEvent.INTERVENTION_RECORD,
        obj=record,
        place=estate,
        summary=record.opinion[:200],
        data={
            "spending_request": getattr(spending_request, "pk", None),
            "vote": getattr(vote, "pk", None),
            "project": getattr(project, "pk", None),
        },
    )
    return record
