"""Occupancy rates and the party members' participation report."""

import datetime

from governance.tests.factories import org
from residents.models import Occupancy, Participation
from residents.selectors import occupancy_rate, occupancy_series, party_participation

from .factories import PartyMemberFactory, PropertyUnitFactory


def _units(building, n, start=0):
    return [PropertyUnitFactory(building=building, room=str(100 + start + i)) for i in range(n)]


def test_occupancy_rate_of_a_building_and_its_estate_on_a_date(world):
    a1 = _units(world["building_a1"], 4)
    a2 = _units(world["building_a2"], 6)
    for unit in a1[:3] + a2[:1]:
        Occupancy.objects.create(unit=unit, state="occupied", since=datetime.date(2025, 1, 1))
    Occupancy.objects.create(unit=a1[0], state="vacant", since=datetime.date(2025, 6, 1))
    assert occupancy_rate(world["building_a1"], on=datetime.date(2025, 3, 1))["rate"] == "75.00"
    estate = occupancy_rate(world["estate_a"], on=datetime.date(2025, 7, 1))
    assert (estate["units"], estate["occupied"], estate["rate"]) == (10, 3, "30.00")
    world["community_a"].refresh_from_db()
    community = occupancy_rate(world["community_a"], on=datetime.date(2024, 12, 31))
    assert community["occupied"] == 0


def test_occupancy_rate_counts_residential_units_only(world):
    home = PropertyUnitFactory(building=world["building_a1"], room="1")
    PropertyUnitFactory(building=world["building_a1"], room="P1", use="parking")
    Occupancy.objects.create(unit=home, state="occupied", since=datetime.date(2025, 1, 1))
    assert occupancy_rate(world["estate_a"], on=datetime.date(2025, 2, 1))["rate"] == "100.00"


def test_occupancy_rate_takes_one_query(world, django_assert_num_queries):
    _units(world["building_a1"], 5)
    with django_assert_num_queries(1):
        occupancy_rate(world["estate_a"], on=datetime.date(2025, 1, 1))


def test_monthly_series_follows_the_estate_from_80_to_95_percent(world, django_assert_num_queries):
    units = _units(world["building_a1"], 20)
    for unit in units[:16]:
        Occupancy.objects.create(unit=unit, state="occupied", since=datetime.date(2024, 1, 1))
    for i, unit in enumerate(units[16:19]):
        Occupancy.objects.create(unit=unit, state="occupied", since=datetime.date(2024, 3 + i, 10))
    with django_assert_num_queries(2):
        series = occupancy_series(world["estate_a"], datetime.date(2024, 1, 1), datetime.date(2024, 6, 15))
    assert [p["on"] for p in series] == [
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
        "2024-05-31",
        "2024-06-15",
    ]
    assert [p["rate"] for p in series] == ["80.00", "80.00", "85.00", "90.00", "95.00", "95.00"]


def test_party_participation_counts_in_service_members_who_took_part_in_twelve_months(world):
    committee = org("community_committee", "南桥苑社区党委", world["community_a"])
    branch = org("estate_general_branch", "党总支", world["estate_a"], committee)
    members = [PartyMemberFactory(organization=branch) for _i in range(5)]
    PartyMemberFactory(organization=branch, in_service=False)
    on = datetime.date(2026, 3, 1)
    Participation.objects.create(member=members[0], date=datetime.date(2026, 2, 1), activity="议事会")
    Participation.objects.create(member=members[0], date=datetime.date(2025, 12, 1), activity="巡查")
    Participation.objects.create(member=members[1], date=datetime.date(2025, 3, 2), activity="议事会")
    Participation.objects.create(member=members[2], date=datetime.date(2025, 3, 1), activity="too long ago")
    rows = party_participation(world["estate_a"], on=on)
    assert rows == [
        {
            "estate": world["estate_a"].pk,
            "estate_name": "南方上格林",
            "since": "2025-03-02",
            "on": "2026-03-01",
            "in_service_members": 5,
            "took_part": 2,
            "share": "40.00",
        }
    ]


def test_party_participation_of_a_community_lists_each_estate(world, django_assert_max_num_queries):
    committee = org("community_committee", "南桥苑社区党委", world["community_a"])
    branch = org("estate_general_branch", "党总支", world["estate_a"], committee)
    PartyMemberFactory(organization=branch)
    world["community_a"].refresh_from_db()
    with django_assert_max_num_queries(3):
        rows = party_participation(world["community_a"], on=datetime.date(2026, 3, 1))
    assert [r["estate_name"] for r in rows] == ["南方上格林"]


def test_reports_endpoints_answer_staff_and_refuse_residents(api, cast, world):
    estate = world["estate_a"].pk
    client = api.as_user(cast["secretary_a"])
    assert client.get(f"/api/v1/places/{estate}/occupancy/", {"on": "2025-01-01"}).json()["units"] == 0
    series = client.get(f"/api/v1/places/{estate}/occupancy/series/", {"start": "2025-01-01", "end": "2025-03-31"})
    assert len(series.json()["series"]) == 3
    assert client.get(f"/api/v1/places/{estate}/party-participation/").status_code == 200
    assert api.as_user(cast["resident"]).get(f"/api/v1/places/{estate}/occupancy/").status_code == 403


def test_a_malformed_report_date_is_answered_with_a_readable_error(api, cast, world):
    response = api.as_user(cast["secretary_a"]).get(f"/api/v1/places/{world['estate_a'].pk}/occupancy/", {"on": "3/1"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_date"
