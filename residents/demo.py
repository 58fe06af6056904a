"""Demo data of the register: the reference estate 南方上格林 (docs/domain.md §8).

480 flats in 26 buildings plus shops and parking spaces, with varied areas and area
sources; the developer still holding unsold units and a few undelivered ones; buyers of
several units; co-owned flats; tenants; occupancy rising from 80% (January 2019) to 95%
(December 2021); and 360 in-service party members with skills, 80% of whom took part in
estate affairs in the last twelve months. The register goes in through the same import as
a clerk's file. Idempotent: each part is skipped when it is already there.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from governance import services as governance_services
from governance.demo import CHAIR_NAME
from governance.models import Organization, OrgFunction, OrgKind, Person, Place, PlaceKind, User
from governance.scoping import SYSTEM
from residents import importer, services
from residents.identifiers import make_credit_code, make_resident_id
from residents.models import (
    Occupancy,
    OccupancyState,
    Owner,
    Ownership,
    Participation,
    PartyMember,
    PropertyUnit,
    Resident,
    ResidentRelation,
    Skill,
)

REFERENCE_ESTATE = "南方上格林"
HISTORY_START = datetime.date(2019, 1, 1)
HISTORY_END = datetime.date(2021, 12, 31)
DEVELOPER_NAME = "重庆南方上格林房地产开发有限公司"
DEVELOPER_CODE = make_credit_code(20080808)
# Buildings 1-20 have 18 flats (2 stairways x 9 floors), 21-26 have 20 (2 x 10): 480 flats.
FLATS_PER_BUILDING = {n: (9 if n <= 20 else 10) for n in range(1, 27)}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅志文斌宇浩然欣怡子涵雨轩思远晨曦佳琪"
ACTIVITIES = [
    "业主议事会",
    "消防管网改造监督",
    "楼栋环境整治",
    "垃圾分类督导",
    "矛盾纠纷调解",
    "公共收益公示核对",
    "业委会选举志愿服务",
    "恳谈会",
    "防汛巡查",
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _person_id(rng: random.Random, n: int) -> str:
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 50))
    return make_resident_id("500105", birth, n)


def _phone(n: int) -> str:
    return f"139{n:08d}"


def load(*, stdout) -> None:
    estate = Place.objects.filter(kind=PlaceKind.ESTATE, name=REFERENCE_ESTATE).first()
    if estate is None:
        stdout.write("residents: no reference estate (load the governance demo first); skipped")
        return
    with transaction.atomic():
        _register(estate, stdout)
        _residents_and_occupancy(estate)
        _party_members(estate)
        _resident_user(estate)
    stdout.write(
        f"residents: {PropertyUnit.objects.filter(estate=estate).count()} units, "
        f"{Owner.objects.filter(place=estate).count()} owners, "
        f"{PartyMember.objects.filter(organization__place__estate=estate, in_service=True).count()} in-service members"
    )


def _demo_resident_person() -> Person | None:
    user = User.objects.filter(username="resident").select_related("person").first()
    return user.person if user and user.person_id else None


def _chair_person(estate: Place) -> Person | None:
    """The general-branch secretary of the governance demo, who owns a flat and chairs the committee (一肩挑)."""
    return Person.objects.filter(name=CHAIR_NAME, place=estate).first()


def _give_identity(person: Person, serial: int, birth: datetime.date) -> None:
    if not person.id_number:
        governance_services.person_update(
            person=person, id_number=make_resident_id("500105", birth, serial), actor=SYSTEM
        )


class _NewOwners:
    """Invent owners one after another: a name, a valid ID number and a phone each."""

    def __init__(self, rng: random.Random):
        self.rng, self.serial = rng, 0

    def __call__(self) -> tuple[str, str, str]:
        self.serial += 1
        return _name(self.rng), _person_id(self.rng, self.serial), _phone(self.serial)


def _row(building, stairway, room, use, area, source, delivered, owner, share="") -> list[str]:
    """One line of the register file (``importer.COLUMNS``)."""
    name, ident, phone = owner
    developer = "yes" if ident == DEVELOPER_CODE else "no"
    return [building, stairway, room, use, str(area), source, delivered, name, ident, phone, developer, share]


def _demo_people(estate: Place) -> list[Person]:
    """The demo resident and the chair, given ID numbers so that they can own flats (and vote)."""
    resident_person = _demo_resident_person()
    if resident_person is not None and not resident_person.id_number:
        _give_identity(resident_person, 777, datetime.date(1985, 6, 1))
        governance_services.person_update(person=resident_person, phone="13912340000", actor=SYSTEM)
    chair_person = _chair_person(estate)
    if chair_person is not None:
        _give_identity(chair_person, 73, chair_person.birth_date or datetime.date(1953, 5, 12))
    return [p for p in (resident_person, chair_person) if p is not None]


def _flat_rows(buildings, rng: random.Random, new_owner: _NewOwners, people) -> tuple[list[list[str]], list]:
    """The flats (unsold, undelivered, bought with others, co-owned, the rest one owner each); the multi-unit buyers."""
    developer = (DEVELOPER_NAME, DEVELOPER_CODE, "")
    flats = [
        (f"{n}栋", str(stair), f"{floor}0{stair}")
        for n, floors in FLATS_PER_BUILDING.items()
        if f"{n}栋" in buildings
        for stair in (1, 2)
        for floor in range(1, floors + 1)
    ]
    rng.shuffle(flats)
    multi_buyers = [new_owner() for _ in range(15)]  # buyers of two or three flats each
    plan: list[tuple] = []
    for i, flat in enumerate(flats):
        if i < 20:
            plan.append((flat, [(developer, "")], True))  # unsold, still the developer's
        elif i < 26:
            plan.append((flat, [(new_owner(), "")], False))  # sold but not yet delivered
        elif i < 26 + 36:
            plan.append((flat, [(multi_buyers[(i - 26) % 15], "")], True))
        elif i < 62 + 60:
            plan.append((flat, [(new_owner(), "0.5"), (new_owner(), "0.5")], True))  # co-owned by a couple
        else:
            plan.append((flat, [(new_owner(), "")], True))
    # The demo resident owns one ordinary flat, so that they can vote; so does the chair.
    for k, person in enumerate(people):
        flat, _owners, _delivered = plan[122 + k]
        plan[122 + k] = (flat, [((person.name, person.id_number, person.phone), "")], True)
    rows = []
    for (building, stairway, room), owners, delivered in plan:
        area = Decimal(rng.randrange(6800, 14300)) / 100
        source = rng.choices(("registered", "surveyed", "contract"), weights=(85, 10, 5))[0]
        for owner, share in owners:
            rows.append(
                _row(building, stairway, room, "residential", area, source, "yes" if delivered else "no", owner, share)
            )
    return rows, multi_buyers


def _shop_and_parking_rows(rng: random.Random, new_owner: _NewOwners, multi_buyers) -> list[list[str]]:
    """Shops on the ground floor of 1栋 and 2栋, parking spaces under 26栋."""
    developer = (DEVELOPER_NAME, DEVELOPER_CODE, "")
    rows = []
    for k in range(1, 13):
        owner = developer if k <= 4 else new_owner()
        area = Decimal(rng.randrange(4000, 16000)) / 100
        rows.append(_row(f"{1 + k % 2}栋", "", f"商铺{k:02d}", "commercial", area, "registered", "yes", owner))
    for k in range(1, 61):
        if k <= 24:
            owner = developer
        elif k <= 54:
            owner = multi_buyers[k % 15]  # a flat and a parking space: still one owner
        else:
            owner = new_owner()
        area = Decimal(rng.randrange(1200, 1600)) / 100
        rows.append(_row("26栋", "车库", f"P{k:03d}", "parking", area, "registered", "yes", owner))
    return rows


def _register(estate: Place, stdout) -> None:
    """Build the register as a clerk's CSV file and import it through the import service."""
    if PropertyUnit.objects.filter(estate=estate).exists():
        return
    rng = random.Random(2021)
    buildings = {b.name: b for b in Place.objects.filter(kind=PlaceKind.BUILDING, estate=estate)}
    people = _demo_people(estate)
    new_owner = _NewOwners(rng)
    rows, multi_buyers = _flat_rows(buildings, rng, new_owner, people)
    rows += _shop_and_parking_rows(rng, new_owner, multi_buyers)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(importer.COLUMNS)
    writer.writerows(rows)
    report, _summary = services.register_import_file(
        estate=estate,
        file=io.BytesIO(buffer.getvalue().encode()),
        name="demo-register.csv",
        on=HISTORY_START,
        actor=SYSTEM,
    )
    if not report.ok:  # a bug in the demo itself: say where
        raise RuntimeError(f"demo register invalid: {report.errors[:5]}")
    # Two later sales keep some history on the roll.
    sold = list(PropertyUnit.objects.filter(estate=estate, use="residential", delivered=True).order_by("pk")[200:202])
    for n, unit in enumerate(sold):
        person = Person.objects.create(name=_name(rng), place=estate)
        person.set_id_number(_person_id(rng, 90000 + n))
        person.save()
        buyer = services.owner_create(estate=estate, person=person, actor=SYSTEM)
        services.ownership_transfer(unit=unit, new_owners=[buyer], on=datetime.date(2021, 5, 1 + n), actor=SYSTEM)


