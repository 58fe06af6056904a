"""Self-management of old, street-side and abandoned estates (自治管理): building heads, volunteers, duty rosters.

Only estates marked self-managed (``Place.self_managed``) keep these records. Who may write:
those who may change the estate's records (the community that leads it, the street). A done
duty by a volunteer who is an in-service party member (双报到) is recorded as the member's
participation through the register's own service, so it counts toward the participation share.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict
from core.uploads import check_upload
from governance.audit import audit_record
from governance.models import Person, Place, PlaceKind
from governance.scoping import Action, acting_user, require
from oversight.events import OversightEvent
from oversight.models import BuildingHead, DutyKind, DutyRecord, DutyRoster, DutyShift, Volunteer
from residents import services as residents_services
from residents.models import PartyMember, Skill

DAY = datetime.timedelta(days=1)


def _require_self_managed(estate: Place) -> None:
    if estate.kind != PlaceKind.ESTATE:
        raise ApplicationError(_("“%(name)s”不是小区。") % {"name": estate.name}, code="not_an_estate")
    if not estate.self_managed:
        raise ApplicationError(_("“%(name)s”没有备案为自治管理小区。") % {"name": estate.name}, code="not_self_managed")


@transaction.atomic
def building_head_appoint(*, building: Place, person: Person, start: datetime.date, actor) -> BuildingHead:
    """Make ``person`` the building head (楼栋长) of ``building`` from ``start``; the previous head's term ends."""
    if building.kind != PlaceKind.BUILDING:
        raise ApplicationError(_("楼栋长只能任命到楼栋。"), code="not_a_building")
    estate = building.estate
    _require_self_managed(estate)
    require(actor, Action.CHANGE, building)
    # Lock the building's heads: two appointments at once must not leave two current heads.
    current = BuildingHead.objects.select_for_update().filter(building=building, end__isnull=True).first()
    if current is not None:
        if current.person_id == person.pk:
            return current
        if start <= current.start:
            raise ApplicationError(_("新任楼栋长的任职日期须晚于现任的任职日期。"), code="bad_start")
        current.end = start - DAY
        current.save(update_fields=["end"])
    head = BuildingHead.objects.create(building=building, person=person, start=start)
    audit_record(
        actor=actor,
        action=OversightEvent.BUILDING_HEAD_APPOINT,
        obj=head,
        place=building,
        summary=f"{building.name} · {person.name}",
        data={"previous": getattr(current, "person_id", None), "start": start},
    )
    return head


@transaction.atomic
def volunteer_enrol(
    *, estate: Place, person: Person, actor, joined_on: datetime.date | None = None, skills: Iterable[Skill] = ()
) -> Volunteer:
    """Enrol a volunteer with their skills; a party member in the register is linked (双报到)."""
    _require_self_managed(estate)
    require(actor, Action.CHANGE, estate)
    if Volunteer.objects.filter(estate=estate, person=person).exists():
        raise Conflict(_("%(name)s 已是本小区志愿者。") % {"name": person.name}, code="duplicate_volunteer")
    volunteer = Volunteer.objects.create(
        estate=estate,
        person=person,
        party_member=PartyMember.objects.filter(person=person).first(),
        joined_on=joined_on or timezone.localdate(),
    )
    volunteer.skills.set(list(skills))
    audit_record(
        actor=actor,
        action=OversightEvent.VOLUNTEER_ENROL,
        obj=volunteer,
        place=estate,
        summary=person.name,
        data={"party_member": volunteer.party_member_id, "skills": [s.code for s in volunteer.skills.all()]},
    )
    return volunteer


