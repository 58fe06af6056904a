"""The oversight API: the integration names, and the scoping of every endpoint.

Secretary of community A sees nothing of B; the auditor reads and writes nothing; a resident
sees only what is published to owners; a refused write leaves the database unchanged.
"""

import csv as csv_module
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from committees import services as committees_services
from governance import services as governance_services
from governance.models import AuditEvent, RoleAssignment
from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory, UserFactory
from oversight import selectors, services
from oversight.models import (
    Audit,
    DutyRoster,
    Evidence,
    FundAllocation,
    InterventionOpinion,
    Notice,
    Obligation,
    ObligationState,
    Petition,
    RevenueRules,
)
from oversight.tests.factories import assembly, days_ago, fresh, ledger, pdf, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world, party, cast):
    """The same oversight records in estate A (community A, street A) and estate B (community B, street B)."""
    made = {}
    governance_services.place_update(place=fresh(world["estate_b"]), self_managed=True, actor=SYSTEM)
    for key in ("a", "b"):
        estate = fresh(world[f"estate_{key}"])
        community = fresh(world[f"community_{key}"])
        (obligation,) = services.obligations_for_meeting(meeting=assembly(estate, days_ago(1)), actor=SYSTEM)
        petition = services.petition_create(
            received_on=days_ago(5),
            place=estate,
            category="property",
            channel="visit",
            summary="电梯故障",
            petitioner_name="王小明",
            petitioner_contact="13812345678",
            actor=SYSTEM,
        )
        ledger(estate, entries=[(days_ago(20), "1000.00")])
        allocation = services.fund_allocate(
            community=community, estate=estate, amount=Decimal("300.00"), purpose="活动", voucher=pdf(), actor=SYSTEM
        )
        decision = committees_services.decision_record(
            meeting=assembly(estate, days_ago(40), "通过办法"), text="通过管理办法", passed=True, actor=SYSTEM
        )
        rules = services.revenue_rules_record(
            estate=estate, title="管理办法", document=pdf(), adopted_on=days_ago(40), decision=decision, actor=SYSTEM
        )
        draft_audit = services.audit_plan(
            estate=estate,
            period_start=datetime.date(2025, 1, 1),
            period_end=datetime.date(2025, 12, 31),
            auditor="事务所",
            plan="年度审计",
            planned_on=days_ago(30),
            actor=SYSTEM,
        )
        published = services.audit_plan(
            estate=estate,
            period_start=datetime.date(2024, 1, 1),
            period_end=datetime.date(2024, 12, 31),
            auditor="事务所",
            plan="年度审计",
            planned_on=days_ago(60),
            actor=SYSTEM,
        )
        services.audit_report(audit=published, findings="未发现问题", reported_on=days_ago(50), actor=SYSTEM)
        services.audit_publish(audit=published, actor=SYSTEM)
        made[key] = {
            "estate": estate,
            "community": community,
            "obligation": obligation,
            "petition": petition,
            "allocation": allocation,
            "rules": rules,
            "draft_audit": draft_audit,
            "published_audit": published,
        }
    old = made["b"]["estate"]
    made["b"]["head"] = services.building_head_appoint(
        building=world["building_b1"], person=PersonFactory(), start=days_ago(10), actor=SYSTEM
    )
    made["b"]["roster"] = services.duty_roster_create(
        estate=old, kind="cleaning", title="清扫", weekdays=[0, 1, 2, 3, 4], starts_on=days_ago(10), actor=SYSTEM
    )
    made["b"]["volunteer"] = services.volunteer_enrol(
        estate=old, person=PersonFactory(), joined_on=days_ago(10), actor=SYSTEM
    )
    return made


def _ids(response):
    assert response.status_code == 200, response.content
    body = response.json()
    return sorted(item["id"] for item in (body["results"] if isinstance(body, dict) else body))


LISTS = [
    ("obligation-list", "obligation"),
    ("petition-list", "petition"),
    ("fund-allocation-list", "allocation"),
    ("revenue-rules-list", "rules"),
]


@pytest.mark.parametrize(("url", "key"), LISTS)
def test_secretary_of_community_a_sees_nothing_of_b(api, cast, data, url, key):
    assert _ids(api.as_user(cast["secretary_a"]).get(reverse(url))) == [data["a"][key].pk]


