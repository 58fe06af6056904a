"""Writes of the register: units, owners and ownership, residents and occupancy, party members, imports, exports.

Every service takes the acting user (``actor``) and checks the right itself with
``governance.scoping.require``: the API, the admin, the web pages, the commands and the
tasks call the same function, so they cannot disagree on who may do what. Code that no
person drives passes ``SYSTEM``. Each write is audited; updates record old and new values;
reveals and exports of personal data are recorded here, where they happen.

The bulk import of a whole register is the ``residents.importer`` package, run by
``register_import_run`` (a queued job) or ``register_import_file`` (a command).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict, NotPermitted
from core.queueing import enqueue_on_commit, resend_pending
from core.uploads import check_upload
from governance.audit import apply_changes, audit_record
from governance.models import Organization, Person, Place, PlaceKind, User
from governance.rules import rule
from governance.scoping import EVERYWHERE, SYSTEM, Action, acting_user, require, require_unrestricted, scope_filter
from residents import importer
from residents.events import ResidentsEvent
from residents.exports import OwnerResource
from residents.identifiers import is_credit_code
from residents.models import (
    AREA_PRECEDENCE,
    TWO_PLACES,
    EstateUnitCount,
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
    area_refusal,
)

logger = logging.getLogger(__name__)

# Units ----------------------------------------------------------------------------------------

UNIT_FIELDS = ("stairway", "room", "use", "registered_area", "surveyed_area", "contract_area", "delivered")


def _check_building(building: Place) -> None:
    if building.kind != PlaceKind.BUILDING or building.estate_id is None:
        raise ApplicationError(
            _("专有部分必须属于某个小区内的楼栋，“%(name)s”不是楼栋。") % {"name": building.name}, code="not_a_building"
        )


AREA_FIELDS = tuple(f"{source}_area" for source in AREA_PRECEDENCE)


def _area(name: str, value) -> Decimal | None:
    """An area field's value checked by the one area rule, to two places; ``None`` stays ``None``."""
    if value is None:
        return None
    refusal = area_refusal(Decimal(value))
    if refusal:
        raise ApplicationError(refusal, code="invalid_area", extra={"fields": {name: [refusal]}})
    return Decimal(value).quantize(TWO_PLACES)


def _unit_value(name: str, value):
    """A unit field's value as stored: areas checked and to two places, numbers without surrounding spaces."""
    if name in AREA_FIELDS:
        return _area(name, value)
    if name in ("stairway", "room") and isinstance(value, str):
        return value.strip()
    return value


def _apply_areas(unit: PropertyUnit) -> None:
    """Set the counted area from the best source present (docs/domain.md §4)."""
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


def _fresh(place: Place) -> Place:
    """``place`` with its tree fields as they are now: a caller's copy may predate later inserts in the tree."""
    return Place.objects.only("name", "tree_id", "lft", "rght", "level", "kind").get(pk=place.pk)


def _require(actor, action: str, place: Place, message: str) -> None:
    """Refuse unless ``actor`` may do ``action`` at ``place``, judged on the place's current position in the tree."""
    require(actor, action, place if actor is SYSTEM or actor is None else _fresh(place), message)


def _require_change(actor, place: Place) -> None:
    """Refuse unless ``actor`` keeps the register where ``place`` is (the community, not the committee)."""
    _require(actor, Action.KEEP_REGISTER, place, _("您无权修改“%(name)s”的登记册。") % {"name": place.name})


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
    """Register an exclusive unit (专有部分) in a building; its counted area follows docs/domain.md §4."""
    _require_change(actor, building)
    _check_building(building)
    unit = PropertyUnit(
        building=building,
        estate_id=building.estate_id,
        stairway=stairway.strip(),
        room=room.strip(),
        use=use,
        registered_area=_area("registered_area", registered_area),
        surveyed_area=_area("surveyed_area", surveyed_area),
        contract_area=_area("contract_area", contract_area),
        delivered=delivered,
    )
    _apply_areas(unit)
    _refuse_duplicate_unit(unit)
    unit.save()
    audit_record(actor=actor, action=ResidentsEvent.UNIT_CREATE, obj=unit, place=building, summary=unit.label)
    return unit


