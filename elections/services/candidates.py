"""The preparatory group of an election and its candidates: nomination and eligibility review."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict
from elections.events import ElectionsEvent
from elections.models import (
    Candidate,
    GroupBody,
    NominatedBy,
    PreparatoryGroup,
    PreparatoryMember,
    Vote,
    VoteStatus,
)
from governance.audit import apply_changes, audit_record
from governance.models import Place
from governance.scoping import Action, acting_user, require
from residents.models import Owner, OwnerKind, Ownership
from residents.selectors import party_member_person_ids

# docs/domain.md §5.1: in Jiangbei these bodies also send members.
JIANGBEI_BODIES = (GroupBody.PARTY, GroupBody.PROPERTY_CENTRE, GroupBody.POLICE)


def preparatory_group_refusal(members: list[dict]) -> str | None:
    """Say which rule of docs/domain.md §5.1 a group breaks, or return None if it keeps them all."""
    n = len(members)
    bodies = [m.get("body") for m in members]
    if any(b not in GroupBody.values for b in bodies):
        return _("成员来源须为：%(bodies)s。") % {"bodies": "、".join(GroupBody.values)}
    if n == 0 or n % 2 == 0:
        return _("筹备组成员人数须为奇数（现为 %(n)s 人）。") % {"n": n}
    owners = bodies.count(GroupBody.OWNERS)
    if 2 * owners < n:
        return _("业主代表须不少于筹备组成员的一半（现为 %(owners)s/%(n)s）。") % {"owners": owners, "n": n}
    leaders = [m for m in members if m.get("leads")]
    if len(leaders) != 1 or leaders[0].get("body") != GroupBody.STREET:
        return _("筹备组须由一名街道代表担任组长。")
    missing = [GroupBody(b).label for b in JIANGBEI_BODIES if b not in bodies]
    if missing:
        return _("筹备组缺少：%(missing)s。") % {"missing": "、".join(str(m) for m in missing)}
    return None


@transaction.atomic
def preparatory_group_record(*, vote: Vote, members: list[dict], actor) -> PreparatoryGroup:
    """Record the preparatory group of an election and post its list, refusing a group that breaks §5.1."""
    require(actor, Action.RUN_VOTE, vote.estate)
    if not vote.is_election:
        raise ApplicationError(_("只有业主委员会选举需要筹备组。"), code="not_an_election")
    if vote.status != VoteStatus.DRAFT:
        raise Conflict(_("筹备组只能在草稿阶段登记。"), code="wrong_status")
    if PreparatoryGroup.objects.filter(vote=vote).exists():
        raise Conflict(_("本次选举已登记筹备组。"), code="group_exists")
    refusal = preparatory_group_refusal(members)
    if refusal:
        raise ApplicationError(refusal, code="preparatory_group_invalid")
    group = PreparatoryGroup.objects.create(vote=vote, posted_at=timezone.now(), recorded_by=acting_user(actor))
    PreparatoryMember.objects.bulk_create(
        PreparatoryMember(group=group, name=m["name"].strip(), body=m["body"], leads=bool(m.get("leads")))
        for m in members
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.PREPARATORY_GROUP_RECORD,
        obj=group,
        place=vote.estate,
        data={"members": len(members)},
    )
    return group


def _owns_in_estate(owner: Owner, estate: Place, day: datetime.date) -> bool:
    return Ownership.objects.active_on(day).filter(owner=owner, unit__estate=estate).exists()


@transaction.atomic
def candidate_nominate(
    *,
    vote: Vote,
    owner: Owner,
    nominated_by: str,
    actor,
    statement: str = "",
    reported_party_member: bool = False,
) -> Candidate:
    """Nominate an owner of the estate as a candidate (by owners, the residents' committee or the party).

    Whether the candidate is a party member is the party register's answer
    (``residents.selectors.party_member_person_ids``), read again when voting opens;
    ``reported_party_member`` keeps what the nominee said, for the reviewers, and counts nowhere.
    """
    require(actor, Action.RUN_VOTE, vote.estate)
    if not vote.is_election:
        raise ApplicationError(_("表决事项没有候选人。"), code="not_an_election")
    if vote.status != VoteStatus.NOMINATION:
        raise Conflict(_("只有在候选人推荐阶段才能推荐候选人。"), code="wrong_status")
    if nominated_by not in NominatedBy.values:
        raise ApplicationError(_("推荐方式须为业主、居民委员会或社区党组织。"), code="nominated_by_invalid")
    if owner.kind != OwnerKind.PERSON or owner.is_developer:
        raise ApplicationError(_("候选人须为本小区的自然人业主。"), code="candidate_not_person")
    if not _owns_in_estate(owner, vote.estate, timezone.localdate()):
        raise ApplicationError(_("候选人须为本小区的业主。"), code="candidate_not_owner")
    if Candidate.objects.filter(vote=vote, owner=owner).exists():
        raise Conflict(_("该业主已是本次选举的候选人。"), code="candidate_exists")
    candidate = Candidate.objects.create(
        vote=vote,
        owner=owner,
        nominated_by=nominated_by,
        statement=statement,
        reported_party_member=reported_party_member,
        is_party_member=bool(party_member_person_ids([owner.person_id])),
    )
    audit_record(
        actor=actor,
        action=ElectionsEvent.CANDIDATE_NOMINATE,
        obj=candidate,
        place=vote.estate,
        data={"owner": owner.pk, "nominated_by": nominated_by, "reported_party_member": reported_party_member},
    )
    return candidate


@transaction.atomic
def candidate_review(*, candidate: Candidate, eligible: bool, reason: str, actor) -> Candidate:
    """Record a candidate's eligibility review (a reason is required to find one ineligible)."""
    vote = candidate.vote
    require(actor, Action.RUN_VOTE, vote.estate)
    if vote.status not in (VoteStatus.NOMINATION, VoteStatus.REVIEW):
        raise Conflict(_("资格审查须在公示之前完成。"), code="wrong_status")
    if not eligible and not (reason or "").strip():
        raise ApplicationError(_("认定不符合资格时须写明理由。"), code="reason_required")
    changes = apply_changes(
        candidate,
        {
            "eligible": eligible,
            "review_reason": (reason or "").strip(),
            "reviewed_by": acting_user(actor),
            "reviewed_at": timezone.now(),
        },
    )
    candidate.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action=ElectionsEvent.CANDIDATE_REVIEW,
        obj=candidate,
        place=vote.estate,
        changes=changes,
    )
    return candidate
