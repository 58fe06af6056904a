"""The newer vote endpoints through the API, each with what it wrote; and what residents no longer read
(issue 10 item 10: unused paper serials, the staff who moved a vote)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from elections import services
from elections.models import BallotBox, NoticePosting, TieSettlement, Vote, VoteStatus
from elections.tests.factories import make_vote, open_resolution
from elections.tests.test_committee_rule import _tied_election
from governance.scoping import SYSTEM

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks):
    import elections.tests.test_committee_rule as rule_tests

    rule_tests._capture = django_capture_on_commit_callbacks


def test_a_notice_posting_is_recorded_through_the_api_with_its_photo(world, cast, api):
    vote = make_vote(world["estate_a"], actor=cast["secretary_a"])
    r = api.as_user(cast["secretary_a"]).post(
        f"/api/v1/votes/{vote.pk}/notice-postings/",
        {
            "posted_on": str(timezone.localdate()),
            "posted_by": "社区工作人员",
            "document": SimpleUploadedFile("a.png", PNG, content_type="image/png"),
        },
        format="multipart",
    )
    assert r.status_code == 201 and r.data["document_type"] == "png", r.data
    assert NoticePosting.objects.get(vote=vote).posted_by == "社区工作人员"
    refused = api.as_user(cast["resident"]).post(
        f"/api/v1/votes/{vote.pk}/notice-postings/",
        {
            "posted_on": str(timezone.localdate()),
            "posted_by": "x",
            "document": SimpleUploadedFile("a.png", PNG, content_type="image/png"),
        },
        format="multipart",
    )
    assert refused.status_code == 403 and NoticePosting.objects.count() == 1


def test_a_box_is_sealed_and_finished_through_the_api(world, cast, api, ten_owners):
    vote = open_resolution(world["estate_a"])
    r = api.as_user(cast["clerk"]).post(
        f"/api/v1/votes/{vote.pk}/boxes/", {"label": "流动箱A", "channel": "mobile_box"}, format="json"
    )
    assert r.status_code == 201 and BallotBox.objects.get(vote=vote).label == "流动箱A"
    assert api.as_user(cast["resident"]).get(f"/api/v1/votes/{vote.pk}/boxes/").status_code == 403
    r = api.as_user(cast["clerk"]).post(f"/api/v1/votes/{vote.pk}/boxes/{r.data['id']}/finish/")
    assert r.status_code == 200 and BallotBox.objects.get(vote=vote).entry_done_at is not None


def test_a_runoff_and_a_settlement_by_the_rules_through_the_api(world, cast, api):
    from elections.tests.factories import register

    owners = [o for _u, o in register(world["building_a1"], [100] * 12)]
    first = _tied_election(world, cast, owners)
    now = timezone.now()
    window = {
        "opens_at": (now + datetime.timedelta(days=20)).isoformat(),
        "closes_at": (now + datetime.timedelta(days=22)).isoformat(),
    }
    r = api.as_user(cast["resident"]).post(f"/api/v1/votes/{first.pk}/runoff/", window, format="json")
    assert r.status_code == 403 and not Vote.objects.filter(follows=first).exists()
    r = api.as_user(cast["secretary_a"]).post(f"/api/v1/votes/{first.pk}/runoff/", window, format="json")
    assert r.status_code == 201 and r.data["follow_up"] == "runoff" and r.data["follows"] == first.pk
    again = api.as_user(cast["secretary_a"]).post(
        f"/api/v1/votes/{first.pk}/tie-settlement/",
        {
            "winners": [first.current_result.data["ties"][0]],
            "rule_text": "抽签",
            "document": SimpleUploadedFile("r.pdf", PDF, content_type="application/pdf"),
        },
        format="multipart",
    )
    assert again.status_code == 409 and again.data["code"] == "tie_settled"
    assert TieSettlement.objects.get(vote=first).method == "runoff"


def test_a_by_election_through_the_api(world, cast, api):
    from elections.tests.factories import open_election, register
    from elections.tests.test_committee_rule import _count

    owners = [o for _u, o in register(world["building_a1"], [100] * 12)]
    first = open_election(world["estate_a"], owners[:5], seats=5, title="首次")
    _count(first, [[0, 1, 2, 3]] * 7 + [[]] * 5, cast["clerk"])
    now = timezone.now()
    r = api.as_user(cast["secretary_a"]).post(
        f"/api/v1/votes/{first.pk}/by-election/",
        {
            "seats": 1,
            "opens_at": (now + datetime.timedelta(days=20)).isoformat(),
            "closes_at": (now + datetime.timedelta(days=22)).isoformat(),
        },
        format="json",
    )
    assert r.status_code == 201 and r.data["status"] == "nomination" and r.data["seats"] == 1
    assert Vote.objects.get(pk=r.data["id"]).follows == first


def test_residents_no_longer_read_unused_paper_serials(world, cast, api, ten_owners):
    vote = open_resolution(world["estate_a"])
    services.paper_serials_issue(vote=vote, serials=["S1", "S2"], actor=SYSTEM)
    assert api.as_user(cast["resident"]).get(f"/api/v1/votes/{vote.pk}/paper-serials/").status_code == 403
    r = api.as_user(cast["clerk"]).get(f"/api/v1/votes/{vote.pk}/paper-serials/")
    assert r.status_code == 200 and r.data["outstanding"] == ["S1", "S2"]


def test_residents_see_a_votes_steps_without_the_staff_who_took_them(world, cast, api):
    vote = make_vote(world["estate_a"], actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=cast["secretary_a"])
    seen = api.as_user(cast["resident"]).get(f"/api/v1/votes/{vote.pk}/steps/").data
    assert seen[0]["to_status"] == "notice" and seen[0]["actor"] is None
    staff = api.as_user(cast["street_staff"]).get(f"/api/v1/votes/{vote.pk}/steps/").data
    assert staff[0]["actor"] == "secretary_a"
