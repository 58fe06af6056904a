"""Self-managed old estates: building heads, volunteers, duty rosters, done or missed duties, the gaps."""

import datetime

import pytest

from governance import services as governance_services
from governance.models import OrgFunction, OrgKind
from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory, org
from oversight import selectors, services
from oversight.models import BuildingHead, DutyRecord
from oversight.tests.factories import fresh, photo
from residents import selectors as residents_selectors
from residents.models import Participation, PartyMember, Skill

pytestmark = pytest.mark.django_db
MONDAY = datetime.date(2025, 3, 3)


@pytest.fixture
def old_estate(world):
    estate = world["estate_b"]
    governance_services.place_update(place=estate, self_managed=True, actor=SYSTEM)
    return fresh(estate)


@pytest.fixture
def in_service_member(world, old_estate):
    general = org(
        OrgKind.ESTATE_GENERAL_BRANCH,
        "石马河小区党总支",
        old_estate,
        org(OrgKind.COMMUNITY_COMMITTEE, "石马河社区党委", world["community_b"]),
    )
    branch = org(OrgKind.FUNCTIONAL_BRANCH, "在职党员党支部", old_estate, general, function=OrgFunction.IN_SERVICE)
    person = PersonFactory(name="赵工", place=old_estate)
    return PartyMember.objects.create(person=person, organization=branch, in_service=True, registered_on=MONDAY)


def test_building_heads_are_kept_only_for_self_managed_estates(world, old_estate, cast):
    head = services.building_head_appoint(
        building=world["building_b1"], person=PersonFactory(), start=MONDAY, actor=cast["secretary_b"]
    )
    assert head.end is None
    with pytest.raises(Exception) as refused:
        services.building_head_appoint(
            building=world["building_a1"], person=PersonFactory(), start=MONDAY, actor=cast["secretary_a"]
        )
    assert refused.value.code == "not_self_managed"
    assert BuildingHead.objects.count() == 1


def test_a_new_building_head_ends_the_previous_ones_term(world, old_estate):
    first = services.building_head_appoint(
        building=world["building_b1"], person=PersonFactory(), start=MONDAY, actor=SYSTEM
    )
    services.building_head_appoint(
        building=world["building_b1"], person=PersonFactory(), start=MONDAY + datetime.timedelta(days=30), actor=SYSTEM
    )
    first.refresh_from_db()
    assert first.end == MONDAY + datetime.timedelta(days=29)
    assert BuildingHead.objects.filter(building=world["building_b1"], end__isnull=True).count() == 1


def test_a_volunteer_in_the_party_register_is_linked_with_skills(old_estate, in_service_member):
    volunteer = services.volunteer_enrol(
        estate=old_estate,
        person=in_service_member.person,
        joined_on=MONDAY,
        skills=Skill.objects.filter(code__in=["electrician", "fire_safety"]),
        actor=SYSTEM,
    )
    assert volunteer.party_member == in_service_member
    assert sorted(volunteer.skills.values_list("code", flat=True)) == ["electrician", "fire_safety"]


def test_a_done_duty_of_an_in_service_member_counts_as_participation(old_estate, in_service_member, cast):
    volunteer = services.volunteer_enrol(
        estate=old_estate, person=in_service_member.person, joined_on=MONDAY, actor=SYSTEM
    )
    roster = services.duty_roster_create(
        estate=old_estate, kind="cleaning", title="楼道清扫", weekdays=[0], starts_on=MONDAY, actor=SYSTEM
    )
    shift = services.duty_shift_assign(roster=roster, date=MONDAY, volunteer=volunteer, actor=cast["secretary_b"])
    record = services.duty_record(shift=shift, done=True, photo=photo(), actor=cast["secretary_b"])
    assert record.participation is not None
    assert Participation.objects.get().member == in_service_member
    (row,) = residents_selectors.party_participation(old_estate, on=MONDAY + datetime.timedelta(days=1))
    assert (row["in_service_members"], row["took_part"]) == (1, 1)


