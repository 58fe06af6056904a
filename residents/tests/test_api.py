"""The register's API: scoped by role, personal data masked, a resident sees only their own part."""

import datetime
from decimal import Decimal

import pytest

from governance.models import AuditEvent
from governance.tests.factories import PersonFactory, org
from residents.models import ImportJob, Occupancy, Owner, Ownership, PartyMember, PropertyUnit, Resident, Skill

from .factories import (
    DeveloperFactory,
    OwnershipFactory,
    PartyMemberFactory,
    PersonOwnerFactory,
    PropertyUnitFactory,
    ResidentFactory,
    register_csv,
    register_row,
)

ID = "110105194912310029"
PHONE = "13812345678"


@pytest.fixture
def register(world, cast):
    """Two units in estate A (one the resident's), one in estate B."""
    estate = world["estate_a"]
    mine = PropertyUnitFactory(building=world["building_a1"], room="101")
    theirs = PropertyUnitFactory(building=world["building_a2"], room="201")
    elsewhere = PropertyUnitFactory(building=world["building_b1"], room="301")
    me = PersonOwnerFactory(place=estate, person=cast["resident"].person)
    neighbour_person = PersonFactory(name="邻居")
    neighbour_person.set_id_number(ID)
    neighbour_person.set_phone(PHONE)
    neighbour_person.save()
    neighbour = PersonOwnerFactory(place=estate, person=neighbour_person)
    far = PersonOwnerFactory(place=world["estate_b"])
    OwnershipFactory(unit=mine, owner=me)
    OwnershipFactory(unit=theirs, owner=neighbour)
    OwnershipFactory(unit=elsewhere, owner=far)
    return {"mine": mine, "theirs": theirs, "elsewhere": elsewhere, "me": me, "neighbour": neighbour, "far": far}


def _ids(response):
    assert response.status_code == 200, response.content
    return sorted(r["id"] for r in response.json()["results"])


def test_secretary_sees_the_units_of_their_community_only(api, cast, register):
    units = _ids(api.as_user(cast["secretary_a"]).get("/api/v1/units/"))
    assert units == sorted([register["mine"].pk, register["theirs"].pk])


def test_resident_sees_their_own_unit_and_no_one_elses(api, cast, register):
    assert _ids(api.as_user(cast["resident"]).get("/api/v1/units/")) == [register["mine"].pk]
    assert api.get(f"/api/v1/units/{register['theirs'].pk}/").status_code == 404


def test_resident_sees_only_their_own_owner_record_and_ownership(api, cast, register):
    client = api.as_user(cast["resident"])
    assert _ids(client.get("/api/v1/owners/")) == [register["me"].pk]
    assert [o["owner"] for o in client.get("/api/v1/ownerships/").json()["results"]] == [register["me"].pk]
    assert client.get(f"/api/v1/owners/{register['neighbour'].pk}/").status_code == 404


def test_units_filter_by_estate_and_building(api, cast, register, world):
    client = api.as_user(cast["admin"])
    assert _ids(client.get("/api/v1/units/", {"estate": world["estate_b"].pk})) == [register["elsewhere"].pk]
    assert _ids(client.get("/api/v1/units/", {"building": world["building_a2"].pk})) == [register["theirs"].pk]


def test_owners_filter_by_name(api, cast, register):
    assert _ids(api.as_user(cast["admin"]).get("/api/v1/owners/", {"name": "邻"})) == [register["neighbour"].pk]


@pytest.mark.parametrize("role", ["admin", "auditor", "reviewer", "street_staff", "secretary_a", "committee_member"])
def test_every_role_sees_id_and_phone_numbers_masked_in_lists(api, cast, register, role):
    rows = api.as_user(cast[role]).get("/api/v1/owners/", {"name": "邻居"}).json()["results"]
    assert rows and rows[0]["id_number_masked"] == "1101**********0029" and rows[0]["phone_masked"] == "138****5678"
    assert ID not in str(rows) and PHONE not in str(rows)


@pytest.mark.parametrize("role", ["admin", "auditor", "street_staff", "secretary_a"])
def test_roles_that_need_personal_data_may_reveal_it_and_each_reveal_is_logged(api, cast, register, role):
    response = api.as_user(cast[role]).post(f"/api/v1/owners/{register['neighbour'].pk}/reveal/")
    assert response.status_code == 200
    assert (response.json()["id_number"], response.json()["phone"]) == (ID, PHONE)
    event = AuditEvent.objects.get(action="owner.reveal")
    assert event.actor == cast[role] and event.object_id == str(register["neighbour"].pk)


