"""Who may do what through the votes API: each rule with its allowed and refused case."""

import datetime

import pytest
from django.utils import timezone

from elections.models import Ballot, BallotVoid, Channel, PreparatoryGroup, Vote
from elections.tests.factories import make_vote, open_resolution
from governance.models import AuditEvent

pytestmark = pytest.mark.django_db


def _payload(world):
    now = timezone.now()
    return {
        "estate": world["estate_a"].pk,
        "kind": "resolution",
        "title": "续聘物业服务企业",
        "matter": 4,
        "opens_at": (now + datetime.timedelta(days=8)).isoformat(),
        "closes_at": (now + datetime.timedelta(days=10)).isoformat(),
    }


def test_community_secretary_creates_a_vote_in_their_estate(world, cast, api):
    r = api.as_user(cast["secretary_a"]).post("/api/v1/votes/", _payload(world), format="json")
    assert r.status_code == 201 and r.data["status"] == "draft" and r.data["threshold"] == "majority"
    vote = Vote.objects.get(pk=r.data["id"])
    assert (vote.estate_id, vote.created_by, vote.notice_starts) == (world["estate_a"].pk, cast["secretary_a"], None)


def test_street_staff_create_votes_in_their_street(world, cast, api):
    assert api.as_user(cast["street_staff"]).post("/api/v1/votes/", _payload(world), format="json").status_code == 201
    assert Vote.objects.get().created_by == cast["street_staff"]


def test_auditor_may_not_create_a_vote(world, cast, api):
    r = api.as_user(cast["auditor"]).post("/api/v1/votes/", _payload(world), format="json")
    assert r.status_code == 403
    assert not Vote.objects.exists()


def test_secretary_of_another_community_does_not_see_the_vote(world, cast, api):
    vote = make_vote(world["estate_a"])
    assert api.as_user(cast["secretary_b"]).get(f"/api/v1/votes/{vote.pk}/").status_code == 404
    assert api.as_user(cast["secretary_a"]).get(f"/api/v1/votes/{vote.pk}/").status_code == 200


def test_even_committee_size_is_refused(world, cast, api):
    body = {**_payload(world), "kind": "committee_election", "seats": 8}
    r = api.as_user(cast["secretary_a"]).post("/api/v1/votes/", body, format="json")
    assert r.status_code == 400 and r.data["code"] == "seats_invalid"
    assert not Vote.objects.exists()


def test_step_out_of_order_is_refused_with_409(world, cast, api):
    vote = make_vote(world["estate_a"])
    r = api.as_user(cast["secretary_a"]).post(f"/api/v1/votes/{vote.pk}/transition/", {"to": "voting"}, format="json")
    assert r.status_code == 409 and r.data["code"] == "out_of_order"
    vote.refresh_from_db()
    assert vote.status == "draft" and not vote.steps.exists()


def test_resident_may_not_advance_a_vote(world, cast, api):
    vote = make_vote(world["estate_a"])
    r = api.as_user(cast["resident"]).post(f"/api/v1/votes/{vote.pk}/transition/", {"to": "notice"}, format="json")
    assert r.status_code == 403
    vote.refresh_from_db()
    assert vote.status == "draft" and not vote.steps.exists()


def test_clerk_enters_a_paper_ballot_and_resident_may_not(world, cast, api, ten_owners):
    vote = open_resolution(world["estate_a"])
    api.as_user(cast["secretary_a"]).post(
        f"/api/v1/votes/{vote.pk}/paper-serials/", {"serials": ["A1", "A2"]}, format="json"
    )
    body = {"channel": Channel.CENTRAL, "paper_serial": "A1", "owner": ten_owners[0][1].pk, "choice": "for"}
    assert (
        api.as_user(cast["resident"]).post(f"/api/v1/votes/{vote.pk}/ballots/", body, format="json").status_code == 403
    )
    assert not Ballot.objects.filter(vote=vote).exists()
    r = api.as_user(cast["clerk"]).post(f"/api/v1/votes/{vote.pk}/ballots/", body, format="json")
    assert r.status_code == 201 and r.data["receipt"]
    ballot = Ballot.objects.get(vote=vote)
    assert (ballot.paper_serial, ballot.entered_by, ballot.seq) == ("A1", cast["clerk"], r.data["seq"])


