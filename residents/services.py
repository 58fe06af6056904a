"""Writes of the register: units, owners and ownership, residents and occupancy, party members.

The bulk import of a whole register lives in ``residents.importer`` and is run by
``register_import_run`` below.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict, NotPermitted
from governance.audit import audit_record
from governance.models import Organization, Person, Place, PlaceKind, User
from governance.scoping import SYSTEM, Action, acting_user, can, require
from residents.events import ResidentsEvent
from residents.models import (
    ImportJob,
    ImportState,
    Occupancy,
    OccupancyState,
    Owner,
    OwnerKind,
    Ownership,
    Participation,
    PartyMember,
    PropertyUnit,
    Resident,
    Skill,
    UnitUse,
)

# Units ----------------------------------------------------------------------------------------

UNIT_FIELDS = ("stairway", "room", "use", "registered_area", "surveyed_area", "contract_area", "delivered")


def _check_building(building: Place) -> None:
    if building.kind != PlaceKind.BUILDING or building.estate_id is None:
        raise ApplicationError(
            _("专有部分必须属于某个小区内的楼栋，“%(name)s”不是楼栋。") % {"name": building.name}, code="not_a_building"
        )


def _apply_areas(unit: PropertyUnit) -> None:
    for source in ("registered", "surveyed", "contract"):
        value = getattr(unit, f"{source}_area")
        if value is not None and Decimal(value) <= 0:
            raise ApplicationError(_("面积必须大于 0 平方米。"), code="invalid_area")
    try:
        unit.apply_area_precedence()
    except ValueError:
        raise ApplicationError(_("请至少填写登记面积、实测面积或合同面积之一。"), code="missing_area") from None


def _refuse_duplicate_unit(unit: PropertyUnit) -> None:
    clash = PropertyUnit.objects.filter(building=unit.building, stairway=unit.stairway, room=unit.room)
    if unit.pk:
        clash = clash.exclude(pk=unit.pk)
    if clash.exists():
        raise Conflict(_("“%(label)s”已登记，不能重复。") % {"label": unit.label}, code="duplicate_unit")


@transaction.atomic
def unit_create(
    *,
    building: Place,
    room: str,
    actor,
    stairway: str = "",
    use: str = UnitUse.RESIDENTIAL,
    registered_area: Decimal | None = None,
    surveyed_area: Decimal | None = None,
    contract_area: Decimal | None = None,
    delivered: bool = True,
) -> PropertyUnit:
    """Register an exclusive unit (专有部分) in a building; its counted area follows DOMAIN.md §4."""
    _check_building(building)
    unit = PropertyUnit(
        building=building,
        estate_id=building.estate_id,
        stairway=stairway.strip(),
        room=room.strip(),
        use=use,
        registered_area=registered_area,
        surveyed_area=surveyed_area,
        contract_area=contract_area,
        delivered=delivered,
    )
    _apply_areas(unit)
    _refuse_duplicate_unit(unit)
    unit.save()
    audit_record(actor=actor, action=ResidentsEvent.UNIT_CREATE, obj=unit, place=building, summary=unit.label)
    return unit


@transaction.atomic
def unit_update(*, unit: PropertyUnit, actor, **fields) -> PropertyUnit:
    """Change a unit's number, use, areas or delivery; the counted area is recomputed."""
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise ApplicationError(_("不能修改这些字段：%s") % ", ".join(sorted(unknown)), code="invalid_field")
    for name, value in fields.items():
        setattr(unit, name, value.strip() if isinstance(value, str) and name in ("stairway", "room") else value)
    _apply_areas(unit)
    _refuse_duplicate_unit(unit)
    unit.save()
    audit_record(
        actor=actor,
        action=ResidentsEvent.UNIT_UPDATE,
        obj=unit,
        place=unit.building,
        summary=unit.label,
        data={"fields": sorted(fields)},
    )
    return unit


# Owners and ownership --------------------------------------------------------------------------


