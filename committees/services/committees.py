"""Owners' committees: recording a committee and its posts, its filing, officers and end; supervision groups."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.events import CommitteesEvent
from committees.models import CommitteeStatus, OwnersCommittee, SupervisionGroup
from committees.signals import committee_recorded
from core.errors import ApplicationError, Conflict
from elections.committee_size import committee_size_refusal
from elections.models import Vote, VoteKind
from governance import services as governance_services
from governance.audit import apply_changes, audit_record
from governance.models import Organization, OrgFunction, OrgKind, Person, Place, Post, PostBody, PostKind
from governance.rules import rule
from governance.scoping import Action, acting_user, require
from residents.models import Owner, Ownership

from ._shared import add_years, require_estate, send_on_commit

COMMITTEE_KINDS = (PostKind.CHAIR, PostKind.VICE_CHAIR, PostKind.MEMBER)


def _check_party_branch(branch: Organization | None, estate: Place, function: str) -> None:
    if branch is None:
        return
    if branch.kind != OrgKind.FUNCTIONAL_BRANCH or branch.function != function:
        raise ApplicationError(
            _("“%(name)s”不是%(function)s。") % {"name": branch.name, "function": OrgFunction(function).label},
            code="wrong_branch",
        )
    if not branch.place.is_descendant_of(estate, include_self=True) and not estate.is_descendant_of(branch.place):
        raise ApplicationError(_("党支部“%(name)s”不服务于该小区。") % {"name": branch.name}, code="branch_elsewhere")


def _check_members(estate: Place, members: Sequence[tuple[Person, str]], seats: int | None) -> None:
    """Refuse a committee of the wrong size (the one rule, ``elections.committee_size``) or with bad posts.

    An elected committee is sized by its seats and may have fewer members (vacancies), never more.
    """
    refusal = committee_size_refusal(len(members) if seats is None else seats, estate)
    if refusal:
        raise ApplicationError(refusal, code="committee_size")
    if seats is not None and not 0 < len(members) <= seats:
        raise ApplicationError(
            _("当选%(n)d人，应选%(seats)d席：人数不符。") % {"n": len(members), "seats": seats},
            code="committee_size",
        )
    if len({p.pk for p, _k in members}) != len(members):
        raise ApplicationError(_("同一人不能在业委会中重复任职。"), code="duplicate_member")
    if any(kind not in COMMITTEE_KINDS for _p, kind in members):
        raise ApplicationError(_("业委会职务只能是主任、副主任或委员。"), code="bad_post_kind")
    if sum(1 for _p, k in members if k == PostKind.CHAIR) > 1:
        raise ApplicationError(_("业委会只能有一名主任。"), code="two_chairs")


def _term_end(estate: Place, term_start: datetime.date, term_end: datetime.date | None) -> datetime.date:
    """The term's last day: as given, within ``COMMITTEE_TERM_YEARS`` (at most five years by law)."""
    max_years = rule("COMMITTEE_TERM_YEARS", estate)
    term_end = term_end or add_years(term_start, max_years) - datetime.timedelta(days=1)
    if term_end <= term_start or term_end >= add_years(term_start, max_years) + datetime.timedelta(days=1):
        raise ApplicationError(
            _("业委会任期最长%(years)d年，且结束日期须晚于开始日期。") % {"years": max_years}, code="term_length"
        )
    return term_end


