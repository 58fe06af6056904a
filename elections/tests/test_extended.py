"""An extended vote does not show a first round's result as the result (issue 9 item 11)."""

import datetime

import pytest

from elections import services
from elections.models import Channel, VoteStatus
from elections.tests.factories import open_resolution

pytestmark = pytest.mark.django_db


@pytest.fixture
def extended(world, cast, ten_owners, django_capture_on_commit_callbacks):
    """A resolution whose first round (3 of 10 for) failed the quorum, extended and open again; one more ballot."""
    vote = open_resolution(world["estate_a"], extension_allowed=True)
    for i, (_unit, owner) in enumerate(ten_owners[:3]):
        services.ballot_cast(
            vote=vote, channel=Channel.PHONE, reference=f"T{i}", owner_id=owner.pk, choice="for", actor=cast["clerk"]
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    vote.refresh_from_db()
    assert vote.status == VoteStatus.COUNTING and vote.latest_result.data["quorum"]["met"] is False
    services.vote_extend(vote=vote, closes_at=vote.closes_at + datetime.timedelta(days=3), actor=cast["secretary_a"])
    services.ballot_cast(
        vote=vote,
        channel=Channel.PHONE,
        reference="T3",
        owner_id=ten_owners[3][1].pk,
        choice="against",
        actor=cast["clerk"],
    )
    return vote


def test_the_api_result_of_an_extended_vote_is_the_turnout_so_far(extended, cast, api):
    r = api.as_user(cast["resident"]).get(f"/api/v1/votes/{extended.pk}/result/")
    assert r.status_code == 200 and r.data["counted"] is False and "quorum" not in r.data
    assert r.data["turnout"]["voted_owners"] == 4 and r.data["turnout"]["total_owners"] == 10
    assert api.as_user(cast["resident"]).get(f"/api/v1/votes/{extended.pk}/").data["passed"] is None


def test_the_bulletin_of_an_extended_vote_shows_turnout_and_no_totals(extended, cast, api):
    data = api.as_user(cast["resident"]).get(f"/api/v1/votes/{extended.pk}/bulletin/").data
    assert data["totals"] is None and data["turnout"]["voted_owners"] == 4


@pytest.mark.urls("elections.tests.urls")
def test_the_pages_of_an_extended_vote_show_turnout_not_the_first_count(client, extended, cast):
    client.force_login(cast["resident"])
    bulletin = client.get(f"/votes/{extended.pk}/bulletin/").content.decode()
    assert "目前已有 4/10 位业主参与投票" in bulletin and "未达法定人数" not in bulletin
    page = client.get(f"/votes/{extended.pk}/").content.decode()
    assert "目前已有 4/10 位业主参与投票" in page


def test_the_second_rounds_count_is_the_result_once_counted(extended, cast, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(vote=extended, actor=cast["secretary_a"], now=extended.closes_at)
    r = api.as_user(cast["resident"]).get(f"/api/v1/votes/{extended.pk}/result/")
    assert r.data["counted"] is True and r.data["round"] == 2 and r.data["quorum"]["voted_owners"] == 4