@transaction.atomic
def owner_create(
    *,
    estate: Place,
    actor,
    person: Person | None = None,
    org_name: str = "",
    credit_code: str = "",
    is_developer: bool = False,
) -> Owner:
    """Record an owner: a person (one ``Owner`` per ``Person``) or an organization such as the developer."""
    if person is not None:
        if Owner.objects.filter(person=person).exists():
            raise Conflict(_("“%(name)s”已是业主，无需重复登记。") % {"name": person.name}, code="duplicate_owner")
        owner = Owner(kind=OwnerKind.PERSON, person=person, place=estate, is_developer=is_developer)
    else:
        if not org_name.strip():
            raise ApplicationError(_("单位业主必须填写单位名称。"), code="missing_name")
        owner = Owner(kind=OwnerKind.ORGANIZATION, org_name=org_name.strip(), place=estate, is_developer=is_developer)
        owner.set_credit_code(credit_code)
        if owner.credit_code_hash and Owner.objects.filter(credit_code_hash=owner.credit_code_hash).exists():
            raise Conflict(_("统一社会信用代码已登记为业主。"), code="duplicate_owner")
    owner.save()
    audit_record(actor=actor, action=ResidentsEvent.OWNER_CREATE, obj=owner, place=estate, summary=owner.name)
    return owner


def owner_for_person(*, person: Person, estate: Place, actor) -> Owner:
    """Return the person's owner record, creating it in ``estate`` if they have none yet."""
    existing = Owner.objects.filter(person=person).first()
    return existing or owner_create(estate=estate, person=person, actor=actor)


def owner_reveal(*, owner: Owner, actor: User) -> dict:
    """Show an owner's whole ID and phone numbers to a role that needs them, and log the reveal."""
    if not can(actor, Action.VIEW_PERSONAL, owner.place):
        raise NotPermitted(_("您的角色不能查看完整的身份证号和手机号。"), code="not_permitted")
    person = owner.person
    audit_record(actor=actor, action=ResidentsEvent.OWNER_REVEAL, obj=owner, place=owner.place, summary=owner.name)
    return {
        "id": owner.pk,
        "id_number": person.id_number if person else owner.credit_code,
        "phone": person.phone if person else "",
    }


def _owner_shares(new_owners: Iterable) -> list[tuple[Owner, Decimal | None]]:
    pairs = []
    for item in new_owners:
        owner, share = item if isinstance(item, tuple) else (item, None)
        pairs.append((owner, Decimal(share) if share is not None else None))
    return pairs


@transaction.atomic
def ownership_transfer(
    *, unit: PropertyUnit, new_owners: Iterable, on: datetime.date, actor, registered: bool = True
) -> list[Ownership]:
    """Hand a unit to ``new_owners`` on ``on``: the ownerships in force end that day, new ones start.

    ``new_owners`` holds owners, or ``(owner, share)`` pairs for co-owners. History is kept:
    nothing is deleted. Returns the new ownerships.
    """
    pairs = _owner_shares(new_owners)
    if not pairs:
        raise ApplicationError(_("请至少指定一位新业主。"), code="no_owner")
    if len({o.pk for o, _s in pairs}) != len(pairs):
        raise ApplicationError(_("同一业主不能重复列出。"), code="duplicate_owner")
    shares = [s for _o, s in pairs if s is not None]
    if any(s <= 0 or s > 1 for s in shares) or sum(shares, Decimal(0)) > 1:
        raise ApplicationError(_("共有份额必须在 0 到 1 之间，合计不超过 1。"), code="invalid_share")
    # Lock the unit's row so two clerks recording the same sale cannot both end the old ownership.
    PropertyUnit.objects.select_for_update().filter(pk=unit.pk).first()
    current = list(Ownership.objects.active_on(on).filter(unit=unit))
    if Ownership.objects.filter(unit=unit, start__gt=on).exists():
        raise Conflict(_("该房屋在 %(day)s 之后已有产权记录，请按时间顺序登记。") % {"day": on}, code="out_of_order")
    for ownership in current:
        if ownership.start >= on:
            raise Conflict(
                _("该房屋的现有产权自 %(day)s 起生效，转移日期须晚于此日。") % {"day": ownership.start},
                code="transfer_same_day",
            )
        ownership.end = on
        ownership.save(update_fields=["end"])
    created = Ownership.objects.bulk_create(
        [Ownership(unit=unit, owner=o, start=on, share=s, registered=registered) for o, s in pairs]
    )
    audit_record(
        actor=actor,
        action=ResidentsEvent.OWNERSHIP_TRANSFER,
        obj=unit,
        place=unit.building,
        summary=unit.label,
        data={"on": on.isoformat(), "ended": [o.pk for o in current], "owners": [o.pk for o, _s in pairs]},
    )
    return created