def _end_previous_term(
    estate: Place, term_start: datetime.date, members: Sequence[tuple[Person, str]], actor
) -> dict[int, Post]:
    """End the current committee and every committee post at the estate; return the posts the re-elected keep.

    A person who holds a current post of the same kind keeps it; an officer elected again as a
    plain member keeps their office until the new committee reassigns posts.
    """
    # Lock the estate's committees: two filings at once must not leave two current committees.
    previous = list(OwnersCommittee.objects.select_for_update().filter(estate=estate, status=CommitteeStatus.CURRENT))
    held: dict[int, list[Post]] = {}
    for post in Post.objects.current(term_start).filter(place=estate, body=PostBody.OWNERS_COMMITTEE).order_by("pk"):
        held.setdefault(post.person_id, []).append(post)
    keep: dict[int, Post] = {}
    for person, kind in members:
        posts_held = held.get(person.pk, [])
        match = next((p for p in posts_held if p.kind == kind), None)
        if match is None and kind == PostKind.MEMBER and posts_held:
            match = posts_held[0]
        if match is not None:
            keep[person.pk] = match
    day_before = term_start - datetime.timedelta(days=1)
    for old in previous:
        committee_end(committee=old, on=day_before, actor=actor, keep=keep.values())
    # Posts from before the platform (no committee record) end with the old term too.
    kept = {post.pk for post in keep.values()}
    for posts_held in held.values():
        for post in posts_held:
            if post.pk not in kept and (post.start is None or post.start <= day_before):
                post.refresh_from_db(fields=["end"])
                if post.end is None or post.end > day_before:
                    governance_services.post_end(post=post, end=day_before, actor=actor)
    return keep


def _require_community(actor, estate: Place) -> None:
    """Refuse (403) an actor who may not change ``estate``'s community: who records, ends and files a committee.

    The community's secretary and the street keep the record of who the committee is; a committee member may
    not, or they could replace their own committee by hand (ending the elected one) or file it themselves.
    """
    community = estate.parent if estate.parent_id else estate
    require(
        actor, Action.CHANGE, community, message=_("业委会的产生、终止和备案由社区和街道登记，业委会成员不能自行登记。")
    )


@transaction.atomic
def committee_record(
    *,
    estate: Place,
    term_start: datetime.date,
    members: Sequence[tuple[Person, str]],
    actor,
    term_end: datetime.date | None = None,
    election: Vote | None = None,
    party_branch: Organization | None = None,
    filed_on: datetime.date | None = None,
    filing_reference: str = "",
    entered_by_hand: bool = False,
    seats: int | None = None,
    audit_data: dict | None = None,
) -> OwnersCommittee:
    """Record a new owners' committee of ``estate``; the current one's term and posts end.

    ``members`` pairs each person with a post kind (chair, vice_chair, member). A person who
    already holds a current committee post of that kind at the estate keeps it (not
    duplicated); an officer elected again as a plain member keeps their office until the new
    committee reassigns posts (``committee_assign_post``). Every other current committee post
    at the estate, from a recorded committee or from before the platform, ends the day before.

    The committee's size follows the one rule (``elections.committee_size``): 5 to 11, odd,
    3 where the district allows it for a small estate; an elected committee may have fewer
    members than its ``seats`` (vacancies), never more. At most one chair.
    """
    _require_community(actor, estate)
    require_estate(estate)
    _check_members(estate, members, seats)
    term_end = _term_end(estate, term_start, term_end)
    _check_party_branch(party_branch, estate, OrgFunction.OWNERS_COMMITTEE)
    keep = _end_previous_term(estate, term_start, members, actor)
    try:
        with transaction.atomic():
            committee = OwnersCommittee.objects.create(
                estate=estate,
                term_start=term_start,
                term_end=term_end,
                election=election,
                party_branch=party_branch,
                filed_on=filed_on,
                filing_reference=filing_reference,
                entered_by_hand=entered_by_hand,
            )
    except IntegrityError as exc:  # another clerk recorded a committee at the same moment
        raise Conflict(_("该小区刚刚已登记了新一届业委会，请刷新后核对。"), code="concurrent_committee") from exc
    posts = []
    for person, kind in members:
        post = keep.get(person.pk)
        if post is not None and post.end is not None and post.end < term_end:
            # A re-elected member keeps their post, for the new term.
            post = governance_services.post_end(post=post, end=term_end, actor=actor)
        if post is None:
            post = governance_services.post_create(
                person=person,
                kind=kind,
                body=PostBody.OWNERS_COMMITTEE,
                place=estate,
                start=term_start,
                end=term_end,
                actor=actor,
            )
        posts.append(post)
    committee.posts.set(posts)
    audit_record(
        actor=actor,
        action=CommitteesEvent.COMMITTEE_RECORD,
        obj=committee,
        place=estate,
        summary=str(committee),
        data={
            "members": len(posts),
            "election": getattr(election, "pk", None),
            "by_hand": entered_by_hand,
            **(audit_data or {}),
        },
    )
    send_on_commit(committee_recorded, committee=committee)
    return committee