@pytest.mark.parametrize(("url", "key"), LISTS)
def test_the_auditor_reads_everything(api, cast, data, url, key):
    assert _ids(api.as_user(cast["auditor"]).get(reverse(url))) == sorted([data["a"][key].pk, data["b"][key].pk])


@pytest.mark.parametrize("url", ["obligation-list", "petition-list", "volunteer-list", "intervention-opinion-list"])
def test_a_resident_sees_nothing_that_is_not_published_to_owners(api, cast, data, url):
    assert _ids(api.as_user(cast["resident"]).get(reverse(url))) == []


@pytest.mark.parametrize(("url", "key"), [("fund-allocation-list", "allocation"), ("revenue-rules-list", "rules")])
def test_a_resident_sees_what_is_published_to_the_owners_of_their_estate(api, cast, data, url, key):
    assert _ids(api.as_user(cast["resident"]).get(reverse(url))) == [data["a"][key].pk]


def test_a_resident_sees_only_published_audits_of_their_estate(api, cast, data):
    assert _ids(api.as_user(cast["resident"]).get(reverse("audit-list"))) == [data["a"]["published_audit"].pk]
    assert _ids(api.as_user(cast["secretary_a"]).get(reverse("audit-list"))) == sorted(
        [data["a"]["published_audit"].pk, data["a"]["draft_audit"].pk]
    )


def test_obligations_filter_by_estate_kind_and_state(api, cast, data):
    client = api.as_user(cast["auditor"])
    a = data["a"]["obligation"]
    assert _ids(client.get(reverse("obligation-list"), {"estate": data["a"]["estate"].pk})) == [a.pk]
    assert _ids(client.get(reverse("obligation-list"), {"kind": "attend", "state": "open"})) == sorted(
        [a.pk, data["b"]["obligation"].pk]
    )
    assert _ids(client.get(reverse("obligation-list"), {"kind": "spot_check"})) == []
    assert _ids(client.get(reverse("obligation-list"), {"state": "met"})) == []