# Residents and occupancy ---------------------------------------------------------------------------


def _occupancy_on(unit: PropertyUnit, day: datetime.date) -> str:
    latest = Occupancy.objects.filter(unit=unit, since__lte=day).order_by("-since").first()
    return latest.state if latest else OccupancyState.VACANT


@transaction.atomic
def resident_move_in(*, unit: PropertyUnit, person: Person, relation: str, on: datetime.date, actor) -> Resident:
    """Record a person moving into a unit; an empty unit becomes occupied that day."""
    if Resident.objects.current(on).filter(unit=unit, person=person).exists():
        raise Conflict(_("“%(name)s”已登记住在该房屋。") % {"name": person.name}, code="already_resident")
    resident = Resident.objects.create(unit=unit, person=person, relation=relation, start=on)
    if _occupancy_on(unit, on) != OccupancyState.OCCUPIED:
        Occupancy.objects.update_or_create(unit=unit, since=on, defaults={"state": OccupancyState.OCCUPIED})
    audit_record(
        actor=actor,
        action=ResidentsEvent.RESIDENT_MOVE_IN,
        obj=resident,
        place=unit.building,
        summary=person.name,
        data={"relation": relation, "on": str(on)},
    )
    return resident


@transaction.atomic
def resident_move_out(*, resident: Resident, on: datetime.date, actor) -> Resident:
    """Record a resident moving out on ``on``; the unit is vacant from then if no one else lives there."""
    if resident.end is not None:
        raise Conflict(_("该居民已迁出。"), code="already_moved_out")
    if on <= resident.start:
        raise ApplicationError(_("迁出日期必须晚于入住日期 %(day)s。") % {"day": resident.start}, code="invalid_date")
    resident.end = on
    resident.save(update_fields=["end"])
    unit = resident.unit
    if not Resident.objects.current(on).filter(unit=unit).exists():
        Occupancy.objects.update_or_create(unit=unit, since=on, defaults={"state": OccupancyState.VACANT})
    audit_record(
        actor=actor,
        action=ResidentsEvent.RESIDENT_MOVE_OUT,
        obj=resident,
        place=unit.building,
        summary=resident.person.name,
        data={"on": str(on)},
    )
    return resident


# Party members -----------------------------------------------------------------------------------


@transaction.atomic
def party_member_register(
    *,
    person: Person,
    organization: Organization,
    actor,
    in_service: bool = False,
    registered_on: datetime.date | None = None,
    workplace: str = "",
    skills: Iterable[Skill] = (),
) -> PartyMember:
    """Register a party member with their organization; in-service members register with their home (双报到)."""
    if PartyMember.objects.filter(person=person).exists():
        raise Conflict(_("“%(name)s”已登记为党员。") % {"name": person.name}, code="duplicate_member")
    if in_service and registered_on is None:
        registered_on = timezone.localdate()
    member = PartyMember.objects.create(
        person=person,
        organization=organization,
        in_service=in_service,
        registered_on=registered_on,
        workplace=workplace,
    )
    member.skills.set(list(skills))
    audit_record(
        actor=actor,
        action=ResidentsEvent.PARTY_MEMBER_REGISTER,
        obj=member,
        place=organization.place,
        summary=person.name,
    )
    return member


