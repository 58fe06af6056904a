"""Paper ballots cast in time but entered after closing (issue 9 item 5); blank, spoiled and
non-candidate ballots take part (item 6); a voided serial is not a spoiled ballot."""

import datetime
import io

import pytest
from django.core.management import call_command

from core.errors import ApplicationError, Conflict
from elections import selectors, services
from elections.models import Ballot, BallotBox, ChainLink, Channel, TallyState, VoteStatus
from elections.services import BallotRefused
from elections.tests.factories import open_election, open_resolution

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def _paper(vote, owner, clerk, serial, now=None, box="", **marks):
    marks = marks or {"choice": "for"}
    return services.ballot_cast(
        vote=vote,
        channel=Channel.CENTRAL,
        paper_serial=serial,
        box=box,
        owner_id=owner.pk,
        actor=clerk,
        now=now,
        **marks,
    )


@pytest.fixture
def closed_with_a_sealed_box(world, ten_owners, cast, django_capture_on_commit_callbacks):
    """A resolution whose central box was sealed an hour before closing and which has just closed."""
    vote = open_resolution(world["estate_a"])
    services.paper_serials_issue(vote=vote, serials=[f"P{i}" for i in range(10)], actor=cast["secretary_a"])
    for i, (_unit, owner) in enumerate(ten_owners[:6]):
        _paper(vote, owner, cast["clerk"], f"P{i}")
    box = services.ballot_box_seal(
        vote=vote,
        label="中心箱1",
        channel=Channel.CENTRAL,
        witnesses="监票人甲、乙",
        actor=cast["clerk"],
        now=vote.closes_at - HOUR,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    vote.refresh_from_db()
    return vote, box


def test_the_tally_waits_while_a_sealed_box_is_being_entered(closed_with_a_sealed_box):
    vote, _box = closed_with_a_sealed_box
    assert vote.status == VoteStatus.COUNTING and vote.tally_state == TallyState.PENDING
    assert vote.latest_result is None


def test_a_paper_ballot_from_a_box_sealed_before_closing_is_entered_after_closing_and_counted(
    closed_with_a_sealed_box, ten_owners, cast, django_capture_on_commit_callbacks
):
    vote, box = closed_with_a_sealed_box
    late = _paper(vote, ten_owners[6][1], cast["clerk"], "P6", now=vote.closes_at + HOUR, box="中心箱1")
    assert late.box == box and late.cast_at > vote.closes_at
    with django_capture_on_commit_callbacks(execute=True):
        services.ballot_box_finish(box=box, actor=cast["clerk"])
    vote.refresh_from_db()
    data = vote.latest_result.data
    assert data["quorum"]["voted_owners"] == 7 and data["quorum"]["met"] is True
    seal = ChainLink.objects.get(vote=vote, kind="seal")
    assert seal.body["box"] == "中心箱1" and seal.body["sealed_by"] == cast["clerk"].pk
    assert seal.body["witnesses"] == "监票人甲、乙" and seal.seq < late.seq
    call_command("verify_vote", str(vote.pk), stdout=io.StringIO())


def test_a_serial_issued_after_closing_is_refused(closed_with_a_sealed_box, ten_owners, cast):
    vote, _box = closed_with_a_sealed_box
    services.paper_serials_issue(
        vote=vote, serials=["LATE-1"], actor=cast["secretary_a"], now=vote.closes_at + datetime.timedelta(minutes=5)
    )
    with pytest.raises(BallotRefused) as refused:
        _paper(vote, ten_owners[7][1], cast["clerk"], "LATE-1", now=vote.closes_at + HOUR, box="中心箱1")
    assert refused.value.code == "serial_late"
    assert Ballot.objects.filter(vote=vote).count() == 6


def test_after_closing_a_paper_ballot_must_name_its_sealed_box(closed_with_a_sealed_box, ten_owners, cast):
    vote, _box = closed_with_a_sealed_box
    with pytest.raises(BallotRefused) as refused:
        _paper(vote, ten_owners[7][1], cast["clerk"], "P7", now=vote.closes_at + HOUR)
    assert refused.value.code == "box_required"
    assert Ballot.objects.filter(vote=vote).count() == 6


def test_a_box_cannot_be_sealed_once_voting_has_closed(closed_with_a_sealed_box, cast):
    vote, _box = closed_with_a_sealed_box
    with pytest.raises(Conflict):
        services.ballot_box_seal(vote=vote, label="流动箱2", channel=Channel.MOBILE_BOX, actor=cast["clerk"])
    assert BallotBox.objects.filter(vote=vote).count() == 1


def test_a_phone_ballot_after_closing_is_refused(closed_with_a_sealed_box, ten_owners, cast):
    vote, _box = closed_with_a_sealed_box
    with pytest.raises(BallotRefused) as refused:
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference="T",
            owner_id=ten_owners[8][1].pk,
            choice="for",
            actor=cast["clerk"],
            now=vote.closes_at + HOUR,
        )
    assert refused.value.code == "outside_window"
    assert Ballot.objects.filter(vote=vote).count() == 6


def test_no_paper_ballot_is_entered_once_the_tally_has_run(
    closed_with_a_sealed_box, ten_owners, cast, django_capture_on_commit_callbacks
):
    vote, box = closed_with_a_sealed_box
    with django_capture_on_commit_callbacks(execute=True):
        services.ballot_box_finish(box=box, actor=cast["clerk"])
    with pytest.raises(BallotRefused) as refused:
        _paper(vote, ten_owners[7][1], cast["clerk"], "P7", now=vote.closes_at + 2 * HOUR, box="中心箱1")
    assert refused.value.code == "outside_window"
    assert Ballot.objects.filter(vote=vote).count() == 6