@transaction.atomic
def unit_update(*, unit: PropertyUnit, actor, **fields) -> PropertyUnit:
    """Change a unit's number, use, areas or delivery; the counted area is recomputed, old and new values logged."""
    _require_change(actor, unit.building)
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise ApplicationError(_("不能修改这些字段：%s") % ", ".join(sorted(unknown)), code="invalid_field")
    values = {name: _unit_value(name, value) for name, value in fields.items()}
    counted_before = (unit.area, unit.area_source)
    changes = apply_changes(unit, values)
    if not changes:
        return unit
    _apply_areas(unit)
    for name, old in zip(("area", "area_source"), counted_before, strict=True):
        if getattr(unit, name) != old:
            changes[name] = (old, getattr(unit, name))
    _refuse_duplicate_unit(unit)
    unit.save(update_fields=[*changes, "updated_at"])
    audit_record(
        actor=actor,
        action=ResidentsEvent.UNIT_UPDATE,
        obj=unit,
        place=unit.building,
        summary=unit.label,
        changes=changes,
    )
    return unit


@transaction.atomic
def unit_counts_repair(*, actor) -> list[dict]:
    """Count every estate's units again, set the kept counts (``EstateUnitCount``) to match, return the differences.

    The database's triggers keep the counts exact, so a difference means they were bypassed
    (a trigger dropped, a count edited by hand); each repair is audited with what it changed.
    """
    require_unrestricted(actor, _("只有系统管理员可以重新统计专有部分数。"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Unit writes wait until the counts are set: none can fall between the count and the repair.
            cursor.execute("LOCK TABLE residents_propertyunit IN SHARE MODE")
    actual = {
        (estate_id, use): n
        for estate_id, use, n in PropertyUnit.objects.values("estate_id", "use")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("estate_id", "use", "n")
    }
    kept = {(e, u): n for e, u, n in EstateUnitCount.objects.values_list("estate_id", "use", "units")}
    differences = [
        {
            "estate": estate_id,
            "use": use,
            "kept": kept.get((estate_id, use)),
            "counted": actual.get((estate_id, use), 0),
        }
        for estate_id, use in sorted(actual.keys() | kept.keys())
        if actual.get((estate_id, use), 0) != kept.get((estate_id, use), 0)
    ]
    for row in differences:
        EstateUnitCount.objects.update_or_create(
            estate_id=row["estate"], use=row["use"], defaults={"units": row["counted"]}
        )
    if differences:
        audit_record(
            actor=actor,
            action=ResidentsEvent.UNIT_COUNTS_REPAIR,
            summary=_("%(n)s 项小区专有部分数已按登记册重新统计") % {"n": len(differences)},
            data={"differences": differences},
        )
    return differences


# Owners and ownership --------------------------------------------------------------------------


def _organization_name(org_name: str) -> str:
    """The organization-owner name rule, written once: an organization owner has a name."""
    name = (org_name or "").strip()
    if not name:
        message = _("单位业主必须填写单位名称；个人业主请指定人员。")
        raise ApplicationError(message, code="missing_name", extra={"fields": {"org_name": [message]}})
    return name


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
    _require_change(actor, estate)
    if person is not None:
        if Owner.objects.filter(person=person).exists():
            raise Conflict(_("“%(name)s”已是业主，无需重复登记。") % {"name": person.name}, code="duplicate_owner")
        owner = Owner(kind=OwnerKind.PERSON, person=person, place=estate, is_developer=is_developer)
    else:
        owner = Owner(
            kind=OwnerKind.ORGANIZATION, org_name=_organization_name(org_name), place=estate, is_developer=is_developer
        )
        owner.set_credit_code(credit_code)
        if owner.credit_code and not is_credit_code(owner.credit_code):
            message = _("统一社会信用代码格式或校验位不正确。")
            raise ApplicationError(message, code="invalid_credit_code", extra={"fields": {"credit_code": [message]}})
        if owner.credit_code_hash and Owner.objects.filter(credit_code_hash=owner.credit_code_hash).exists():
            raise Conflict(_("统一社会信用代码已登记为业主。"), code="duplicate_owner")
    owner.save()
    audit_record(actor=actor, action=ResidentsEvent.OWNER_CREATE, obj=owner, place=estate, summary=owner.name)
    return owner


OWNER_FIELDS = ("org_name", "is_developer")


@transaction.atomic
def owner_update(*, owner: Owner, actor, **fields) -> Owner:
    """Change an organization owner's name, or whether an owner is the developer; old and new values are logged."""
    _require_change(actor, owner.place)
    unknown = set(fields) - set(OWNER_FIELDS)
    if unknown:
        raise ApplicationError(_("不能修改这些字段：%s") % ", ".join(sorted(unknown)), code="invalid_field")
    if "org_name" in fields:
        if owner.kind == OwnerKind.PERSON:
            if (fields["org_name"] or "").strip():
                raise ApplicationError(_("个人业主没有单位名称，请修改人员的姓名。"), code="invalid_field")
            fields.pop("org_name")
        else:
            fields["org_name"] = _organization_name(fields["org_name"])
    changes = apply_changes(owner, fields)
    if changes:
        owner.save(update_fields=list(changes))
        audit_record(
            actor=actor,
            action=ResidentsEvent.OWNER_UPDATE,
            obj=owner,
            place=owner.place,
            summary=owner.name,
            changes=changes,
        )
    return owner


@transaction.atomic
def owner_for_person(*, person: Person, estate: Place, actor) -> Owner:
    """Return the person's owner record, creating it in ``estate`` if they have none yet."""
    _require_change(actor, estate)
    existing = Owner.objects.filter(person=person).first()
    return existing or owner_create(estate=estate, person=person, actor=actor)


@transaction.atomic
def owner_reveal(*, owner: Owner, actor: User) -> dict:
    """Show an owner's whole ID and phone numbers to a role that needs them, and log the reveal."""
    _require(actor, Action.VIEW_PERSONAL, owner.place, _("您的角色不能查看完整的身份证号和手机号。"))
    person = owner.person
    audit_record(actor=actor, action=ResidentsEvent.OWNER_REVEAL, obj=owner, place=owner.place, summary=owner.name)
    return {
        "id": owner.pk,
        "id_number": person.id_number if person else owner.credit_code,
        "phone": person.phone if person else "",
    }


@transaction.atomic
def owners_export(*, owners, file_format, actor, fields: list[str] | None = None):
    """Export ``owners`` (a queryset) as a spreadsheet of ``file_format``, masked and formula-safe; log it per estate.

    ``file_format`` is a django-import-export format (``CSV()``, ``XLSX()``); ``fields``
    limits the columns. Refused unless the actor may read every owner exported. Each
    estate's audit trail records who exported how many of its owners, in which format.
    """
    require(actor, Action.VIEW, None, _("您无权导出业主名册。"))
    if actor is not SYSTEM:
        scope = scope_filter(Owner, actor, Action.VIEW)
        if scope is not EVERYWHERE and owners.exclude(scope).exists():
            raise NotPermitted(_("导出范围包含您无权查看的业主，请先按小区筛选。"))
    owners = owners.select_related("person", "place")
    data = file_format.export_data(OwnerResource().export(queryset=owners, export_fields=fields))
    per_estate = dict(owners.order_by().values_list("place_id").annotate(n=Count("id")))
    title = file_format.get_title()
    for estate in Place.objects.filter(pk__in=per_estate).order_by("pk"):
        rows = per_estate[estate.pk]
        audit_record(
            actor=actor,
            action=ResidentsEvent.REGISTER_EXPORT,
            place=estate,
            summary=_("导出业主名册 %(rows)s 行（%(format)s）") % {"rows": rows, "format": title},
            data={"what": "owners", "rows": rows, "format": title, "fields": list(fields or [])},
        )
    return data


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
    _require_change(actor, unit.building)
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


def _refuse_occupancy_out_of_order(unit: PropertyUnit, on: datetime.date) -> None:
    """Refuse a move dated before the unit's latest occupancy record: the history after it would be wrong.

    The occupancy records follow the moves in the order they are entered; a move slipped in
    before a later record (a vacancy from a later move-out) would leave that record saying
    the unit is empty while someone lives there.
    """
    later = Occupancy.objects.filter(unit=unit, since__gt=on).order_by("-since").first()
    if later is not None:
        raise Conflict(
            _("该房屋自 %(day)s 起已有入住状态记录（%(state)s），迁入或迁出日期不能早于此日；请按时间顺序登记。")
            % {"day": later.since.isoformat(), "state": later.get_state_display()},
            code="out_of_order",
        )


@transaction.atomic
def resident_move_in(*, unit: PropertyUnit, person: Person, relation: str, on: datetime.date, actor) -> Resident:
    """Record a person moving into a unit; an empty unit becomes occupied that day."""
    _require_change(actor, unit.building)
    # Lock the unit so that two clerks entering moves for it keep its occupancy history in order.
    PropertyUnit.objects.select_for_update().filter(pk=unit.pk).first()
    if Resident.objects.current(on).filter(unit=unit, person=person).exists():
        raise Conflict(_("“%(name)s”已登记住在该房屋。") % {"name": person.name}, code="already_resident")
    later = Resident.objects.filter(unit=unit, person=person, start__gt=on, end__isnull=True).order_by("start").first()
    if later is not None:
        raise Conflict(
            _("“%(name)s”在该房屋已有自 %(day)s 起的居住记录，不能再登记更早的入住；如入住日期有误，请先更正该记录。")
            % {"name": person.name, "day": later.start.isoformat()},
            code="overlapping_residency",
        )
    _refuse_occupancy_out_of_order(unit, on)
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
    unit = resident.unit
    _require_change(actor, unit.building)
    PropertyUnit.objects.select_for_update().filter(pk=unit.pk).first()
    if resident.end is not None:
        raise Conflict(_("该居民已迁出。"), code="already_moved_out")
    if on <= resident.start:
        raise ApplicationError(_("迁出日期必须晚于入住日期 %(day)s。") % {"day": resident.start}, code="invalid_date")
    _refuse_occupancy_out_of_order(unit, on)
    changes = apply_changes(resident, {"end": on})
    resident.save(update_fields=list(changes))
    if not Resident.objects.current(on).filter(unit=unit).exists():
        Occupancy.objects.update_or_create(unit=unit, since=on, defaults={"state": OccupancyState.VACANT})
    audit_record(
        actor=actor,
        action=ResidentsEvent.RESIDENT_MOVE_OUT,
        obj=resident,
        place=unit.building,
        summary=resident.person.name,
        data={"on": str(on)},
        changes=changes,
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
    _require_change(actor, organization.place)
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


PARTY_MEMBER_FIELDS = ("organization", "in_service", "registered_on", "workplace", "skills")


@transaction.atomic
def party_member_update(*, member: PartyMember, actor, **fields) -> PartyMember:
    """Change a member's organization, in-service registration, workplace or skills; old and new values logged.

    Moving a member to another organization needs the right where they are and where they go.
    """
    _require_change(actor, member.organization.place)
    unknown = set(fields) - set(PARTY_MEMBER_FIELDS)
    if unknown:
        raise ApplicationError(_("不能修改这些字段：%s") % ", ".join(sorted(unknown)), code="invalid_field")
    skills = fields.pop("skills", None)
    if "organization" in fields and fields["organization"] != member.organization:
        _require_change(actor, fields["organization"].place)
    changes = apply_changes(member, fields)
    if changes:
        member.save(update_fields=list(changes))
    if skills is not None:
        old = sorted(member.skills.values_list("code", flat=True))
        new = sorted(skill.code for skill in skills)
        if old != new:
            member.skills.set(list(skills))
            changes["skills"] = (old, new)
    if changes:
        audit_record(
            actor=actor,
            action=ResidentsEvent.PARTY_MEMBER_UPDATE,
            obj=member,
            place=member.organization.place,
            summary=member.person.name,
            changes=changes,
        )
    return member


@transaction.atomic
def participation_record(*, member: PartyMember, date: datetime.date, activity: str, actor) -> Participation:
    """Record a member's part in an estate affair."""
    _require_change(actor, member.organization.place)
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


def _import_estate(estate: Place, actor) -> Place:
    """The estate a register is imported into, after checking that it is one and that ``actor`` may change it."""
    estate = Place.objects.get(pk=estate.pk)  # fresh tree fields for the scope check
    _require_change(actor, estate)
    if estate.kind != PlaceKind.ESTATE:
        raise ApplicationError(_("登记册只能导入到小区。"), code="not_an_estate")
    return estate


@transaction.atomic
def register_import_submit(
    *, estate: Place, file, actor, on: datetime.date | None = None, run: bool = True
) -> ImportJob:
    """Accept a register file for an estate and queue its import; the job row shows its progress.

    The file is checked (size, type by content, XLSX bombs) before anything is stored or parsed.
    """
    estate = _import_estate(estate, actor)
    check_upload(file, "register")
    name = getattr(file, "name", "") or ""
    job = ImportJob(estate=estate, file_name=name.rsplit("/", 1)[-1], on=on, created_by=acting_user(actor))
    job.file.save(job.file_name or "register.csv", file, save=False)
    job.save()
    audit_record(
        actor=actor, action=ResidentsEvent.REGISTER_IMPORT_SUBMIT, obj=job, place=estate, summary=job.file_name
    )
    if run:
        # Imported here, not at the top: ``residents.tasks`` imports this module (a real cycle).
        from residents.tasks import register_import

        # With the broker unreachable the job stays pending; ``register_imports_resend_pending`` sends it again.
        enqueue_on_commit(register_import, job.pk)
    return job


def register_import_file(
    *, estate: Place, file, name: str, actor, on: datetime.date | None = None
) -> tuple[importer.Report, dict]:
    """Import a register file now (a command, the demo): check it, validate it, write it if every row is valid.

    Returns the report and what changed (empty when the file has errors). Not one
    transaction: validation stages the rows, committed, and the write is its own transaction.
    """
    estate = _import_estate(estate, actor)
    check_upload(file, "register")
    report = importer.validate(file, name, estate)
    if not report.ok:
        return report, {}
    return report, importer.write(estate, report, on=on or timezone.localdate(), actor=actor)


def _run_job_import(job: ImportJob, actor, progress: importer.JobProgress) -> None:
    """Validate the job's file and write it if valid, keeping the job row's progress and outcome."""
    with job.file.open("rb") as fh:
        report = importer.validate(
            fh, job.file_name or job.file.name, job.estate, progress=lambda n: progress.set(processed_rows=n)
        )
    progress.set(processed_rows=report.rows, total_rows=report.rows, total_units=report.units)
    if not report.ok:
        job.errors, job.error_count, job.state = report.errors, report.error_count, ImportState.INVALID
        return
    progress.set(state=ImportState.IMPORTING)
    job.summary = importer.write(
        job.estate,
        report,
        on=job.on or timezone.localdate(),
        actor=actor,
        job=job,
        progress=lambda n: progress.set(written_units=n),
    )
    job.written_units, job.state = report.units, ImportState.DONE


def _job_failed(job: ImportJob, message: str) -> None:
    job.state, job.errors, job.error_count = ImportState.FAILED, [{"line": 0, "column": "", "message": message}], 1


def register_import_run(*, job: ImportJob) -> ImportJob:
    """Run one import job: claim it, validate, write, and record the outcome on the job row.

    The job acts for the user who submitted the file (the system for a job queued by no
    person), with that user's rights as they are when it runs.
    """
    claimed = ImportJob.objects.filter(pk=job.pk, state=ImportState.PENDING).update(
        state=ImportState.VALIDATING, started_at=timezone.now()
    )
    if not claimed:  # already run by another worker, or a retry of a finished job
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    actor = job.created_by or SYSTEM
    progress = importer.JobProgress(job)
    try:
        _require_change(actor, job.estate)
        _run_job_import(job, actor, progress)
    except NotPermitted as exc:
        _job_failed(job, exc.message)
    except Exception as exc:  # the job row must say it failed, whatever failed
        logger.exception("register import %s failed", job.pk)
        _job_failed(job, str(exc))
    finally:
        progress.close()
        job.finished_at = timezone.now()
        # The uploaded file holds ID and phone numbers in clear: keep it no longer than the import.
        job.file.delete(save=False)
        job.save()
    return job


def register_imports_resend_pending(*, actor, now: datetime.datetime | None = None) -> list[int]:
    """Send again the jobs still pending ``QUEUE_RESEND_MINUTES`` after their submission; return their ids.

    Their message was lost (the broker was unreachable when they were submitted, see
    ``core.queueing``). Sending twice is safe: ``register_import_run`` claims a job once.
    """
    require_unrestricted(actor, _("只有平台或超级管理员能重新发送排队中的导入。"))
    # Imported here, not at the top: ``residents.tasks`` imports this module (a real cycle).
    from residents.tasks import register_import

    waited = datetime.timedelta(minutes=rule("QUEUE_RESEND_MINUTES"))
    pending = ImportJob.objects.filter(state=ImportState.PENDING)
    return resend_pending(pending, register_import, waited=waited, now=now or timezone.now())


def register_imports_fail_stalled(*, actor, older_than: datetime.timedelta | None = None) -> int:
    """Mark import jobs whose worker stopped mid-run as failed; return how many.

    The write is one transaction, so a worker that died left nothing half-imported: the job
    only needs to say so, and its uploaded file (clear ID numbers) must not linger. The beat
    job runs this as ``SYSTEM``; a person must be allowed to change every estate concerned.
    """
    require(actor, Action.CHANGE, None)
    older_than = older_than or datetime.timedelta(minutes=rule("IMPORT_STALL_MINUTES"))
    stalled = list(
        ImportJob.objects.filter(
            state__in=(ImportState.VALIDATING, ImportState.IMPORTING), started_at__lt=timezone.now() - older_than
        ).select_related("estate")
    )
    for job in stalled:
        _require_change(actor, job.estate)
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
                audit_record(actor=actor, action=ResidentsEvent.REGISTER_IMPORT_STALLED, obj=job, place=job.estate)
    return failed