@pytest.mark.parametrize(("role", "status"), [("reviewer", 403), ("committee_member", 403), ("secretary_b", 404)])
def test_other_roles_may_not_reveal_personal_data(api, cast, register, role, status):
    response = api.as_user(cast[role]).post(f"/api/v1/owners/{register['neighbour'].pk}/reveal/")
    assert response.status_code == status
    assert not AuditEvent.objects.filter(action="owner.reveal").exists()


def test_resident_may_not_reveal_a_neighbours_numbers(api, cast, register):
    assert api.as_user(cast["resident"]).post(f"/api/v1/owners/{register['neighbour'].pk}/reveal/").status_code == 404
    assert not AuditEvent.objects.filter(action="owner.reveal").exists()


def test_voting_roll_endpoint_lists_entries_with_units_owners_and_totals(api, cast, register, world):
    developer = DeveloperFactory(place=world["estate_a"])
    OwnershipFactory(
        unit=PropertyUnitFactory(building=world["building_a1"], room="102", registered_area=Decimal("50.25")),
        owner=developer,
    )
    response = api.as_user(cast["secretary_a"]).get(f"/api/v1/places/{world['estate_a'].pk}/voting-roll/")
    assert response.status_code == 200
    body = response.json()
    assert body["total_owners"] == 3 and body["total_area"] == "250.25"
    developer_entry = next(e for e in body["entries"] if e["is_developer"])
    assert developer_entry["area"] == "50.25" and developer_entry["units"][0]["room"] == "102"
    assert developer_entry["owners"] == [{"id": developer.pk, "name": developer.org_name}]


def test_voting_roll_is_refused_to_a_resident_and_hidden_outside_scope(api, cast, register, world):
    assert api.as_user(cast["resident"]).get(f"/api/v1/places/{world['estate_a'].pk}/voting-roll/").status_code == 403
    assert (
        api.as_user(cast["secretary_b"]).get(f"/api/v1/places/{world['estate_a'].pk}/voting-roll/").status_code == 404
    )


def test_clerk_may_read_the_voting_roll_to_enter_ballots(api, cast, register, world):
    assert api.as_user(cast["clerk"]).get(f"/api/v1/places/{world['estate_a'].pk}/voting-roll/").status_code == 200


def test_voting_roll_endpoint_runs_a_fixed_number_of_queries(api, cast, register, world, django_assert_max_num_queries):
    for i in range(30):
        OwnershipFactory(
            unit=PropertyUnitFactory(building=world["building_a1"], room=f"9{i:02d}"),
            owner=PersonOwnerFactory(place=world["estate_a"]),
        )
    client = api.as_user(cast["secretary_a"])
    with django_assert_max_num_queries(8):
        assert client.get(f"/api/v1/places/{world['estate_a'].pk}/voting-roll/").json()["total_owners"] == 32


def test_unit_list_runs_a_fixed_number_of_queries(api, cast, register, world, django_assert_max_num_queries):
    for i in range(30):
        PropertyUnitFactory(building=world["building_a1"], room=f"8{i:02d}")
    client = api.as_user(cast["secretary_a"])
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/units/").json()["count"] == 32