@transaction.atomic
def duty_roster_create(
    *,
    estate: Place,
    kind: str,
    title: str,
    weekdays: Iterable[int],
    starts_on: datetime.date,
    actor,
    ends_on: datetime.date | None = None,
    building: Place | None = None,
) -> DutyRoster:
    """Set up a recurring duty (cleaning, parking order...) of a self-managed estate on given weekdays."""
    _require_self_managed(estate)
    require(actor, Action.CHANGE, estate)
    if kind not in DutyKind.values:
        raise ApplicationError(_("未知的值班类型。"), code="bad_kind")
    try:
        days = sorted({int(d) for d in weekdays})
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("值班日须为0（周一）至6（周日）。"), code="bad_weekdays") from exc
    if not days or days[0] < 0 or days[-1] > 6:
        raise ApplicationError(_("值班日须为0（周一）至6（周日）。"), code="bad_weekdays")
    if ends_on is not None and ends_on < starts_on:
        raise ApplicationError(_("结束日期不能早于开始日期。"), code="bad_period")
    if building is not None and building.estate_id != estate.pk:
        raise ApplicationError(_("该楼栋不属于本小区。"), code="foreign_building")
    if not title.strip():
        raise ApplicationError(_("请填写值班表名称。"), code="title_required")
    roster = DutyRoster.objects.create(
        estate=estate,
        kind=kind,
        title=title.strip(),
        weekdays=days,
        starts_on=starts_on,
        ends_on=ends_on,
        building=building,
    )
    audit_record(actor=actor, action=OversightEvent.DUTY_ROSTER_CREATE, obj=roster, place=estate, summary=roster.title)
    return roster


@transaction.atomic
def duty_shift_assign(*, roster: DutyRoster, date: datetime.date, volunteer: Volunteer, actor) -> DutyShift:
    """Put a volunteer of the estate on a roster's duty day."""
    require(actor, Action.CHANGE, roster.estate)
    if volunteer.estate_id != roster.estate_id:
        raise ApplicationError(_("该志愿者不是本小区的志愿者。"), code="foreign_volunteer")
    if (
        date.weekday() not in set(roster.weekdays)
        or date < roster.starts_on
        or (roster.ends_on and date > roster.ends_on)
    ):
        raise ApplicationError(_("%(day)s 不是该值班表的值班日。") % {"day": date}, code="not_a_duty_day")
    if date < volunteer.joined_on or (volunteer.left_on and date > volunteer.left_on):
        raise ApplicationError(_("该志愿者在 %(day)s 不在岗。") % {"day": date}, code="volunteer_inactive")
    try:
        with transaction.atomic():
            shift = DutyShift.objects.create(roster=roster, date=date, volunteer=volunteer)
    except IntegrityError as exc:
        raise Conflict(_("%(day)s 已安排了值班人。") % {"day": date}, code="shift_taken") from exc
    audit_record(
        actor=actor,
        action=OversightEvent.DUTY_SHIFT_ASSIGN,
        obj=shift,
        place=roster.estate,
        summary=f"{roster.title} {date} {volunteer.person.name}",
    )
    return shift


@transaction.atomic
def duty_record(*, shift: DutyShift, done: bool, actor, photo=None, note: str = "") -> DutyRecord:
    """Record whether a duty was done (with a photo as evidence) or missed; once per shift.

    A done duty of an in-service party member (双报到) is recorded as their participation.
    """
    shift = (
        DutyShift.objects.select_for_update().select_related("roster", "roster__estate", "volunteer").get(pk=shift.pk)
    )
    estate = shift.roster.estate
    require(actor, Action.CHANGE, estate)
    if DutyRecord.objects.filter(shift=shift).exists():
        raise Conflict(_("该班次已登记。"), code="already_recorded")
    if shift.date > timezone.localdate():
        raise ApplicationError(_("值班日尚未到来。"), code="future_date")
    if done and not photo:
        raise ApplicationError(_("完成值班须附照片为证。"), code="photo_required")
    if not done and not note.strip():
        raise ApplicationError(_("请说明缺岗的情况。"), code="note_required")
    if photo:
        check_upload(photo, "evidence")
    participation = None
    member = shift.volunteer.party_member
    if done and member is not None and member.in_service:
        participation = residents_services.participation_record(
            member=member,
            date=shift.date,
            activity=_("%(estate)s %(title)s 值班") % {"estate": estate.name, "title": shift.roster.title},
            actor=actor,
        )
    record = DutyRecord(
        shift=shift,
        done=done,
        note=note.strip(),
        participation=participation,
        recorded_by=acting_user(actor),
    )
    if photo:
        record.photo.save(getattr(photo, "name", "photo") or "photo", photo, save=False)
    record.save()
    audit_record(
        actor=actor,
        action=OversightEvent.DUTY_RECORD,
        obj=record,
        place=estate,
        summary=f"{shift.roster.title} {shift.date} {'done' if done else 'missed'}",
        data={"participation": getattr(participation, "pk", None)},
    )
    return record