def test_auditor_may_not_cast_or_void(world, cast, api, ten_owners):
    vote = open_resolution(world["estate_a"])
    body = {"channel": Channel.PHONE, "reference": "x", "owner": ten_owners[0][1].pk, "choice": "for"}
    assert (
        api.as_user(cast["auditor"]).post(f"/api/v1/votes/{vote.pk}/ballots/", body, format="json").status_code == 403
    )
    assert not Ballot.objects.filter(vote=vote).exists()
    ballot = api.as_user(cast["clerk"]).post(f"/api/v1/votes/{vote.pk}/ballots/", body, format="json").data["ballot"]
    void = f"/api/v1/votes/{vote.pk}/ballots/{ballot}/void/"
    assert api.as_user(cast["auditor"]).post(void, {"reason": "x"}, format="json").status_code == 403
    assert Ballot.objects.get(pk=ballot).voided is False and not BallotVoid.objects.exists()
    assert api.as_user(cast["secretary_a"]).post(void, {"reason": "录入错误"}, format="json").status_code == 201
    assert Ballot.objects.get(pk=ballot).voided is True and BallotVoid.objects.get().reason == "录入错误"


def test_auditor_exports_the_roll_and_ballots_and_a_secretary_may_not(world, cast, api, ten_owners):
    vote = open_resolution(world["estate_a"])
    r = api.as_user(cast["auditor"]).get(f"/api/v1/votes/{vote.pk}/export/")
    assert r.status_code == 200 and r.content.decode().count("\nroll,") == 10
    assert AuditEvent.objects.filter(action="vote.export", actor=cast["auditor"]).count() == 1
    assert api.as_user(cast["secretary_a"]).get(f"/api/v1/votes/{vote.pk}/export/").status_code == 403
    assert AuditEvent.objects.filter(action="vote.export").count() == 1


def test_result_before_counting_is_a_conflict(world, cast, api, ten_owners):
    vote = make_vote(world["estate_a"])
    r = api.as_user(cast["auditor"]).get(f"/api/v1/votes/{vote.pk}/result/")
    assert r.status_code == 409 and r.data["code"] == "not_counted"


def test_result_while_voting_is_the_turnout_so_far(world, cast, api, ten_owners):
    vote = open_resolution(world["estate_a"])
    r = api.as_user(cast["auditor"]).get(f"/api/v1/votes/{vote.pk}/result/")
    assert r.status_code == 200 and r.data["counted"] is False
    assert r.data["turnout"] == {"voted_owners": 0, "voted_area": "0.00", "total_owners": 10, "total_area": "1000.00"}


def test_invalid_preparatory_group_names_the_rule(world, cast, api):
    vote = make_vote(world["estate_a"], kind="committee_election", seats=5)
    members = [
        {"name": "甲", "body": "street", "leads": False},
        {"name": "乙", "body": "owners", "leads": False},
        {"name": "丙", "body": "owners", "leads": False},
    ]
    r = api.as_user(cast["secretary_a"]).post(
        f"/api/v1/votes/{vote.pk}/preparatory-group/", {"members": members}, format="json"
    )
    assert r.status_code == 400 and "组长" in r.data["detail"]
    assert not PreparatoryGroup.objects.filter(vote=vote).exists()


def test_vote_list_takes_a_fixed_number_of_queries(world, cast, api, django_assert_max_num_queries):
    for i in range(6):
        make_vote(world["estate_a"], title=f"投票{i}")
    client = api.as_user(cast["secretary_a"])
    with django_assert_max_num_queries(5):
        r = client.get("/api/v1/votes/")
    assert r.data["count"] == 6
