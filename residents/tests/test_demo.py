"""The demo register reproduces the reference estate's figures (docs/domain.md §8) and loads idempotently."""

import datetime
import io

import pytest

from governance import demo as governance_demo
from governance.models import AuditEvent, Place, User
from residents import demo
from residents.models import Occupancy, Owner, Ownership, Participation, PartyMember, PropertyUnit, Resident
from residents.selectors import occupancy_rate, own_unit_ids, party_participation, voting_roll


@pytest.fixture
def loaded(db):
    governance_demo.load(stdout=io.StringIO())
    demo.load(stdout=io.StringIO())
    return Place.objects.get(kind="estate", name="南方上格林")


def _counts():
    return [
        m.objects.count()
        for m in (PropertyUnit, Owner, Ownership, Resident, Occupancy, PartyMember, Participation, AuditEvent)
    ]


def test_demo_register_has_the_developer_several_unit_buyers_co_owners_and_tenants(loaded):
    roll = voting_roll(loaded)
    developer = next(e for e in roll.entries if e.is_developer)
    assert len(developer.unit_ids) >= 20
    assert sum(1 for e in roll.entries if len(e.unit_ids) > 1 and not e.is_developer) >= 15
    assert sum(1 for e in roll.entries if len(e.owner_ids) == 2) >= 50
    assert PropertyUnit.objects.filter(estate=loaded, delivered=False).count() == 6
    assert Resident.objects.filter(relation="tenant").exists()
    assert 400 < roll.total_owners < PropertyUnit.objects.filter(estate=loaded).count()


def test_demo_occupancy_goes_from_80_to_95_percent(loaded):
    assert occupancy_rate(loaded, on=datetime.date(2019, 1, 31))["rate"] == "80.00"
    assert occupancy_rate(loaded, on=datetime.date(2021, 12, 31))["rate"] == "95.00"


def test_demo_has_360_in_service_members_80_percent_taking_part(loaded):
    [row] = party_participation(loaded)
    assert (row["in_service_members"], row["took_part"], row["share"]) == (360, 288, "80.00")
    assert PartyMember.objects.filter(skills__code="engineer").count() >= 2


def test_demo_resident_owns_a_unit_so_they_can_vote(loaded):
    resident = User.objects.get(username="resident")
    [unit] = list(own_unit_ids(resident))
    entry_units = {u for e in voting_roll(loaded).entries if not e.is_developer for u in e.unit_ids}
    assert unit["pk"] in entry_units


def test_loading_the_demo_twice_changes_nothing(loaded):
    before = _counts()
    demo.load(stdout=io.StringIO())
    assert _counts() == before


def test_demo_without_the_reference_estate_is_skipped(db):
    out = io.StringIO()
    demo.load(stdout=out)
    assert "skipped" in out.getvalue() and not PropertyUnit.objects.exists()