@transaction.atomic
def party_member_update(*, member: PartyMember, actor, **fields) -> PartyMember:
    """Change a member's organization, in-service registration, workplace or skills."""
    skills = fields.pop("skills", None)
    for name in ("organization", "in_service", "registered_on", "workplace"):
        if name in fields:
            setattr(member, name, fields.pop(name))
    if fields:
        raise ApplicationError(_("不能修改这些字段：%s") % ", ".join(sorted(fields)), code="invalid_field")
    member.save()
    if skills is not None:
        member.skills.set(list(skills))
    audit_record(actor=actor, action=ResidentsEvent.PARTY_MEMBER_UPDATE, obj=member, place=member.organization.place)
    return member


@transaction.atomic
def participation_record(*, member: PartyMember, date: datetime.date, activity: str, actor) -> Participation:
    """Record a member's part in an estate affair."""
    if not activity.strip():
        raise ApplicationError(_("请写明参与的事项。"), code="missing_activity")
    if date > timezone.localdate():
        raise ApplicationError(_("参与日期不能晚于今天。"), code="future_date")
    participation = Participation.objects.create(member=member, date=date, activity=activity.strip())
    audit_record(
        actor=actor,
        action=ResidentsEvent.PARTICIPATION_RECORD,
        obj=participation,
        place=member.organization.place,
        summary=activity[:200],
    )
    return participation


# Bulk import --------------------------------------------------------------------------------------


@transaction.atomic
def register_import_submit(
    *, estate: Place, file, actor, on: datetime.date | None = None, run: bool = True
) -> ImportJob:
    """Accept a register file for an estate and queue its import; the job row shows its progress."""
    estate = Place.objects.get(pk=estate.pk)  # fresh tree fields for the scope check
    if estate.kind != PlaceKind.ESTATE:
        raise ApplicationError(_("登记册只能导入到小区。"), code="not_an_estate")
    require(actor, Action.CHANGE, estate, _("您无权修改“%(name)s”的登记册。") % {"name": estate.name})
    name = getattr(file, "name", "") or ""
    job = ImportJob(estate=estate, file_name=name.rsplit("/", 1)[-1], on=on, created_by=acting_user(actor))
    job.file.save(job.file_name or "register.csv", file, save=False)
    job.save()
    audit_record(
        actor=actor, action=ResidentsEvent.REGISTER_IMPORT_SUBMIT, obj=job, place=estate, summary=job.file_name
    )
    if run:
        from residents.tasks import register_import

        transaction.on_commit(lambda: register_import.delay(job.pk))
    return job


def register_import_run(*, job: ImportJob) -> ImportJob:
    """Validate the job's file, and import it in one transaction if every row is valid."""
    from residents.importer import run_job

    return run_job(job=job)


def register_imports_fail_stalled(*, older_than: datetime.timedelta | None = None) -> int:
    """Mark import jobs whose worker stopped mid-run as failed; return how many.

    The write is one transaction, so a worker that died left nothing half-imported: the job
    only needs to say so, and its uploaded file (clear ID numbers) must not linger.
    """
    from django.conf import settings

    older_than = older_than or datetime.timedelta(minutes=settings.GONGZHI["IMPORT_STALL_MINUTES"])
    stalled = list(
        ImportJob.objects.filter(
            state__in=(ImportState.VALIDATING, ImportState.IMPORTING), started_at__lt=timezone.now() - older_than
        )
    )
    message = _("导入中断（处理进程已停止），没有写入任何数据，请重新上传。")
    failed = 0
    for job in stalled:
        with transaction.atomic():
            # Claim it: a job that finished meanwhile keeps its own outcome.
            claimed = ImportJob.objects.filter(pk=job.pk, state=job.state).update(
                state=ImportState.FAILED,
                errors=[{"line": 0, "column": "", "message": message}],
                error_count=1,
                finished_at=timezone.now(),
            )
            if claimed:
                failed += 1
                job.file.delete(save=False)
                ImportJob.objects.filter(pk=job.pk).update(file="")
                audit_record(actor=SYSTEM, action=ResidentsEvent.REGISTER_IMPORT_STALLED, obj=job, place=job.estate)
    return failed
