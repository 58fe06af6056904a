"""Demo data of the governance layer: Jiangbei district and the Nanfang Shanggelin estate (docs/domain.md §8).

Idempotent: every object is looked up by its natural key before it is created.
"""

import datetime

from django.db import transaction

from governance import services
from governance.models import (
    Organization,
    OrgFunction,
    OrgKind,
    Person,
    Place,
    PlaceKind,
    Post,
    PostBody,
    PostKind,
    Role,
    RoleAssignment,
    User,
)
from governance.scoping import SYSTEM

DEMO_PASSWORD = "gongzhi-demo"
REFERENCE_ESTATE = "南方上格林"
# Building complexes (楼苑) of the reference estate and their buildings: 26 in all.
COMPLEXES = {"A苑": range(1, 7), "B苑": range(7, 13), "C苑": range(13, 18), "D苑": range(18, 23), "E苑": range(23, 27)}
# The general-branch secretary who also chairs the owners' committee (一肩挑), aged 73 in the reference report.
CHAIR_NAME = "王德明"
CHAIR_BIRTH = datetime.date(1953, 5, 12)

DEMO_USERS = [
    # username, role, place name, staff
    ("auditor", Role.DISTRICT_AUDITOR, "江北区", False),
    ("reviewer", Role.DISCIPLINE_REVIEWER, "观音桥街道", False),
    ("street", Role.STREET_STAFF, "观音桥街道", True),
    ("secretary", Role.COMMUNITY_SECRETARY, "南桥苑社区", True),
    ("committee", Role.COMMITTEE_MEMBER, REFERENCE_ESTATE, False),
    ("clerk", Role.CLERK, REFERENCE_ESTATE, False),
    ("resident", Role.RESIDENT, REFERENCE_ESTATE, False),
]


def ensure_place(kind: str, name: str, parent: Place | None, **extra) -> Place:
    existing = Place.objects.filter(kind=kind, name=name, parent=parent).first()
    return existing or services.place_create(kind=kind, name=name, parent=parent, actor=SYSTEM, **extra)


def ensure_org(kind: str, name: str, place: Place, parent: Organization | None, **extra) -> Organization:
    existing = Organization.objects.filter(kind=kind, name=name, parent=parent).first()
    return existing or services.organization_create(
        kind=kind, name=name, place=place, parent=parent, actor=SYSTEM, **extra
    )


def ensure_person(name: str, place: Place, **extra) -> Person:
    existing = Person.objects.filter(name=name, place=place).first()
    return existing or services.person_create(name=name, place=place, actor=SYSTEM, **extra)


def ensure_post(person: Person, kind: str, body: str, *, organization=None, place=None, start=None) -> Post:
    lookup = {"person": person, "kind": kind, "body": body, "organization": organization}
    if body != PostBody.PARTY:
        lookup["place"] = place
    existing = Post.objects.filter(**lookup).first()
    return existing or services.post_create(
        person=person, kind=kind, body=body, organization=organization, place=place, start=start, actor=SYSTEM
    )


def _estate(community: Place, name: str, buildings: int, *, branch: bool, groups: bool, committee: bool, **extra):
    """A smaller estate of the demo, built to differ from the reference one."""
    estate = ensure_place(PlaceKind.ESTATE, name, community, **extra)
    places = [ensure_place(PlaceKind.BUILDING, f"{n}栋", estate) for n in range(1, buildings + 1)]
    community_committee = Organization.objects.get(kind=OrgKind.COMMUNITY_COMMITTEE, place=community)
    if branch:
        general = ensure_org(OrgKind.ESTATE_GENERAL_BRANCH, f"{name}小区党总支", estate, community_committee)
        if groups:
            resident = ensure_org(OrgKind.RESIDENT_BRANCH, f"{name}居民党支部", estate, general)
            for building in places:
                ensure_org(OrgKind.BUILDING_GROUP, f"{name}{building.name}党小组", building, resident)
    if committee:
        chair = ensure_person(f"{name}业委会主任", estate)
        ensure_post(chair, PostKind.CHAIR, PostBody.OWNERS_COMMITTEE, place=estate, start=datetime.date(2022, 6, 1))
    return estate