@transaction.atomic
def committee_end(
    *, committee: OwnersCommittee, on: datetime.date, actor, keep: Iterable[Post] = ()
) -> OwnersCommittee:
    """End a committee's term on ``on`` and end its members' posts (except those in ``keep``)."""
    _require_community(actor, committee.estate)
    kept = {p.pk for p in keep}
    on = max(on, committee.term_start)
    for post in Post.objects.current(on).filter(pk__in=committee.posts.values("pk")).exclude(pk__in=kept):
        governance_services.post_end(post=post, end=max(on, post.start or on), actor=actor)
    changes = apply_changes(committee, {"status": CommitteeStatus.ENDED, "ended_on": on})
    committee.save(update_fields=list(changes))
    audit_record(
        actor=actor, action=CommitteesEvent.COMMITTEE_END, obj=committee, place=committee.estate, changes=changes
    )
    return committee


@transaction.atomic
def committee_record_from_election(*, vote: Vote, elected: Sequence[int], actor, filed_by=None) -> OwnersCommittee:
    """Record the committee an owners' election produced (called when the election is filed).

    The elected owners become members; their first meeting elects the chair and vice-chairs
    (``committee_assign_post``). The committee's filing is the election's. ``filed_by`` is
    who filed the election, kept in the audit data when the platform records the committee.
    """
    _require_community(actor, vote.estate)
    if vote.kind != VoteKind.COMMITTEE_ELECTION:
        raise ApplicationError(_("只有业委会选举才产生业委会。"), code="not_an_election")
    existing = OwnersCommittee.objects.filter(election=vote).first()
    if existing is not None:
        return existing
    owners = Owner.objects.select_related("person").in_bulk(list(elected))
    people = []
    for owner_id in elected:
        owner = owners.get(owner_id)
        if owner is None or owner.person_id is None:
            raise ApplicationError(_("当选者必须是自然人业主。"), code="elected_not_a_person")
        people.append(owner.person)
    filer = acting_user(filed_by)
    return committee_record(
        estate=vote.estate,
        term_start=vote.result_date or timezone.localdate(),
        members=[(person, PostKind.MEMBER) for person in people],
        election=vote,
        seats=vote.seats or len(people),
        filed_on=vote.filed_on,
        filing_reference=vote.filing_reference or "",
        actor=actor,
        audit_data={"filed_by": getattr(filer, "pk", None)},
    )


