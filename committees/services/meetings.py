"""Meetings: scheduling, attendance, minutes and their publication, attachments, decisions."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.events import CommitteesEvent
from committees.models import Decision, Meeting, MeetingAttachment, MeetingKind, OwnersCommittee
from committees.signals import decision_recorded, meeting_attended, meeting_scheduled
from core.errors import ApplicationError, Conflict
from core.uploads import check_upload
from elections.models import Matter
from governance.audit import apply_changes, audit_record
from governance.models import Person, Place, Post
from governance.scoping import Action, require

from ._shared import require_estate, send_on_commit


@transaction.atomic
def meeting_create(
    *,
    estate: Place,
    kind: str,
    title: str,
    held_at: datetime.datetime,
    actor,
    location: str = "",
    agenda: Sequence[str] = (),
) -> Meeting:
    """Schedule or record a meeting; a committee meeting belongs to the estate's committee of its day."""
    require(actor, Action.CHANGE, estate)
    require_estate(estate)
    if kind not in MeetingKind.values:
        raise ApplicationError(_("未知的会议类型。"), code="bad_kind")
    if timezone.is_naive(held_at):
        raise ApplicationError(_("会议时间须带时区。"), code="naive_datetime")
    committee = None
    if kind == MeetingKind.COMMITTEE:
        committee = (
            OwnersCommittee.objects.filter(estate=estate, term_start__lte=timezone.localtime(held_at).date())
            .order_by("-term_start")
            .first()
        )
        if committee is None:
            raise ApplicationError(_("该小区在会议日期没有业委会，不能召开业委会会议。"), code="no_committee")
    meeting = Meeting.objects.create(
        estate=estate,
        kind=kind,
        committee=committee,
        title=title.strip(),
        held_at=held_at,
        location=location,
        agenda=[str(item).strip() for item in agenda if str(item).strip()],
    )
    audit_record(actor=actor, action=CommitteesEvent.MEETING_CREATE, obj=meeting, place=estate, summary=meeting.title)
    if kind in (MeetingKind.COMMITTEE, MeetingKind.ASSEMBLY):
        send_on_commit(meeting_scheduled, meeting=meeting)
    return meeting


def _refuse_if_published(meeting: Meeting) -> None:
    if meeting.minutes_published:
        raise Conflict(_("会议纪要已公开，不能再修改；如需更正，请另行记录说明。"), code="minutes_published")


@transaction.atomic
def meeting_record_attendance(
    *,
    meeting: Meeting,
    attendees: Iterable[Person],
    actor,
    party_org: bool = False,
    property_company: bool = False,
    supervision_group: bool = False,
) -> Meeting:
    """Record who attended, and which bodies were present.

    The bodies: the community party organization (its presence is the evidence of 必列席),
    the property company, the supervision group.
    """
    require(actor, Action.CHANGE, meeting.estate)
    _refuse_if_published(meeting)
    changes = apply_changes(
        meeting,
        {
            "party_org_attended": party_org,
            "property_company_attended": property_company,
            "supervision_group_attended": supervision_group,
        },
    )
    if changes:
        meeting.save(update_fields=list(changes))
    attendees = list(attendees)
    before = sorted(meeting.attendees.values_list("pk", flat=True))
    meeting.attendees.set(attendees)
    after = sorted(p.pk for p in attendees)
    if before != after:
        changes["attendees"] = (before, after)
    audit_record(
        actor=actor,
        action=CommitteesEvent.MEETING_RECORD_ATTENDANCE,
        obj=meeting,
        place=meeting.estate,
        data={"attendees": len(attendees)},
        changes=changes,
    )
    send_on_commit(meeting_attended, meeting=meeting)
    return meeting


@transaction.atomic
def meeting_record_minutes(*, meeting: Meeting, minutes: str, actor) -> Meeting:
    """Write the minutes of a meeting (before they are published)."""
    require(actor, Action.CHANGE, meeting.estate)
    _refuse_if_published(meeting)
    changes = apply_changes(meeting, {"minutes": minutes.strip()})
    meeting.save(update_fields=list(changes))
    audit_record(
        actor=actor, action=CommitteesEvent.MEETING_RECORD_MINUTES, obj=meeting, place=meeting.estate, changes=changes
    )
    return meeting


@transaction.atomic
def meeting_publish_minutes(*, meeting: Meeting, actor) -> Meeting:
    """Publish a meeting's minutes and decisions to the estate's residents; they are frozen from then on."""
    require(actor, Action.CHANGE, meeting.estate)
    meeting = Meeting.objects.select_for_update().select_related("estate").get(pk=meeting.pk)
    _refuse_if_published(meeting)
    if not meeting.minutes:
        raise ApplicationError(_("请先填写会议纪要再公开。"), code="no_minutes")
    changes = apply_changes(meeting, {"minutes_published_at": timezone.now()})
    meeting.save(update_fields=list(changes))
    audit_record(
        actor=actor, action=CommitteesEvent.MEETING_PUBLISH_MINUTES, obj=meeting, place=meeting.estate, changes=changes
    )
    return meeting