@transaction.atomic
def load(*, stdout) -> None:
    district = ensure_place(PlaceKind.DISTRICT, "江北区", None, code="500105")
    guanyinqiao = ensure_place(PlaceKind.STREET, "观音桥街道", district)
    shimahe = ensure_place(PlaceKind.STREET, "石马河街道", district)
    wulidian = ensure_place(PlaceKind.STREET, "五里店街道", district)
    yuzui = ensure_place(PlaceKind.TOWN, "鱼嘴镇", district)
    communities = {
        "南桥苑社区": ensure_place(PlaceKind.COMMUNITY, "南桥苑社区", guanyinqiao),
        "北城天街社区": ensure_place(PlaceKind.COMMUNITY, "北城天街社区", guanyinqiao),
        "石马河社区": ensure_place(PlaceKind.COMMUNITY, "石马河社区", shimahe),
        "五里店社区": ensure_place(PlaceKind.COMMUNITY, "五里店社区", wulidian),
        "鱼嘴社区": ensure_place(PlaceKind.COMMUNITY, "鱼嘴社区", yuzui),
    }
    committees = {
        name: ensure_org(OrgKind.COMMUNITY_COMMITTEE, f"{name}党委", community, None)
        for name, community in communities.items()
    }

    # The reference estate, exactly as docs/domain.md §8 gives it.
    community = communities["南桥苑社区"]
    estate = ensure_place(PlaceKind.ESTATE, REFERENCE_ESTATE, community)
    general = ensure_org(OrgKind.ESTATE_GENERAL_BRANCH, "南方上格林小区党总支", estate, committees["南桥苑社区"])
    for function, label in (
        (OrgFunction.OWNERS_COMMITTEE, "业委会党支部"),
        (OrgFunction.PROPERTY_COMPANY, "物业党支部"),
        (OrgFunction.IN_SERVICE, "在职党员党支部"),
    ):
        ensure_org(OrgKind.FUNCTIONAL_BRANCH, f"南方上格林{label}", estate, general, function=function)
    for complex_name, numbers in COMPLEXES.items():
        complex_place = ensure_place(PlaceKind.COMPLEX, complex_name, estate)
        branch = ensure_org(OrgKind.RESIDENT_BRANCH, f"南方上格林{complex_name}党支部", complex_place, general)
        for n in numbers:
            building = ensure_place(PlaceKind.BUILDING, f"{n}栋", complex_place)
            ensure_org(OrgKind.BUILDING_GROUP, f"南方上格林{n}栋党小组", building, branch)

    chair = ensure_person(CHAIR_NAME, estate, birth_date=CHAIR_BIRTH, phone="13800000073")
    since = datetime.date(2020, 8, 1)
    ensure_post(chair, PostKind.SECRETARY, PostBody.PARTY, organization=general, start=since)
    ensure_post(chair, PostKind.COMMITTEE_MEMBER, PostBody.PARTY, organization=committees["南桥苑社区"], start=since)
    ensure_post(chair, PostKind.CHAIR, PostBody.OWNERS_COMMITTEE, place=estate, start=since)
    ensure_post(chair, PostKind.LEADER, PostBody.RESIDENTS_GROUP, place=estate, start=since)
    community_secretary = ensure_person("李红", community, phone="13900000001")
    ensure_post(
        community_secretary, PostKind.SECRETARY, PostBody.PARTY, organization=committees["南桥苑社区"], start=since
    )
    commissioner = ensure_person("陈静", community)
    ensure_post(commissioner, PostKind.PROPERTY_COMMISSIONER, PostBody.COMMUNITY_STAFF, place=community, start=since)

    # Smaller estates that differ, so that coverage is not 100%.
    _estate(communities["南桥苑社区"], "观音桥花园", 4, branch=False, groups=False, committee=True)
    _estate(communities["北城天街社区"], "北城华府", 6, branch=True, groups=True, committee=True)
    _estate(communities["石马河社区"], "石马河小区", 5, branch=True, groups=False, committee=True)
    _estate(communities["五里店社区"], "五里店新村", 3, branch=True, groups=True, committee=False, self_managed=True)
    _estate(communities["鱼嘴社区"], "鱼嘴安置房", 8, branch=True, groups=True, committee=False)

    _users(stdout)
    stdout.write(f"governance: {Place.objects.count()} places, {Organization.objects.count()} organizations")


def _users(stdout) -> None:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User.objects.create_superuser("admin", "admin@example.invalid", DEMO_PASSWORD)
    for username, role, place_name, staff in DEMO_USERS:
        place = Place.objects.filter(name=place_name).order_by("level").first()
        user = User.objects.filter(username=username).first()
        if user is None:
            person = ensure_person(CHAIR_NAME if username == "committee" else f"演示{username}", place)
            user = services.user_create(username=username, password=DEMO_PASSWORD, person=person, actor=SYSTEM)
            user.is_staff = staff
            user.save(update_fields=["is_staff"])
        if not RoleAssignment.objects.filter(user=user, role=role, place=place).exists():
            services.role_assignment_create(user=user, role=role, place=place, actor=admin)