@transaction.atomic
def committee_assign_post(
    *, committee: OwnersCommittee, person: Person, kind: str, actor, on: datetime.date | None = None
) -> Post:
    """Make a member chair, vice-chair or plain member (the first meeting's election of officers)."""
    require(actor, Action.CHANGE, committee.estate)
    if kind not in COMMITTEE_KINDS:
        raise ApplicationError(_("业委会职务只能是主任、副主任或委员。"), code="bad_post_kind")
    if committee.status != CommitteeStatus.CURRENT:
        raise Conflict(_("该届业委会已结束。"), code="committee_ended")
    on = on or timezone.localdate()
    current = list(Post.objects.current(on).filter(pk__in=committee.posts.values("pk")))
    mine = [p for p in current if p.person_id == person.pk]
    if not mine:
        raise ApplicationError(_("%(name)s 不是本届业委会委员。") % {"name": person.name}, code="not_a_member")
    if kind == PostKind.CHAIR and any(p.kind == PostKind.CHAIR and p.person_id != person.pk for p in current):
        raise Conflict(_("本届业委会已有主任，请先调整现任主任的职务。"), code="chair_taken")
    old = mine[0]
    if old.kind == kind:
        return old
    governance_services.post_end(post=old, end=max(on - datetime.timedelta(days=1), old.start or on), actor=actor)
    post = governance_services.post_create(
        person=person,
        kind=kind,
        body=PostBody.OWNERS_COMMITTEE,
        place=committee.estate,
        start=on,
        end=committee.term_end,
        actor=actor,
    )
    committee.posts.add(post)
    audit_record(
        actor=actor,
        action=CommitteesEvent.COMMITTEE_ASSIGN_POST,
        obj=committee,
        place=committee.estate,
        summary=person.name,
        data={"person": person.pk, "post": post.pk, "on": on},
        changes={"kind": (old.kind, kind)},
    )
    return post


@transaction.atomic
def committee_file(*, committee: OwnersCommittee, filed_on: datetime.date, reference: str, actor) -> OwnersCommittee:
    """Record the committee's filing (备案) with the street office."""
    _require_community(actor, committee.estate)
    if not reference.strip():
        raise ApplicationError(_("请填写备案文号。"), code="reference_required")
    if filed_on < committee.term_start:
        raise ApplicationError(_("备案日期不能早于任期开始。"), code="filed_before_term")
    changes = apply_changes(committee, {"filed_on": filed_on, "filing_reference": reference.strip()})
    committee.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action=CommitteesEvent.COMMITTEE_FILE,
        obj=committee,
        place=committee.estate,
        data={"late": filed_on > committee.filing_due()},
        changes=changes,
    )
    return committee


def _check_group_members(estate: Place, term_start: datetime.date, members: Sequence[Owner]) -> None:
    """Members are owners of the estate (registered there or holding a unit) and sit on no committee of it."""
    if not members:
        raise ApplicationError(_("事务监督组至少需要一名成员。"), code="no_members")
    holding = set(
        Ownership.objects.active_on(timezone.localdate())
        .filter(owner__in=members, unit__estate=estate)
        .values_list("owner_id", flat=True)
    )
    foreign = [m for m in members if m.place_id != estate.pk and m.pk not in holding]
    if foreign:
        raise ApplicationError(
            _("事务监督组成员必须是本小区业主：%(names)s 不是。") % {"names": "、".join(m.name for m in foreign)},
            code="not_an_owner_here",
        )
    committee_people = set(
        Post.objects.current(max(term_start, timezone.localdate()))
        .filter(place=estate, body=PostBody.OWNERS_COMMITTEE)
        .values_list("person_id", flat=True)
    )
    on_committee = [m for m in members if m.person_id and m.person_id in committee_people]
    if on_committee:
        raise ApplicationError(
            _("业委会委员不能兼任事务监督组成员：%(names)s。") % {"names": "、".join(m.name for m in on_committee)},
            code="committee_member",
        )


@transaction.atomic
def supervision_group_create(
    *, estate: Place, term_start: datetime.date, members: Sequence[Owner], actor, term_end: datetime.date | None = None
) -> SupervisionGroup:
    """Form the estate's owners' supervision group (事务监督组); its members are owners of the estate."""
    require(actor, Action.CHANGE, estate)
    require_estate(estate)
    members = list(members)
    _check_group_members(estate, term_start, members)
    if term_end and term_end <= term_start:
        raise ApplicationError(_("任期结束日期须晚于开始日期。"), code="term_length")
    group = SupervisionGroup.objects.create(estate=estate, term_start=term_start, term_end=term_end)
    group.members.set(members)
    audit_record(
        actor=actor,
        action=CommitteesEvent.SUPERVISION_GROUP_CREATE,
        obj=group,
        place=estate,
        data={"members": [m.pk for m in members]},
    )
    return group