def test_the_secretary_records_evidence_through_the_api(api, cast, data):
    obligation = data["a"]["obligation"]
    response = api.as_user(cast["secretary_a"]).post(
        reverse("obligation-evidence", args=[obligation.pk]),
        {"done_on": days_ago(1).isoformat(), "people": "李红、陈静", "note": "全程列席"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "met" and response.json()["met_on_time"] is True
    assert Evidence.objects.get().recorded_by == cast["secretary_a"]


def test_the_auditor_writes_no_evidence_and_nothing_changes(api, cast, data):
    obligation = data["a"]["obligation"]
    response = api.as_user(cast["auditor"]).post(
        reverse("obligation-evidence", args=[obligation.pk]),
        {"done_on": days_ago(1).isoformat(), "people": "审计员"},
        format="json",
    )
    assert response.status_code == 403
    assert not Evidence.objects.exists()
    assert Obligation.objects.get(pk=obligation.pk).state == ObligationState.OPEN


def test_evidence_on_another_communitys_obligation_is_not_found(api, cast, data):
    obligation = data["b"]["obligation"]
    response = api.as_user(cast["secretary_a"]).post(
        reverse("obligation-evidence", args=[obligation.pk]), {"done_on": days_ago(1), "people": "李红"}, format="json"
    )
    assert response.status_code == 404
    assert not Evidence.objects.exists()


def test_the_street_waives_through_the_api_and_the_secretary_may_not(api, cast, data):
    obligation = data["a"]["obligation"]
    url = reverse("obligation-waive", args=[obligation.pk])
    refused = api.as_user(cast["secretary_a"]).post(url, {"reason": "会议取消了"}, format="json")
    assert refused.status_code == 403
    assert Obligation.objects.get(pk=obligation.pk).state == ObligationState.OPEN
    done = api.as_user(cast["street_staff"]).post(url, {"reason": "会议取消了"}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "waived"


PLACE_FIGURES = [
    "place-compliance",
    "place-early-warning",
    "place-petition-shares",
    "place-supervision-queues",
    "place-legal-oversight",
    "place-duty-gaps",
]


@pytest.mark.parametrize("name", PLACE_FIGURES)
def test_place_figures_answer_within_scope_and_404_outside(api, cast, world, data, name):
    assert api.as_user(cast["secretary_a"]).get(reverse(name, args=[world["community_a"].pk])).status_code == 200
    assert api.as_user(cast["secretary_a"]).get(reverse(name, args=[world["community_b"].pk])).status_code == 404
    assert api.as_user(cast["auditor"]).get(reverse(name, args=[world["district"].pk])).status_code == 200
    assert api.as_user(cast["resident"]).get(reverse(name, args=[world["estate_a"].pk])).status_code == 404


def test_the_compliance_endpoint_gives_the_integration_fields(api, cast, world, data):
    response = api.as_user(cast["auditor"]).get(
        reverse("place-compliance", args=[world["district"].pk]), {"start": days_ago(30), "end": days_ago(-10)}
    )
    body = response.json()
    assert {"obligations", "met_on_time", "share", "by_kind", "overdue"} <= set(body)
    assert set(body["by_kind"]) == {"attend", "participate", "supervise", "spot_check"}
    assert isinstance(body["overdue"], list)


def test_the_petition_shares_endpoint(api, cast, world, data):
    body = (
        api.as_user(cast["street_staff"])
        .get(reverse("place-petition-shares", args=[world["street_a"].pk]), {"year": days_ago(5).year})
        .json()
    )
    assert (body["total"], body["property"], body["share"]) == (1, 1, "100.00")


def test_a_resident_sees_the_commissioners_of_their_estate(api, cast, world, data, party):
    services.commissioner_appoint(estate=fresh(world["estate_a"]), person=party["cadre"], actor=SYSTEM)
    body = api.as_user(cast["resident"]).get(reverse("place-commissioners", args=[world["estate_a"].pk])).json()
    assert body == [
        {
            "estate": {"id": world["estate_a"].pk, "name": world["estate_a"].name},
            "commissioner": {"id": party["cadre"].pk, "name": "陈静", "since": days_ago(0).isoformat()},
        }
    ]


# Petitions through the API ---------------------------------------------------------------


def test_petitioners_are_masked_in_the_list(api, cast, data):
    (item,) = api.as_user(cast["secretary_a"]).get(reverse("petition-list")).json()["results"]
    assert (item["petitioner_name_masked"], item["petitioner_contact_masked"]) == ("王**", "138****5678")
    assert "petitioner_name" not in item


def test_petitions_filter_by_place_category_and_year(api, cast, world, data):
    client = api.as_user(cast["auditor"])
    url = reverse("petition-list")
    assert _ids(client.get(url, {"place": world["street_b"].pk})) == [data["b"]["petition"].pk]
    assert _ids(client.get(url, {"category": "labour"})) == []
    assert len(_ids(client.get(url, {"year": days_ago(5).year}))) == 2


def test_the_auditor_may_reveal_a_petitioner_and_the_look_is_recorded(api, cast, data):
    petition = data["a"]["petition"]
    response = api.as_user(cast["auditor"]).post(reverse("petition-reveal", args=[petition.pk]))
    assert response.json() == {"petitioner_name": "王小明", "petitioner_contact": "13812345678"}
    assert AuditEvent.objects.filter(action="petition.reveal", actor=cast["auditor"]).count() == 1


def test_the_auditor_records_no_petition(api, cast, world, data):
    response = api.as_user(cast["auditor"]).post(
        reverse("petition-list"),
        {
            "received_on": days_ago(1),
            "place": world["estate_a"].pk,
            "category": "property",
            "channel": "visit",
            "summary": "新的诉求",
        },
        format="json",
    )
    assert response.status_code == 403
    assert Petition.objects.count() == 2


def test_the_secretary_records_and_updates_a_petition(api, cast, world, data):
    client = api.as_user(cast["secretary_a"])
    created = client.post(
        reverse("petition-list"),
        {
            "received_on": days_ago(1),
            "place": world["estate_a"].pk,
            "category": "property",
            "channel": "phone",
            "summary": "噪音扰民",
            "petitioner_name": "赵六",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    updated = client.patch(
        reverse("petition-detail", args=[created.json()["id"]]),
        {"status": "concluded", "outcome": "已协调", "satisfaction": "satisfied"},
        format="json",
    )
    assert updated.status_code == 200 and updated.json()["status"] == "concluded"
    assert Petition.objects.get(pk=created.json()["id"]).satisfaction == "satisfied"


# Supervision, legal, self-management, funds through the API --------------------------------


def test_the_reviewer_records_an_early_intervention_opinion_and_the_auditor_may_not(api, cast, world, data):
    estate = data["a"]["estate"]
    project = committees_services.project_create(
        estate=estate, title="外墙整治", budget=Decimal("300000"), actor=SYSTEM
    )
    body = {"project": project.pk, "opinion": "须公开招标"}
    assert (
        api.as_user(cast["auditor"]).post(reverse("intervention-opinion-list"), body, format="json").status_code == 403
    )
    assert not InterventionOpinion.objects.exists()
    response = api.as_user(cast["reviewer"]).post(reverse("intervention-opinion-list"), body, format="json")
    assert response.status_code == 201, response.json()
    assert InterventionOpinion.objects.get().reviewer == cast["reviewer"]


def test_a_resident_sees_the_building_heads_and_rosters_of_their_estate_only(api, cast, data):
    assert _ids(api.as_user(cast["resident"]).get(reverse("building-head-list"))) == []
    assert _ids(api.as_user(cast["secretary_b"]).get(reverse("building-head-list"))) == [data["b"]["head"].pk]
    assert _ids(api.as_user(cast["secretary_b"]).get(reverse("duty-roster-list"))) == [data["b"]["roster"].pk]


def test_the_auditor_keeps_no_rosters(api, cast, data):
    response = api.as_user(cast["auditor"]).post(
        reverse("duty-roster-list"),
        {
            "estate": data["b"]["estate"].pk,
            "kind": "parking",
            "title": "停车",
            "weekdays": [5],
            "starts_on": days_ago(1),
        },
        format="json",
    )
    assert response.status_code == 403
    assert DutyRoster.objects.count() == 1


def test_the_secretary_records_a_duty_with_its_photo(api, cast, data):
    day = next(days_ago(n) for n in range(1, 8) if days_ago(n).weekday() < 5)
    client = api.as_user(cast["secretary_b"])
    shift = client.post(
        reverse("duty-shift-list"),
        {"roster": data["b"]["roster"].pk, "date": day, "volunteer": data["b"]["volunteer"].pk},
        format="json",
    )
    assert shift.status_code == 201, shift.json()
    recorded = client.post(
        reverse("duty-shift-record", args=[shift.json()["id"]]), {"done": "true", "photo": photo()}, format="multipart"
    )
    assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["record"]["done"] is True and recorded.json()["record"]["photo"] is True


def test_funds_are_sent_down_through_the_api(api, cast, data):
    response = api.as_user(cast["secretary_a"]).post(
        reverse("fund-allocation-list"),
        {
            "community": data["a"]["community"].pk,
            "estate": data["a"]["estate"].pk,
            "amount": "1200.00",
            "purpose": "重阳节活动",
            "voucher": pdf(),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert FundAllocation.objects.count() == 3 and response.json()["ledger_sequence"] == 3


def test_the_auditor_plans_no_audit(api, cast, data):
    response = api.as_user(cast["auditor"]).post(
        reverse("audit-list"),
        {
            "estate": data["a"]["estate"].pk,
            "period_start": "2023-01-01",
            "period_end": "2023-12-31",
            "auditor": "事务所",
            "plan": "审计",
        },
        format="json",
    )
    assert response.status_code == 403
    assert Audit.objects.count() == 4


def test_a_resident_records_no_rules(api, cast, data):
    response = api.as_user(cast["resident"]).post(
        reverse("revenue-rules-list"),
        {"estate": data["a"]["estate"].pk, "title": "办法", "document": pdf(), "adopted_on": days_ago(3), "vote": ""},
        format="multipart",
    )
    assert response.status_code in (400, 403)
    assert RevenueRules.objects.count() == 2


# Notices ---------------------------------------------------------------------------------


def test_each_user_sees_only_their_own_notices_and_may_turn_email_off(api, cast, data):
    mine = Notice.objects.filter(user=cast["secretary_a"])
    assert mine.exists()
    assert _ids(api.as_user(cast["secretary_a"]).get(reverse("notice-list"))) == sorted(
        mine.values_list("pk", flat=True)
    )
    theirs = Notice.objects.filter(user=cast["secretary_b"]).values_list("pk", flat=True)
    assert _ids(api.as_user(cast["secretary_b"]).get(reverse("notice-list"))) == sorted(theirs)
    assert not set(theirs) & set(mine.values_list("pk", flat=True))
    client = api.as_user(cast["secretary_a"])
    assert client.get(reverse("notice-settings")).json() == {"email": True}
    assert client.patch(reverse("notice-settings"), {"email": False}, format="json").json() == {"email": False}
    read = client.post(reverse("notice-read", args=[mine.first().pk]))
    assert read.status_code == 200 and read.json()["read_at"]
    other = Notice.objects.filter(user=cast["secretary_a"]).first()
    assert api.as_user(cast["secretary_b"]).post(reverse("notice-read", args=[other.pk])).status_code == 404


def test_the_obligation_list_takes_a_fixed_number_of_queries(api, cast, data, django_assert_max_num_queries):
    client = api.as_user(cast["auditor"])
    with django_assert_max_num_queries(8):
        assert len(_ids(client.get(reverse("obligation-list")))) == 2


def test_commissioners_are_appointed_through_the_api_by_the_community(api, cast, world, data, party):
    body = {"estate": world["estate_a"].pk, "person": party["cadre"].pk, "start": days_ago(1)}
    assert api.as_user(cast["auditor"]).post(reverse("commissioner-list"), body, format="json").status_code == 403
    assert not selectors.commissioners(fresh(world["estate_a"]))[0]["commissioner"]
    response = api.as_user(cast["secretary_a"]).post(reverse("commissioner-list"), body, format="json")
    assert response.status_code == 201, response.json()
    assert (
        api.as_user(cast["secretary_a"]).get(reverse("place-commissioners", args=[world["community_b"].pk])).status_code
        == 404
    )
    assert _ids(api.as_user(cast["secretary_b"]).get(reverse("commissioner-list"))) == []


def test_audit_follow_up_is_done_by_the_community_not_the_auditor_nor_another_community(api, cast, data):
    audit = data["a"]["published_audit"]
    action = services.audit_action_add(
        audit=audit, description="补齐凭证", owner="财务委员", due_on=days_ago(-5), actor=SYSTEM
    )
    body = {"done_on": days_ago(0), "evidence": "已补齐"}
    url = reverse("audit-action-done", args=[action.pk])
    assert api.as_user(cast["auditor"]).post(url, body, format="json").status_code == 403
    assert api.as_user(cast["secretary_b"]).post(url, body, format="json").status_code == 404
    action.refresh_from_db()
    assert action.done_on is None
    assert api.as_user(cast["secretary_a"]).post(url, body, format="json").status_code == 200
    # Owners see the follow-up of the audits posted to them.
    assert _ids(api.as_user(cast["resident"]).get(reverse("audit-action-list"))) == [action.pk]


def test_a_years_log_is_imported_and_exported_through_the_api(api, cast, world, data):
    buffer = io.StringIO()
    writer = csv_module.writer(buffer)
    writer.writerow(["受理日期", "地点", "类别", "渠道", "诉求摘要"])
    writer.writerow(["2025-04-01", "南方上格林", "物业管理", "来访", "停车纠纷"])
    upload = SimpleUploadedFile("log.csv", buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")
    refused = api.as_user(cast["auditor"]).post(
        reverse("petition-import"), {"place": world["community_a"].pk, "year": 2025, "file": upload}, format="multipart"
    )
    assert refused.status_code == 403 and not Petition.objects.filter(summary="停车纠纷").exists()
    upload.seek(0)
    client = api.as_user(cast["secretary_a"])
    response = client.post(
        reverse("petition-import"), {"place": world["community_a"].pk, "year": 2025, "file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json() == {"year": 2025, "imported": 1}
    exported = client.get(
        reverse("petition-export"), {"place": world["community_a"].pk, "year": 2025, "file_type": "csv"}
    )
    assert exported.status_code == 200 and "停车纠纷" in exported.content.decode("utf-8-sig")
    assert client.get(reverse("petition-export"), {"place": world["community_b"].pk, "year": 2025}).status_code == 404


def test_intervention_opinions_are_read_within_the_street(api, cast, world, data):
    project = committees_services.project_create(
        estate=data["b"]["estate"], title="外墙整治", budget=Decimal("300000"), actor=SYSTEM
    )
    street_b_reviewer = _street_b_reviewer(world)
    services.intervention_record(project=project, opinion="须公开招标", actor=street_b_reviewer)
    assert _ids(api.as_user(cast["reviewer"]).get(reverse("intervention-opinion-list"))) == []
    assert len(_ids(api.as_user(cast["auditor"]).get(reverse("intervention-opinion-list")))) == 1


def _street_b_reviewer(world):
    user = UserFactory(username="reviewer_b")
    RoleAssignment.objects.create(user=user, role="discipline_reviewer", place=world["street_b"])
    return user