# Blank, spoiled and non-candidate ballots -------------------------------------------------------


def test_a_blank_paper_ballot_is_accepted_stored_invalid_and_takes_part(
    world, ten_owners, cast, api, django_capture_on_commit_callbacks
):
    vote = open_resolution(world["estate_a"])
    services.paper_serials_issue(
        vote=vote, serials=["S1", "S2", "S3", "S4", "S5", "S6", "S7"], actor=cast["secretary_a"]
    )
    r = api.as_user(cast["clerk"]).post(
        f"/api/v1/votes/{vote.pk}/ballots/",
        {"channel": "central", "paper_serial": "S1", "owner": ten_owners[0][1].pk, "spoiled": True},
        format="json",
    )
    assert r.status_code == 201 and r.data["valid"] is False, r.data
    ballot = Ballot.objects.get(vote=vote)
    assert (ballot.invalid_reason, ballot.choice, ballot.approve) == ("spoiled", "", [])
    for i, (_unit, owner) in enumerate(ten_owners[1:7], start=2):
        _paper(vote, owner, cast["clerk"], f"S{i}", choice="for" if i < 6 else "against")
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    vote.refresh_from_db()
    data = vote.latest_result.data
    # Seven took part (the blank ballot included): quorum met; 4 for of 7 passes, the blank approves nothing.
    assert data["quorum"]["voted_owners"] == 7 and data["invalid"] == 1 and data["quorum"]["met"] is True
    assert data["for"]["owners"] == 4 and data["passed"] is True


def test_only_a_paper_ballot_can_be_spoiled(world, ten_owners, cast):
    vote = open_resolution(world["estate_a"])
    with pytest.raises(ApplicationError) as refused:
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference="T",
            owner_id=ten_owners[0][1].pk,
            spoiled=True,
            actor=cast["clerk"],
        )
    assert refused.value.code == "spoiled_paper_only"
    assert not Ballot.objects.filter(vote=vote).exists()


def test_a_spoiled_ballot_records_no_marks(world, ten_owners, cast):
    vote = open_resolution(world["estate_a"])
    services.paper_serials_issue(vote=vote, serials=["S1"], actor=cast["secretary_a"])
    with pytest.raises(ApplicationError) as refused:
        _paper(vote, ten_owners[0][1], cast["clerk"], "S1", spoiled=True, choice="for")
    assert refused.value.code == "spoiled_with_marks"
    assert not Ballot.objects.filter(vote=vote).exists()


def test_a_ballot_naming_someone_who_is_not_a_candidate_is_invalid_and_takes_part(
    world, ten_owners, cast, api, django_capture_on_commit_callbacks
):
    vote = open_election(world["estate_a"], [o for _u, o in ten_owners[:5]], seats=5)
    ids = sorted(vote.candidates.values_list("pk", flat=True))
    r = api.as_user(cast["clerk"]).post(
        f"/api/v1/votes/{vote.pk}/ballots/",
        {"channel": "phone", "reference": "T", "owner": ten_owners[0][1].pk, "approve": [ids[0], 999_999]},
        format="json",
    )
    assert r.status_code == 201 and r.data["valid"] is False
    assert Ballot.objects.get(vote=vote).invalid_reason == "not_candidate"
    assert not Ballot.objects.get(vote=vote).approvals.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    vote.refresh_from_db()
    data = vote.latest_result.data
    assert data["invalid"] == 1 and data["quorum"]["voted_owners"] == 1
    assert all(c["approve_owners"] == 0 for c in data["candidates"])
    call_command("verify_vote", str(vote.pk), stdout=io.StringIO())


def test_voiding_a_serial_stays_distinct_from_a_spoiled_ballot_an_owner_returned(world, ten_owners, cast):
    vote = open_resolution(world["estate_a"])
    services.paper_serials_issue(vote=vote, serials=["S1", "S2", "S3"], actor=cast["secretary_a"])
    _paper(vote, ten_owners[0][1], cast["clerk"], "S1", spoiled=True)
    services.paper_serial_void(vote=vote, serial="S2", reason="印刷错误，未发出", actor=cast["secretary_a"])
    figures = selectors.paper_reconciliation(vote)
    assert (figures["returned"], figures["spoiled"], figures["void"], figures["outstanding"]) == (1, 1, 1, ["S3"])
    with pytest.raises(Conflict) as refused:
        services.paper_serial_void(vote=vote, serial="S1", reason="x", actor=cast["secretary_a"])
    assert refused.value.code == "serial_used"


@pytest.mark.urls("elections.tests.urls")
def test_the_paper_page_enters_a_blank_ballot_and_a_write_in(client, world, ten_owners, cast):
    vote = open_election(world["estate_a"], [o for _u, o in ten_owners[:5]], seats=5)
    services.paper_serials_issue(vote=vote, serials=["Z1", "Z2"], actor=cast["secretary_a"])
    client.force_login(cast["clerk"])
    client.post(f"/votes/{vote.pk}/paper/", {"serial": "Z1", "unit": ten_owners[6][0].label, "marks": "0"})
    client.post(f"/votes/{vote.pk}/paper/", {"serial": "Z2", "unit": ten_owners[7][0].label, "marks": "1 12"})
    reasons = list(Ballot.objects.filter(vote=vote).order_by("seq").values_list("invalid_reason", "valid"))
    assert reasons == [("spoiled", False), ("not_candidate", False)]