def _residents_and_occupancy(estate: Place) -> None:
    """Who lives where, and occupancy going from 80% to 95% between 2019 and 2021."""
    if Occupancy.objects.filter(unit__estate=estate).exists():
        return
    rng = random.Random(95)
    flats = list(
        PropertyUnit.objects.filter(estate=estate, use="residential").order_by("pk").values_list("pk", "delivered")
    )
    total = len(flats)
    holders = {}
    for unit_id, person_id in (
        Ownership.objects.active_on(HISTORY_END)
        .filter(unit__estate=estate, owner__person__isnull=False)
        .order_by("unit_id", "owner_id")
        .values_list("unit_id", "owner__person_id")
    ):
        holders.setdefault(unit_id, person_id)
    # Vacant at the end: the undelivered flats, then others; 5% in all.
    undelivered = [u for u, d in flats if not d]
    others = [u for u, d in flats if d]
    rng.shuffle(others)
    vacant_at_end = set(undelivered + others[: total * 5 // 100 - len(undelivered)])
    occupied_at_end = [u for u, _d in flats if u not in vacant_at_end]
    rng.shuffle(occupied_at_end)
    start_count = total * 80 // 100
    from_start, moving_in = occupied_at_end[:start_count], occupied_at_end[start_count:]
    months = (HISTORY_END.year - HISTORY_START.year) * 12 + HISTORY_END.month - HISTORY_START.month
    states, residents, tenants = [], [], []
    for unit_id in from_start:
        states.append(Occupancy(unit_id=unit_id, state=OccupancyState.OCCUPIED, since=HISTORY_START))
    for i, unit_id in enumerate(moving_in):
        month = 1 + i * months // len(moving_in)
        since = datetime.date(HISTORY_START.year + month // 12, month % 12 + 1, 10)
        states.append(Occupancy(unit_id=unit_id, state=OccupancyState.VACANT, since=HISTORY_START))
        states.append(Occupancy(unit_id=unit_id, state=OccupancyState.OCCUPIED, since=since))
    for unit_id in vacant_at_end:
        states.append(Occupancy(unit_id=unit_id, state=OccupancyState.VACANT, since=HISTORY_START))
    Occupancy.objects.bulk_create(states)
    moved_in = {s.unit_id: s.since for s in states if s.state == OccupancyState.OCCUPIED}
    for n, (unit_id, since) in enumerate(sorted(moved_in.items())):
        owner_person = holders.get(unit_id)
        if owner_person is None or n % 9 == 0:  # the developer's flats, and some owners', are let
            tenants.append((unit_id, since))
            continue
        residents.append(
            Resident(unit_id=unit_id, person_id=owner_person, relation=ResidentRelation.OWNER, start=since)
        )
    tenant_people = Person.objects.bulk_create([Person(name=_name(rng), place=estate) for _ in tenants])
    residents.extend(
        Resident(unit_id=unit_id, person=person, relation=ResidentRelation.TENANT, start=since)
        for (unit_id, since), person in zip(tenants, tenant_people, strict=True)
    )
    Resident.objects.bulk_create(residents)


def _party_members(estate: Place) -> None:
    """360 in-service members with skills; 80% took part in the last twelve months."""
    branch = Organization.objects.filter(
        kind=OrgKind.FUNCTIONAL_BRANCH, function=OrgFunction.IN_SERVICE, place=estate
    ).first()
    if branch is None or PartyMember.objects.filter(organization=branch).exists():
        return
    chair = _chair_person(estate)
    general = Organization.objects.filter(kind=OrgKind.ESTATE_GENERAL_BRANCH, place=estate).first()
    if chair is not None and general is not None and not PartyMember.objects.filter(person=chair).exists():
        services.party_member_register(
            person=chair, organization=general, registered_on=datetime.date(1978, 7, 1), actor=SYSTEM
        )
    rng = random.Random(360)
    taken = set(PartyMember.objects.values_list("person_id", flat=True))
    owners = [
        p
        for p in Owner.objects.filter(place=estate, person__isnull=False)
        .order_by("pk")
        .values_list("person_id", flat=True)
        if p not in taken
    ][:360]
    people = owners + [
        p.pk
        for p in Person.objects.bulk_create([Person(name=_name(rng), place=estate) for _ in range(360 - len(owners))])
    ]
    members = PartyMember.objects.bulk_create(
        [
            PartyMember(
                person_id=pid,
                organization=branch,
                in_service=True,
                registered_on=datetime.date(2019, 3, 1) + datetime.timedelta(days=rng.randrange(0, 700)),
                workplace=rng.choice(
                    ["市设计院", "区建委", "重庆大学", "律师事务所", "会计师事务所", "区医院", "国网江北供电"]
                ),
            )
            for pid in people
        ]
    )
    skills = list(Skill.objects.order_by("code"))
    through = PartyMember.skills.through
    links = []
    by_code = {s.code: s for s in skills}
    # The fire-main renovation's expert team: engineers, cost engineers, a lawyer, an accountant.
    experts = ["engineer", "engineer", "cost_engineer", "cost_engineer", "lawyer", "accountant", "fire_safety"]
    for member, code in zip(members, experts, strict=False):
        if code in by_code:
            links.append(through(partymember_id=member.pk, skill_id=by_code[code].pk))
    for member in members[len(experts) :]:
        if skills and rng.random() < 0.45:
            for skill in rng.sample(skills, rng.choice((1, 1, 2))):
                links.append(through(partymember_id=member.pk, skill_id=skill.pk))
    through.objects.bulk_create(links, ignore_conflicts=True)
    today = timezone.localdate()
    active = members[: len(members) * 80 // 100]
    records = []
    for member in active:
        for _ in range(rng.randint(1, 4)):
            records.append(
                Participation(
                    member=member,
                    date=today - datetime.timedelta(days=rng.randrange(0, 360)),
                    activity=rng.choice(ACTIVITIES),
                )
            )
    for member in members[len(active) :: 3]:  # some took part, but more than a year ago
        records.append(
            Participation(
                member=member,
                date=today - datetime.timedelta(days=rng.randrange(400, 900)),
                activity=rng.choice(ACTIVITIES),
            )
        )
    Participation.objects.bulk_create(records)


def _resident_user(estate: Place) -> None:
    """Make sure the demo ``resident`` user owns a unit and lives in it, so they can vote."""
    person = _demo_resident_person()
    if person is None:
        return
    owner = Owner.objects.filter(person=person).first()
    if owner is None or not Ownership.objects.active_on(timezone.localdate()).filter(owner=owner).exists():
        unit = (
            PropertyUnit.objects.filter(estate=estate, use="residential", delivered=True, ownerships__isnull=True)
            .order_by("pk")
            .first()
        )
        if unit is None:
            return
        owner = owner or services.owner_create(estate=estate, person=person, actor=SYSTEM)
        services.ownership_transfer(unit=unit, new_owners=[owner], on=HISTORY_START, actor=SYSTEM)
    unit = Ownership.objects.active_on(timezone.localdate()).filter(owner=owner).first().unit
    if not Resident.objects.filter(person=person, unit=unit).exists():
        Resident.objects.create(unit=unit, person=person, relation=ResidentRelation.OWNER, start=HISTORY_START)