def test_a_done_duty_needs_a_photo_and_a_missed_one_a_note(old_estate):
    volunteer = services.volunteer_enrol(estate=old_estate, person=PersonFactory(), joined_on=MONDAY, actor=SYSTEM)
    roster = services.duty_roster_create(
        estate=old_estate, kind="parking", title="停车秩序", weekdays=[0, 3], starts_on=MONDAY, actor=SYSTEM
    )
    shift = services.duty_shift_assign(roster=roster, date=MONDAY, volunteer=volunteer, actor=SYSTEM)
    with pytest.raises(Exception) as refused:
        services.duty_record(shift=shift, done=True, actor=SYSTEM)
    assert refused.value.code == "photo_required"
    with pytest.raises(Exception) as refused:
        services.duty_record(shift=shift, done=False, actor=SYSTEM)
    assert refused.value.code == "note_required"
    assert not DutyRecord.objects.exists()
    services.duty_record(shift=shift, done=False, note="生病请假，无人替班", actor=SYSTEM)
    with pytest.raises(Exception) as refused:
        services.duty_record(shift=shift, done=True, photo=photo(), actor=SYSTEM)
    assert refused.value.code == "already_recorded"


def test_a_shift_is_only_on_a_duty_day(old_estate):
    volunteer = services.volunteer_enrol(estate=old_estate, person=PersonFactory(), joined_on=MONDAY, actor=SYSTEM)
    roster = services.duty_roster_create(
        estate=old_estate, kind="cleaning", title="清扫", weekdays=[0], starts_on=MONDAY, actor=SYSTEM
    )
    with pytest.raises(Exception) as refused:
        services.duty_shift_assign(
            roster=roster, date=MONDAY + datetime.timedelta(days=1), volunteer=volunteer, actor=SYSTEM
        )
    assert refused.value.code == "not_a_duty_day"


def test_the_community_sees_the_gaps(world, old_estate):
    volunteer = services.volunteer_enrol(
        estate=old_estate, person=PersonFactory(name="钱阿姨"), joined_on=MONDAY, actor=SYSTEM
    )
    roster = services.duty_roster_create(
        estate=old_estate, kind="cleaning", title="楼道清扫", weekdays=[0, 2], starts_on=MONDAY, actor=SYSTEM
    )
    wednesday, next_monday = MONDAY + datetime.timedelta(days=2), MONDAY + datetime.timedelta(days=7)
    done = services.duty_shift_assign(roster=roster, date=MONDAY, volunteer=volunteer, actor=SYSTEM)
    services.duty_record(shift=done, done=True, photo=photo(), actor=SYSTEM)
    missed = services.duty_shift_assign(roster=roster, date=wednesday, volunteer=volunteer, actor=SYSTEM)
    services.duty_record(shift=missed, done=False, note="下雨未清扫", actor=SYSTEM)
    services.duty_shift_assign(roster=roster, date=next_monday, volunteer=volunteer, actor=SYSTEM)
    # Next Wednesday nobody was assigned.
    gaps = selectors.duty_gaps(fresh(world["community_b"]), MONDAY, MONDAY + datetime.timedelta(days=9))
    (summary,) = gaps["estates"]
    assert (summary["duty_days"], summary["done"], summary["missed"], summary["unrecorded"], summary["unassigned"]) == (
        4,
        1,
        1,
        1,
        1,
    )
    assert [(g["date"], g["gap"]) for g in gaps["gaps"]] == [
        (wednesday.isoformat(), "missed"),
        (next_monday.isoformat(), "unrecorded"),
        ((next_monday + datetime.timedelta(days=2)).isoformat(), "unassigned"),
    ]


def test_only_those_who_may_change_the_estate_keep_its_rosters(old_estate, cast):
    with pytest.raises(Exception) as refused:
        services.duty_roster_create(
            estate=old_estate, kind="cleaning", title="清扫", weekdays=[0], starts_on=MONDAY, actor=cast["secretary_a"]
        )
    assert refused.value.status == 403
