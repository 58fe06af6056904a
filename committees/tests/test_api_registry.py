"""The API of committees, supervision groups, property companies, contracts and projects."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from committees import services
from committees.models import OwnersCommittee, Project, PropertyCompany, SupervisionGroup
from committees.tests.factories import committee, people
from governance.models import OrgFunction, OrgKind
from governance.scoping import SYSTEM
from governance.tests.factories import org
from residents.models import Owner, PartyMember


@pytest.fixture
def branches(world, estate):
    community = org(OrgKind.COMMUNITY_COMMITTEE, "南桥苑社区党委", world["community_a"])
    general = org(OrgKind.ESTATE_GENERAL_BRANCH, "南方上格林党总支", estate, community)
    return {
        "general": general,
        "committee": org(
            OrgKind.FUNCTIONAL_BRANCH, "业委会党支部", estate, general, function=OrgFunction.OWNERS_COMMITTEE
        ),
        "property": org(
            OrgKind.FUNCTIONAL_BRANCH, "物业党支部", estate, general, function=OrgFunction.PROPERTY_COMPANY
        ),
    }


def test_a_secretary_enters_a_committee_from_before_the_platform(api, cast, estate, branches):
    members = people(5, estate)
    kinds = ["chair", "vice_chair", "member", "member", "member"]
    response = api.as_user(cast["secretary_a"]).post(
        reverse("committee-list"),
        {
            "estate": estate.pk,
            "term_start": "2022-05-01",
            "party_branch": branches["committee"].pk,
            "filed_on": "2022-05-20",
            "filing_reference": "观街备〔2022〕12号",
            "members": [{"person": p.pk, "kind": k} for p, k in zip(members, kinds, strict=True)],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["term_end"] == "2027-04-30" and body["summary"]["members"] == 5
    assert OwnersCommittee.objects.get().entered_by_hand


def test_a_resident_cannot_enter_a_committee(api, cast, estate):
    members = people(5, estate)
    response = api.as_user(cast["resident"]).post(
        reverse("committee-list"),
        {
            "estate": estate.pk,
            "term_start": "2022-05-01",
            "members": [{"person": p.pk, "kind": "member"} for p in members],
        },
        format="json",
    )
    assert response.status_code in (400, 403)
    assert not OwnersCommittee.objects.exists()


def test_the_committee_list_shows_summaries_in_a_fixed_number_of_queries(
    api, cast, world, estate, django_assert_max_num_queries
):
    committee(estate, n=5, term_start=datetime.date(2015, 1, 1))
    committee(estate, n=7, term_start=datetime.date(2020, 1, 1))
    committee(world["estate_b"], n=9, term_start=datetime.date(2021, 1, 1))
    # Fixed, whatever the number of committees (the rules are read once per district).
    with django_assert_max_num_queries(11):
        body = api.as_user(cast["auditor"]).get(reverse("committee-list")).json()
    assert sorted(row["summary"]["members"] for row in body["results"]) == [5, 7, 9]


def test_lapsed_terms_are_listed_for_the_scope(api, cast, estate):
    committee(estate, n=5, term_start=datetime.date(2019, 1, 1), term_end=datetime.date(2023, 12, 31))
    body = api.as_user(cast["secretary_a"]).get(reverse("committee-lapsed")).json()
    assert body == [{"id": estate.pk, "name": estate.name}]


def test_a_supervision_group_is_formed_of_the_estates_owners(api, cast, estate, world):
    here = Owner.objects.create(person=people(1, estate)[0], place=estate)
    elsewhere = Owner.objects.create(person=people(1, world["estate_b"])[0], place=world["estate_b"])
    client = api.as_user(cast["committee_member"])
    ok = client.post(
        reverse("supervision-group-list"),
        {"estate": estate.pk, "term_start": "2025-01-01", "members": [here.pk]},
        format="json",
    )
    assert ok.status_code == 201
    assert list(SupervisionGroup.objects.get(pk=ok.json()["id"]).members.all()) == [here]
    refused = client.post(
        reverse("supervision-group-list"),
        {"estate": estate.pk, "term_start": "2025-01-01", "members": [elsewhere.pk]},
        format="json",
    )
    assert refused.status_code == 400
    assert SupervisionGroup.objects.count() == 1


def test_a_property_company_with_its_contract_branch_and_notes(api, cast, estate, branches):
    client = api.as_user(cast["secretary_a"])
    company = client.post(
        reverse("property-company-list"),
        {"name": "重庆某物业服务有限公司", "place": estate.pk, "party_branch": branches["property"].pk},
        format="json",
    )
    assert company.status_code == 201, company.json()
    contract = client.post(
        reverse("service-contract-list"),
        {
            "estate": estate.pk,
            "company": company.json()["id"],
            "start": "2024-01-01",
            "end": "2026-12-31",
            "fee_per_m2_month": "2.20",
        },
        format="json",
    )
    assert contract.status_code == 201
    note = client.post(
        reverse("service-contract-performance-notes", args=[contract.json()["id"]]),
        {"noted_on": "2026-03-01", "rating": 4, "text": "保洁及时"},
        format="json",
    )
    assert note.status_code == 201
    resident_view = api.as_user(cast["resident"]).get(reverse("property-company-list")).json()
    assert [row["name"] for row in resident_view["results"]] == ["重庆某物业服务有限公司"]


def test_a_property_company_branch_must_be_a_property_branch(api, cast, estate, branches):
    response = api.as_user(cast["secretary_a"]).post(
        reverse("property-company-list"),
        {"name": "某物业", "place": estate.pk, "party_branch": branches["committee"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert not PropertyCompany.objects.exists()


def test_a_project_reports_its_savings_and_is_major_over_the_threshold(api, cast, estate, branches):
    experts = [PartyMember.objects.create(person=p, organization=branches["general"]) for p in people(5, estate)]
    client = api.as_user(cast["committee_member"])
    created = client.post(
        reverse("project-list"),
        {
            "estate": estate.pk,
            "title": "消防主管网改造",
            "budget": "1280000.00",
            "contractor": "某消防工程公司",
            "planned_start": "2025-03-01",
            "planned_end": "2025-08-31",
            "expert_team": [m.pk for m in experts],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["is_major"]
    url = created.json()["id"]
    started = client.post(reverse("project-start", args=[url]), {"on": "2025-03-01"}, format="json")
    assert started.status_code == 200, started.json()
    planned = client.post(
        reverse("project-milestones", args=[url]), {"title": "管网试压", "planned_on": "2025-07-15"}, format="json"
    )
    assert planned.status_code == 201, planned.json()
    [milestone] = planned.json()["milestones"]
    reached = client.post(
        reverse("project-reach-milestone", args=[url]),
        {"milestone": milestone["id"], "reached_on": "2025-07-20", "note": "试压合格"},
        format="json",
    )
    assert reached.json()["milestones"][0]["reached_on"] == "2025-07-20"
    done = client.post(
        reverse("project-accept", args=[url]),
        {"accepted_on": "2025-07-30", "actual_end": "2025-07-28", "actual_cost": "856000.00", "note": "验收合格"},
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["budget_saving"] == "424000.00" and done.json()["schedule_saving_days"] == 34
    assert done.json()["accepted_on"] == "2025-07-30"
    project = Project.objects.get()
    assert project.expert_team.count() == 5 and project.actual_cost == Decimal("856000.00")


def test_the_works_progress_cannot_be_patched_around_the_acceptance(api, cast, estate):
    project = Project.objects.create(estate=estate, title="路面修补", budget=Decimal("30000"))
    response = api.as_user(cast["committee_member"]).patch(
        reverse("project-detail", args=[project.pk]),
        {"actual_cost": "1.00", "accepted_on": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 200
    project.refresh_from_db()
    assert project.actual_cost is None and project.accepted_on is None


def test_a_small_project_is_not_major(estate):
    assert not Project(estate=estate, title="小修", budget=Decimal("5000")).is_major


def test_a_resident_cannot_change_a_project(api, cast, estate):
    project = Project.objects.create(estate=estate, title="路面修补", budget=Decimal("30000"))
    response = api.as_user(cast["resident"]).patch(
        reverse("project-detail", args=[project.pk]), {"title": "改名"}, format="json"
    )
    assert response.status_code == 403
    assert Project.objects.get(pk=project.pk).title == "路面修补"


def test_expert_candidates_are_drawn_from_the_registers_skills(
    api, cast, estate, branches, django_assert_max_num_queries
):
    from residents.models import Skill

    engineer, _ = Skill.objects.get_or_create(code="engineer", defaults={"name": "工程师"})
    lawyer, _ = Skill.objects.get_or_create(code="lawyer", defaults={"name": "律师"})
    a, b, _c = (PartyMember.objects.create(person=p, organization=branches["general"]) for p in people(3, estate))
    a.skills.set([engineer])
    b.skills.set([engineer, lawyer])
    with django_assert_max_num_queries(8):
        body = (
            api.as_user(cast["committee_member"])
            .get(reverse("project-expert-candidates"), {"estate": estate.pk, "skill": "engineer"})
            .json()
        )
    assert sorted(row["id"] for row in body["results"]) == sorted([a.pk, b.pk])


def test_a_committee_is_filed_and_its_officers_assigned_through_the_api(api, cast, estate):
    board = committee(estate, n=5, term_start=datetime.date(2026, 1, 1))
    member = next(p.person for p in board.posts.all() if p.kind == "member")
    client = api.as_user(cast["secretary_a"])
    filed = client.post(
        reverse("committee-file", args=[board.pk]),
        {"filed_on": "2026-01-20", "reference": "观街备〔2026〕1号"},
        format="json",
    )
    assert filed.status_code == 200 and filed.json()["filing_reference"] == "观街备〔2026〕1号"
    assigned = client.post(
        reverse("committee-assign-post", args=[board.pk]),
        {"person": member.pk, "kind": "vice_chair", "on": "2026-01-07"},
        format="json",
    )
    assert assigned.status_code == 200
    assert any(p["person"] == member.pk and p["kind"] == "vice_chair" for p in assigned.json()["posts"])


def test_a_resident_cannot_file_a_committee(api, cast, estate):
    board = committee(estate, n=5)
    response = api.as_user(cast["resident"]).post(
        reverse("committee-file", args=[board.pk]), {"filed_on": "2026-01-20", "reference": "x"}, format="json"
    )
    assert response.status_code == 403
    board.refresh_from_db()
    assert board.filed_on is None and board.filing_reference == ""


def test_the_project_list_runs_a_fixed_number_of_queries(api, cast, world, estate, django_assert_max_num_queries):
    for i in range(4):
        project = services.project_create(estate=estate, title=f"项目{i}", budget=Decimal("250000"), actor=SYSTEM)
        services.project_milestone_add(project=project, title="开工准备", actor=SYSTEM)
    services.project_create(estate=world["estate_b"], title="小修", budget=Decimal("5000"), actor=SYSTEM)
    with django_assert_max_num_queries(9):
        body = api.as_user(cast["auditor"]).get(reverse("project-list")).json()
    assert body["count"] == 5
    assert sorted(row["is_major"] for row in body["results"]) == [False, True, True, True, True]
