"""Writes of the register: units, sales, moving in and out, party members; each one audited."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from core.crypto import keyed_hash
from core.errors import ApplicationError, Conflict, NotPermitted
from governance.models import AuditEvent, Person
from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory, org
from residents import services
from residents.models import Occupancy, Owner, Ownership, PropertyUnit, Skill

from .factories import DeveloperFactory, OwnershipFactory, PersonOwnerFactory, PropertyUnitFactory

DAY = datetime.date(2026, 3, 1)


def test_unit_create_refuses_a_unit_without_any_area(b1):
    with pytest.raises(ApplicationError) as exc:
        services.unit_create(building=b1, room="101", actor=SYSTEM)
    assert exc.value.code == "missing_area"


def test_unit_create_refuses_a_negative_area(b1):
    with pytest.raises(ApplicationError):
        services.unit_create(building=b1, room="101", registered_area=Decimal("-3"), actor=SYSTEM)


def test_unit_create_refuses_the_same_number_twice_in_a_building(b1):
    services.unit_create(building=b1, room="101", registered_area=Decimal("80"), actor=SYSTEM)
    with pytest.raises(Conflict):
        services.unit_create(building=b1, room="101", registered_area=Decimal("80"), actor=SYSTEM)


def test_unit_update_recomputes_the_counted_area(b1):
    unit = services.unit_create(building=b1, room="101", contract_area=Decimal("90"), actor=SYSTEM)
    services.unit_update(unit=unit, registered_area=Decimal("88.8"), actor=SYSTEM)
    unit.refresh_from_db()
    assert (unit.area, unit.area_source) == (Decimal("88.80"), "registered")
    assert AuditEvent.objects.filter(action="unit.update", object_id=str(unit.pk)).exists()


def test_a_sale_ends_one_ownership_and_starts_another_keeping_history(estate, b1):
    unit = PropertyUnitFactory(building=b1)
    seller, buyer = PersonOwnerFactory(place=estate), PersonOwnerFactory(place=estate)
    OwnershipFactory(unit=unit, owner=seller)
    services.ownership_transfer(unit=unit, new_owners=[buyer], on=DAY, actor=SYSTEM)
    assert list(Ownership.objects.filter(unit=unit).order_by("start").values_list("owner_id", "end")) == [
        (seller.pk, DAY),
        (buyer.pk, None),
    ]
    assert AuditEvent.objects.get(action="ownership.transfer").data["owners"] == [buyer.pk]


def test_a_sale_to_co_owners_records_their_shares(estate, b1):
    unit = PropertyUnitFactory(building=b1)
    a, b = PersonOwnerFactory(place=estate), PersonOwnerFactory(place=estate)
    services.ownership_transfer(unit=unit, new_owners=[(a, "0.6"), (b, "0.4")], on=DAY, actor=SYSTEM)
    assert sorted(unit.ownerships.values_list("share", flat=True)) == [Decimal("0.4"), Decimal("0.6")]


def test_co_owner_shares_above_one_are_refused(estate, b1):
    unit = PropertyUnitFactory(building=b1)
    a, b = PersonOwnerFactory(place=estate), PersonOwnerFactory(place=estate)
    with pytest.raises(ApplicationError) as exc:
        services.ownership_transfer(unit=unit, new_owners=[(a, "0.6"), (b, "0.6")], on=DAY, actor=SYSTEM)
    assert exc.value.code == "invalid_share"


def test_a_sale_dated_before_a_later_recorded_ownership_is_refused(estate, b1):
    unit = PropertyUnitFactory(building=b1)
    OwnershipFactory(unit=unit, owner=PersonOwnerFactory(place=estate), start=DAY)
    with pytest.raises(Conflict):
        services.ownership_transfer(unit=unit, new_owners=[PersonOwnerFactory(place=estate)], on=DAY, actor=SYSTEM)


def test_the_same_buyer_is_found_by_keyed_hash_without_decrypting(estate):
    person = PersonFactory()
    person.set_id_number("11010519491231002x")
    person.save()
    # Normalised before hashing: spaces and case do not make a different buyer.
    assert Person.objects.filter(id_number_hash=keyed_hash(" 11010519491231002X ")).get() == person
    raw = Person.objects.filter(pk=person.pk).values_list("id_number", flat=True).query
    assert "11010519491231002" not in str(raw)


def test_id_numbers_are_stored_encrypted_at_rest(estate):
    person = PersonFactory()
    person.set_id_number("110105194912310029")
    person.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM governance_person WHERE id = %s", [person.pk])
        stored = cursor.fetchone()[0]
    assert stored and "110105194912310029" not in stored
    person.refresh_from_db()
    assert person.id_number == "110105194912310029"


def test_owner_reveal_is_refused_to_a_role_without_personal_data_rights(estate, cast):
    owner = PersonOwnerFactory(place=estate)
    with pytest.raises(NotPermitted):
        services.owner_reveal(owner=owner, actor=cast["committee_member"])


def test_owner_create_refuses_a_second_owner_record_for_the_same_person(estate):
    owner = PersonOwnerFactory(place=estate)
    with pytest.raises(Conflict):
        services.owner_create(estate=estate, person=owner.person, actor=SYSTEM)
    assert Owner.objects.count() == 1


def test_moving_into_an_empty_unit_makes_it_occupied_and_the_last_move_out_vacant(b1):
    unit = PropertyUnitFactory(building=b1)
    a = services.resident_move_in(unit=unit, person=PersonFactory(), relation="owner", on=DAY, actor=SYSTEM)
    services.resident_move_in(unit=unit, person=PersonFactory(), relation="family", on=DAY, actor=SYSTEM)
    services.resident_move_out(resident=a, on=DAY + datetime.timedelta(days=10), actor=SYSTEM)
    states = list(Occupancy.objects.filter(unit=unit).values_list("since", "state"))
    assert states == [(DAY, "occupied")]
    b = unit.residents.get(end__isnull=True)
    services.resident_move_out(resident=b, on=DAY + datetime.timedelta(days=20), actor=SYSTEM)
    assert list(Occupancy.objects.filter(unit=unit).values_list("state", flat=True)) == ["occupied", "vacant"]


def test_moving_out_before_moving_in_is_refused(b1):
    unit = PropertyUnitFactory(building=b1)
    resident = services.resident_move_in(unit=unit, person=PersonFactory(), relation="tenant", on=DAY, actor=SYSTEM)
    with pytest.raises(ApplicationError):
        services.resident_move_out(resident=resident, on=DAY, actor=SYSTEM)


def test_a_person_registers_as_party_member_only_once(world):
    committee = org("community_committee", "南桥苑社区党委", world["community_a"])
    person = PersonFactory()
    member = services.party_member_register(person=person, organization=committee, in_service=True, actor=SYSTEM)
    assert member.registered_on is not None
    with pytest.raises(Conflict):
        services.party_member_register(person=person, organization=committee, actor=SYSTEM)


def test_participation_in_the_future_is_refused(world):
    committee = org("community_committee", "南桥苑社区党委", world["community_a"])
    member = services.party_member_register(person=PersonFactory(), organization=committee, actor=SYSTEM)
    with pytest.raises(ApplicationError):
        services.participation_record(member=member, date=datetime.date(2999, 1, 1), activity="巡查", actor=SYSTEM)


def test_unit_update_records_each_changed_field_with_its_old_and_new_value(b1):
    unit = services.unit_create(building=b1, room="101", contract_area=Decimal("90"), actor=SYSTEM)
    services.unit_update(unit=unit, room=" 102 ", registered_area=Decimal("88.80"), actor=SYSTEM)
    changes = AuditEvent.objects.get(action="unit.update").data["changes"]
    assert changes == {
        "room": {"old": "101", "new": "102"},
        "registered_area": {"old": None, "new": "88.80"},
        "area": {"old": "90.00", "new": "88.80"},
        "area_source": {"old": "contract", "new": "registered"},
    }


def test_unit_update_that_changes_nothing_records_nothing(b1):
    unit = services.unit_create(building=b1, room="101", registered_area=Decimal("90"), actor=SYSTEM)
    services.unit_update(unit=unit, room="101", registered_area=Decimal("90.00"), actor=SYSTEM)
    assert not AuditEvent.objects.filter(action="unit.update").exists()


@pytest.mark.parametrize("area", ["1e26", "0", "-1", "89.555", "1000000"])
def test_unit_create_refuses_an_area_the_import_would_refuse(b1, area):
    with pytest.raises(ApplicationError) as exc:
        services.unit_create(building=b1, room="101", registered_area=Decimal(area), actor=SYSTEM)
    assert exc.value.code == "invalid_area" and "registered_area" in exc.value.extra["fields"]
    assert not PropertyUnit.objects.exists()


def test_an_organization_owner_needs_a_name_on_creation_and_on_update(estate):
    with pytest.raises(ApplicationError) as exc:
        services.owner_create(estate=estate, org_name="  ", actor=SYSTEM)
    assert exc.value.code == "missing_name" and not Owner.objects.exists()
    developer = DeveloperFactory(place=estate)
    with pytest.raises(ApplicationError):
        services.owner_update(owner=developer, org_name="", actor=SYSTEM)
    developer.refresh_from_db()
    assert developer.org_name == "重庆南方房地产开发有限公司"


def test_owner_update_records_the_old_and_new_name(estate):
    developer = DeveloperFactory(place=estate)
    services.owner_update(owner=developer, org_name=" 南方置业 ", actor=SYSTEM)
    assert Owner.objects.get().org_name == "南方置业"
    changes = AuditEvent.objects.get(action="owner.update").data["changes"]
    assert changes == {"org_name": {"old": "重庆南方房地产开发有限公司", "new": "南方置业"}}


def test_owner_create_refuses_a_malformed_credit_code(estate):
    with pytest.raises(ApplicationError) as exc:
        services.owner_create(estate=estate, org_name="南方地产", credit_code="91500105XXXXXXXXX0", actor=SYSTEM)
    assert exc.value.code == "invalid_credit_code" and not Owner.objects.exists()


def test_the_reveal_is_recorded_by_the_service(estate, cast):
    owner = PersonOwnerFactory(place=estate)
    services.owner_reveal(owner=owner, actor=cast["street_staff"])
    event = AuditEvent.objects.get(action="owner.reveal")
    assert (event.actor, event.object_id, event.place_id) == (cast["street_staff"], str(owner.pk), estate.pk)


def test_moving_out_records_the_end_as_old_and_new_value(b1):
    unit = PropertyUnitFactory(building=b1)
    resident = services.resident_move_in(unit=unit, person=PersonFactory(), relation="tenant", on=DAY, actor=SYSTEM)
    services.resident_move_out(resident=resident, on=DAY + datetime.timedelta(days=3), actor=SYSTEM)
    changes = AuditEvent.objects.get(action="resident.move_out").data["changes"]
    assert changes == {"end": {"old": None, "new": "2026-03-04"}}


def test_moving_in_before_a_later_move_out_is_refused_and_writes_nothing(b1):
    unit = PropertyUnitFactory(building=b1)
    first = services.resident_move_in(unit=unit, person=PersonFactory(), relation="tenant", on=DAY, actor=SYSTEM)
    services.resident_move_out(resident=first, on=DAY + datetime.timedelta(days=30), actor=SYSTEM)
    with pytest.raises(Conflict) as exc:
        services.resident_move_in(
            unit=unit, person=PersonFactory(), relation="tenant", on=DAY + datetime.timedelta(days=10), actor=SYSTEM
        )
    assert exc.value.code == "out_of_order"
    assert unit.residents.count() == 1
    assert list(Occupancy.objects.filter(unit=unit).values_list("state", flat=True)) == ["occupied", "vacant"]


def test_party_member_update_records_old_and_new_values_and_skills(world):
    committee = org("community_committee", "南桥苑社区党委", world["community_a"])
    engineer = Skill.objects.get_or_create(code="engineer", defaults={"name": "工程师"})[0]
    member = services.party_member_register(person=PersonFactory(), organization=committee, actor=SYSTEM)
    services.party_member_update(member=member, workplace="重庆建工", skills=[engineer], actor=SYSTEM)
    changes = AuditEvent.objects.get(action="party_member.update").data["changes"]
    assert changes == {"workplace": {"old": "", "new": "重庆建工"}, "skills": {"old": [], "new": ["engineer"]}}


def test_moving_a_member_needs_the_right_where_they_go_too(world, cast):
    community_a = org("community_committee", "南桥苑社区党委", world["community_a"])
    community_b = org("community_committee", "石马河社区党委", world["community_b"])
    member = services.party_member_register(person=PersonFactory(), organization=community_a, actor=SYSTEM)
    with pytest.raises(NotPermitted):
        services.party_member_update(member=member, organization=community_b, actor=cast["secretary_a"])
    member.refresh_from_db()
    assert member.organization == community_a