def test_secretary_creates_a_unit_and_its_area_follows_precedence(api, cast, world):
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/units/",
        {"building": world["building_a1"].pk, "room": "501", "surveyed_area": "88.00", "contract_area": "90.00"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert (response.json()["area"], response.json()["area_source"]) == ("88.00", "surveyed")
    unit = PropertyUnit.objects.get(pk=response.json()["id"])
    assert (unit.building, unit.room, unit.surveyed_area, unit.contract_area, unit.area) == (
        world["building_a1"],
        "501",
        Decimal("88.00"),
        Decimal("90.00"),
        Decimal("88.00"),
    )
    assert AuditEvent.objects.get(action="unit.create").object_id == str(unit.pk)


def test_committee_member_outside_change_scope_cannot_create_a_unit_elsewhere(api, cast, world):
    response = api.as_user(cast["committee_member"]).post(
        "/api/v1/units/", {"building": world["building_b1"].pk, "room": "1", "registered_area": "50"}, format="json"
    )
    assert response.status_code == 400  # the building is out of their sight: as if it did not exist
    assert "building" in response.json()["fields"] and not PropertyUnit.objects.exists()


def test_transfer_ends_the_old_ownership_and_starts_the_new(api, cast, register, world):
    buyer = PersonOwnerFactory(place=world["estate_a"])
    response = api.as_user(cast["secretary_a"]).post(
        f"/api/v1/units/{register['theirs'].pk}/transfer/",
        {"on": "2026-02-01", "owners": [{"owner": buyer.pk}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    history = list(register["theirs"].ownerships.order_by("start").values_list("owner_id", "end"))
    assert history == [(register["neighbour"].pk, datetime.date(2026, 2, 1)), (buyer.pk, None)]


def test_resident_cannot_transfer_their_unit(api, cast, register):
    before = list(Ownership.objects.order_by("pk").values())
    response = api.as_user(cast["resident"]).post(
        f"/api/v1/units/{register['mine'].pk}/transfer/",
        {"on": "2026-02-01", "owners": []},
        format="json",
    )
    assert response.status_code == 403
    assert list(Ownership.objects.order_by("pk").values()) == before
    assert not AuditEvent.objects.filter(action="ownership.transfer").exists()


def _writes_of_a_resident(register):
    """Writes a resident might try on their own unit, owner record and residency."""
    return [
        ("patch", f"/api/v1/units/{register['mine'].pk}/", {"registered_area": "300.00"}),
        ("post", f"/api/v1/owners/{register['me'].pk}/reveal/", {}),
        ("post", f"/api/v1/residents/{register['my_residency'].pk}/move-out/", {"on": "2026-02-01"}),
    ]


@pytest.mark.parametrize("index", range(3))
def test_a_resident_may_read_but_not_change_their_own_part_of_the_register(api, cast, register, index):
    register["my_residency"] = ResidentFactory(unit=register["mine"], person=cast["resident"].person)
    method, url, data = _writes_of_a_resident(register)[index]
    before = (
        list(PropertyUnit.objects.order_by("pk").values()),
        list(Resident.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )
    response = getattr(api.as_user(cast["resident"]), method)(url, data, format="json")
    assert response.status_code == 403, response.content
    after = (
        list(PropertyUnit.objects.order_by("pk").values()),
        list(Resident.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )
    assert after == before


def test_an_organization_owner_without_a_name_is_refused_by_the_service(api, cast, world):
    response = api.as_user(cast["secretary_a"]).post(
        "/api/v1/owners/", {"place": world["estate_a"].pk, "org_name": " "}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "missing_name"
    assert "org_name" in response.json()["fields"] and not Owner.objects.exists()


def test_residents_list_filters_by_estate_and_resident_sees_only_themself(api, cast, register, world):
    tenant = ResidentFactory(unit=register["theirs"], relation="tenant")
    me = ResidentFactory(unit=register["mine"], person=cast["resident"].person)
    ResidentFactory(unit=register["elsewhere"])
    assert _ids(api.as_user(cast["admin"]).get("/api/v1/residents/", {"estate": world["estate_a"].pk})) == sorted(
        [tenant.pk, me.pk]
    )
    assert _ids(api.as_user(cast["resident"]).get("/api/v1/residents/")) == [me.pk]


def test_a_tenant_lives_in_a_unit_but_is_not_on_the_voting_roll(api, cast, register, world):
    ResidentFactory(unit=register["theirs"], relation="tenant")
    body = api.as_user(cast["secretary_a"]).get(f"/api/v1/places/{world['estate_a'].pk}/voting-roll/").json()
    assert body["total_owners"] == 2


def test_party_members_are_searchable_by_skill(api, cast, world):
    community_committee = org("community_committee", "南桥苑社区党委", world["community_a"])
    branch = org("estate_general_branch", "南方上格林党总支", world["estate_a"], community_committee)
    engineer, lawyer = (
        Skill.objects.get_or_create(code="engineer", defaults={"name": "工程师"})[0],
        Skill.objects.get_or_create(code="lawyer", defaults={"name": "律师"})[0],
    )
    a = PartyMemberFactory(organization=branch)
    a.skills.set([engineer])
    b = PartyMemberFactory(organization=branch)
    b.skills.set([lawyer, engineer])
    PartyMemberFactory(organization=branch)
    client = api.as_user(cast["secretary_a"])
    assert _ids(client.get("/api/v1/party-members/", {"skill": "engineer"})) == sorted([a.pk, b.pk])
    assert _ids(client.get("/api/v1/party-members/", {"skill": "lawyer", "estate": world["estate_a"].pk})) == [b.pk]


def test_secretary_registers_a_member_and_records_participation(api, cast, world):
    community_committee = org("community_committee", "南桥苑社区党委", world["community_a"])
    branch = org("functional_branch", "在职党员党支部", world["estate_a"], community_committee, function="in_service")
    Skill.objects.get_or_create(code="accountant", defaults={"name": "会计师"})
    person = PersonFactory(place=world["estate_a"])
    client = api.as_user(cast["secretary_a"])
    response = client.post(
        "/api/v1/party-members/",
        {
            "person": person.pk,
            "organization": branch.pk,
            "in_service": True,
            "registered_on": "2025-05-01",
            "skills": ["accountant"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    member_id = response.json()["id"]
    member = PartyMember.objects.get(pk=member_id)
    assert (member.person, member.organization, member.registered_on) == (person, branch, datetime.date(2025, 5, 1))
    assert list(member.skills.values_list("code", flat=True)) == ["accountant"]
    response = client.post(
        f"/api/v1/party-members/{member_id}/participations/", {"date": "2026-01-05", "activity": "消防管网改造监督"}
    )
    assert response.status_code == 201
    assert list(member.participations.values_list("date", "activity")) == [
        (datetime.date(2026, 1, 5), "消防管网改造监督")
    ]
    assert client.get(f"/api/v1/party-members/{member_id}/participations/").json()["count"] == 1


def test_register_import_endpoint_queues_a_job_and_reports_its_outcome(
    api, cast, world, django_capture_on_commit_callbacks
):
    upload = register_csv([register_row(), register_row(room="102", area="-1")])
    upload.name = "register.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(cast["secretary_a"]).post(
            "/api/v1/register-imports/", {"estate": world["estate_a"].pk, "file": upload}, format="multipart"
        )
    assert response.status_code == 202, response.content
    job = api.get(f"/api/v1/register-imports/{response.json()['id']}/").json()
    assert job["state"] == "invalid" and job["error_count"] == 1 and job["errors"][0]["line"] == 3
    assert ImportJob.objects.get().state == "invalid" and not PropertyUnit.objects.filter(room="101").exists()


def test_register_import_is_refused_to_a_role_that_may_only_read(api, cast, world):
    upload = register_csv([register_row()])
    upload.name = "register.csv"
    response = api.as_user(cast["reviewer"]).post(
        "/api/v1/register-imports/", {"estate": world["estate_a"].pk, "file": upload}, format="multipart"
    )
    assert response.status_code == 403 and response.json()["detail"] == "您无权修改“南方上格林”的登记册。"
    assert not ImportJob.objects.exists() and not AuditEvent.objects.filter(action__startswith="register").exists()


def test_register_import_into_an_estate_out_of_sight_answers_400(api, cast, world):
    upload = register_csv([register_row()])
    upload.name = "register.csv"
    response = api.as_user(cast["secretary_b"]).post(
        "/api/v1/register-imports/", {"estate": world["estate_a"].pk, "file": upload}, format="multipart"
    )
    assert response.status_code == 400 and "estate" in response.json()["fields"]
    assert not ImportJob.objects.exists()


def test_a_tenant_resident_sees_the_unit_they_live_in(api, cast, register):
    ResidentFactory(unit=register["theirs"], person=cast["resident"].person, relation="tenant")
    ids = _ids(api.as_user(cast["resident"]).get("/api/v1/units/"))
    assert ids == sorted([register["mine"].pk, register["theirs"].pk])


def test_a_former_residents_unit_is_no_longer_theirs(api, cast, register):
    ResidentFactory(
        unit=register["theirs"], person=cast["resident"].person, relation="tenant", end=datetime.date(2021, 1, 1)
    )
    assert _ids(api.as_user(cast["resident"]).get("/api/v1/units/")) == [register["mine"].pk]


def _residencies():
    return (
        list(Resident.objects.order_by("pk").values_list("pk", "unit_id", "person_id", "start", "end")),
        list(Occupancy.objects.order_by("pk").values_list("pk", "unit_id", "state", "since")),
    )


def test_moving_in_again_before_ones_current_residency_answers_409_and_writes_nothing(api, cast, register):
    person = PersonFactory(place=register["theirs"].estate)
    client = api.as_user(cast["secretary_a"])
    first = client.post(
        "/api/v1/residents/",
        {"unit": register["theirs"].pk, "person": person.pk, "relation": "tenant", "start": "2024-03-01"},
        format="json",
    )
    assert first.status_code == 201, first.content
    before = _residencies()
    response = client.post(
        "/api/v1/residents/",
        {"unit": register["theirs"].pk, "person": person.pk, "relation": "tenant", "start": "2023-01-01"},
        format="json",
    )
    assert response.status_code == 409, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "overlapping_residency" and "2024-03-01" in response.json()["detail"]
    assert _residencies() == before


def test_moving_in_before_the_units_latest_occupancy_record_answers_409(api, cast, register):
    client = api.as_user(cast["secretary_a"])
    unit = register["theirs"].pk
    first = PersonFactory(place=register["theirs"].estate)
    created = client.post(
        "/api/v1/residents/", {"unit": unit, "person": first.pk, "relation": "tenant", "start": "2024-03-01"}
    ).json()
    assert client.post(f"/api/v1/residents/{created['id']}/move-out/", {"on": "2025-03-01"}).status_code == 200
    before = _residencies()
    response = client.post(
        "/api/v1/residents/",
        {
            "unit": unit,
            "person": PersonFactory(place=register["theirs"].estate).pk,
            "relation": "family",
            "start": "2024-06-01",
        },
    )
    assert response.status_code == 409 and response.json()["code"] == "out_of_order"
    assert "2025-03-01" in response.json()["detail"]
    assert _residencies() == before