@transaction.atomic
def meeting_attach(*, meeting: Meeting, title: str, file, actor) -> MeetingAttachment:
    """Attach a document (sign-in sheet, photo, plan) to a meeting; its type is checked by content first."""
    require(actor, Action.CHANGE, meeting.estate)
    check_upload(file, "attachment")
    attachment = MeetingAttachment.objects.create(meeting=meeting, title=title.strip() or file.name, file=file)
    audit_record(
        actor=actor,
        action=CommitteesEvent.MEETING_ATTACH,
        obj=attachment,
        place=meeting.estate,
        summary=attachment.title,
    )
    return attachment


def committee_meeting_outcome(*, members_total: int, members_present: int, votes_for: int) -> tuple[bool, bool]:
    """Return (quorate, passed) for a committee meeting (docs/domain.md §5.7).

    More than half of the members must attend; a decision needs at least half of *all*
    members: 7 members, 4 present, 3 in favour fails.
    """
    quorate = 2 * members_present > members_total
    return quorate, quorate and 2 * votes_for >= members_total


def _committee_count(meeting: Meeting, votes: int, votes_for: int) -> tuple[int, int, bool]:
    """Count a committee meeting's decision: (members, present, passed), refusing one without a quorum."""
    on = timezone.localtime(meeting.held_at).date()
    member_people = set(
        Post.objects.current(on).filter(pk__in=meeting.committee.posts.values("pk")).values_list("person_id", flat=True)
    )
    members_total = len(member_people)
    members_present = len(member_people & set(meeting.attendees.values_list("pk", flat=True)))
    if votes > members_present:
        raise ApplicationError(
            _("表决票数（%(votes)d）多于出席委员数（%(present)d）。") % {"votes": votes, "present": members_present},
            code="too_many_votes",
        )
    quorate, passed = committee_meeting_outcome(
        members_total=members_total, members_present=members_present, votes_for=votes_for
    )
    if not quorate:
        raise ApplicationError(
            _("出席委员%(present)d人，未超过全体委员%(total)d人的半数，会议不能作出决定。")
            % {"present": members_present, "total": members_total},
            code="no_quorum",
        )
    return members_total, members_present, passed


@transaction.atomic
def decision_record(
    *,
    meeting: Meeting,
    text: str,
    actor,
    matter: int | None = None,
    is_major: bool = False,
    votes_for: int = 0,
    votes_against: int = 0,
    votes_abstain: int = 0,
    passed: bool | None = None,
    party_org_participated: bool = False,
) -> Decision:
    """Record a decision of a meeting.

    ``matter`` is the Civil Code Art. 278 matter (``elections.models.Matter``, 1–9) or
    ``None`` for routine business; a decision on a matter is major. On a committee meeting
    the outcome is counted from the attendance and the votes; on other meetings (an
    assembly's result comes from its vote) the caller states ``passed``.
    """
    require(actor, Action.CHANGE, meeting.estate)
    _refuse_if_published(meeting)
    if matter is not None and matter not in Matter.values:
        raise ApplicationError(_("未知的事项类型。"), code="bad_matter")
    if min(votes_for, votes_against, votes_abstain) < 0:
        raise ApplicationError(_("票数不能为负。"), code="bad_votes")
    members_total = members_present = None
    if meeting.kind == MeetingKind.COMMITTEE:
        members_total, members_present, passed = _committee_count(
            meeting, votes_for + votes_against + votes_abstain, votes_for
        )
    elif passed is None:
        raise ApplicationError(_("请说明该决定是否通过。"), code="passed_required")
    decision = Decision.objects.create(
        meeting=meeting,
        text=text.strip(),
        matter=matter,
        is_major=is_major or matter is not None,
        members_total=members_total,
        members_present=members_present,
        votes_for=votes_for,
        votes_against=votes_against,
        votes_abstain=votes_abstain,
        passed=bool(passed),
        party_org_participated=party_org_participated,
    )
    audit_record(
        actor=actor,
        action=CommitteesEvent.DECISION_RECORD,
        obj=decision,
        place=meeting.estate,
        summary=decision.text[:200],
        data={"passed": decision.passed, "major": decision.is_major, "for": votes_for, "total": members_total},
    )
    send_on_commit(decision_recorded, decision=decision)
    return decision
