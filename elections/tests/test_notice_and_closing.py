"""When a vote may move on (issue 9 items 8 and 9): no closing before the announced time unless
everyone has voted; the notice period counts from the notice itself, never from a typed date."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.errors import ApplicationError
from elections import services
from elections.models import Channel, NoticePosting, VoteStatus
from elections.services import TransitionRefused
from elections.signals import vote_scheduled
from elections.tests.factories import make_vote, open_resolution
from governance.models import DistrictRule
from governance.rules import rule, rule_refusal

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _photo():
    return SimpleUploadedFile("公示栏.jpg", PNG, content_type="image/png")


def _phone_all(vote, owners, clerk, count):
    for i, (_unit, owner) in enumerate(owners[:count]):
        services.ballot_cast(
            vote=vote, channel=Channel.PHONE, reference=f"T{i}", owner_id=owner.pk, choice="for", actor=clerk
        )


# Item 8 ------------------------------------------------------------------------------------------


def test_closing_47_hours_early_with_seven_of_ten_owners_in_is_refused(world, cast, ten_owners, api):
    vote = open_resolution(world["estate_a"], closes_at=timezone.now() + datetime.timedelta(hours=47))
    _phone_all(vote, ten_owners, cast["clerk"], 7)
    r = api.as_user(cast["secretary_a"]).post(f"/api/v1/votes/{vote.pk}/close/")
    assert r.status_code == 409 and r.data["code"] == "too_early"
    vote.refresh_from_db()
    assert vote.status == VoteStatus.VOTING and vote.tally_state == "idle"


def test_closing_early_is_allowed_once_every_counted_owner_has_a_live_ballot(
    world, cast, ten_owners, django_capture_on_commit_callbacks
):
    vote = open_resolution(world["estate_a"])
    _phone_all(vote, ten_owners, cast["clerk"], 10)
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(vote=vote, actor=cast["secretary_a"])
    vote.refresh_from_db()
    assert vote.status == VoteStatus.COUNTING and vote.latest_result.data["quorum"]["voted_owners"] == 10


def test_the_admin_refuses_to_close_early_too(client, world, cast, ten_owners):
    from governance.tests.factories import UserFactory

    vote = open_resolution(world["estate_a"])
    _phone_all(vote, ten_owners, cast["clerk"], 7)
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    r = client.post("/admin/elections/vote/", {"action": "close_voting", "_selected_action": [vote.pk]}, follow=True)
    assert "全体业主都已投票才能提前结束" in r.content.decode()
    vote.refresh_from_db()
    assert vote.status == VoteStatus.VOTING


def test_the_beat_job_closes_at_the_announced_time(world, cast, ten_owners, django_capture_on_commit_callbacks):
    vote = open_resolution(world["estate_a"])
    _phone_all(vote, ten_owners, cast["clerk"], 7)
    assert services.close_due_votes(now=vote.closes_at - datetime.timedelta(seconds=1)) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert services.close_due_votes(now=vote.closes_at) == [vote.pk]


# Item 9 ------------------------------------------------------------------------------------------


def test_the_notice_period_counts_from_entering_notice_not_from_a_typed_date(world, cast, ten_owners):
    vote = make_vote(world["estate_a"], actor=cast["secretary_a"])
    assert vote.notice_starts is None and vote.notice_days == 15
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=cast["secretary_a"])
    assert vote.notice_starts == timezone.localdate()
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=cast["secretary_a"])
    assert refused.value.code == "notice_too_short" and "15" in refused.value.message
    vote.refresh_from_db()
    assert vote.status == VoteStatus.NOTICE


def test_an_earlier_posting_on_the_board_backed_by_a_photo_starts_the_notice(world, cast, ten_owners):
    vote = make_vote(world["estate_a"], actor=cast["secretary_a"])
    vote.__class__.objects.filter(pk=vote.pk).update(created_at=timezone.now() - 20 * DAY)
    vote.refresh_from_db()
    posted = timezone.localdate() - 16 * DAY
    posting = services.vote_notice_post(
        vote=vote, posted_on=posted, posted_by="社区工作人员王某", document=_photo(), actor=cast["secretary_a"]
    )
    assert posting.document_type == "png" and posting.recorded_by == cast["secretary_a"]
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=cast["secretary_a"])
    assert vote.notice_starts == posted
    services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=cast["secretary_a"])
    assert vote.status == VoteStatus.VOTING


def test_a_posting_without_its_record_is_refused(world, cast):
    vote = make_vote(world["estate_a"], actor=cast["secretary_a"])
    with pytest.raises(ApplicationError) as refused:
        services.vote_notice_post(
            vote=vote, posted_on=timezone.localdate(), posted_by="王某", document=None, actor=cast["secretary_a"]
        )
    assert refused.value.code == "document_required"
    assert not NoticePosting.objects.exists()


def test_a_posting_cannot_predate_the_vote(world, cast):
    vote = make_vote(world["estate_a"], actor=cast["secretary_a"])
    with pytest.raises(ApplicationError) as refused:
        services.vote_notice_post(
            vote=vote,
            posted_on=timezone.localdate() - 30 * DAY,
            posted_by="王某",
            document=_photo(),
            actor=cast["secretary_a"],
        )
    assert refused.value.code == "posted_on_invalid"
    assert not NoticePosting.objects.exists()


def test_a_district_may_lengthen_the_notice_but_never_below_the_laws_fifteen_days(world, cast, ten_owners):
    assert rule("VOTE_NOTICE_DAYS") == 15
    assert rule_refusal("VOTE_NOTICE_DAYS", 10) is not None and rule_refusal("VOTE_NOTICE_DAYS", 20) is None
    DistrictRule.objects.create(district=world["district"], key="VOTE_NOTICE_DAYS", value=20)
    vote = make_vote(world["estate_a"], actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=cast["secretary_a"], now=timezone.now() - 16 * DAY)
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=cast["secretary_a"])
    assert refused.value.code == "notice_too_short" and "20" in refused.value.message


def test_entering_notice_schedules_the_assembly_on_commit(world, cast, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, vote, **kwargs):
        received.append(vote.pk)

    vote_scheduled.connect(receiver)
    try:
        vote = make_vote(world["estate_a"], actor=cast["secretary_a"])
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=cast["secretary_a"])
        assert received == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        vote_scheduled.disconnect(receiver)
    assert received == [vote.pk]
