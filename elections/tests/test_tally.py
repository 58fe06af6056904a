"""The tally in the database: §4's boundaries through real ballots, recount, safe re-runs."""

import pytest
from django.core.management import call_command
from django.db import connection

from elections import services
from elections.models import Channel, VoteKind, VoteResult, VoteStatus
from elections.tests.factories import make_vote, open_election, open_resolution, register
from elections.tests.tamper import behind_the_platforms_back

pytestmark = pytest.mark.django_db


def _cast_all(vote, owners, choices, clerk):
    for i, ((_unit, owner), choice) in enumerate(zip(owners, choices, strict=False)):
        if choice is None:
            continue
        kwargs = {"approve": choice} if vote.kind == VoteKind.COMMITTEE_ELECTION else {"choice": choice}
        services.ballot_cast(
            vote=vote, channel=Channel.PHONE, reference=f"T{i}", owner_id=owner.pk, actor=clerk, **kwargs
        )


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks):
    """Run the tally enqueued on commit (the test's transaction never commits)."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def _close(vote, actor):
    with _capture(execute=True):
        services.vote_close(vote=vote, actor=actor, now=vote.closes_at)
    vote.refresh_from_db()
    return vote.latest_result.data


def test_exactly_two_thirds_of_the_area_turning_out_meets_the_quorum(world, cast):
    owners = register(world["building_a1"], [100, 100, 100])
    vote = open_resolution(world["estate_a"])
    _cast_all(vote, owners, ["for", "for", None], cast["clerk"])
    assert _close(vote, cast["secretary_a"])["quorum"]["met"] is True


def test_one_square_metre_less_than_two_thirds_fails_the_quorum_and_the_vote(world, cast):
    owners = register(world["building_a1"], [99, 100, 101])
    vote = open_resolution(world["estate_a"])
    _cast_all(vote, owners, ["for", "for", None], cast["clerk"])
    data = _close(vote, cast["secretary_a"])
    assert data["quorum"] == {
        "total_area": "300.00",
        "total_owners": 3,
        "voted_area": "199.00",
        "voted_owners": 2,
        "met": False,
    }
    vote.refresh_from_db()
    assert vote.status == VoteStatus.FAILED


def test_exactly_half_of_the_participants_in_favour_does_not_pass(world, cast):
    owners = register(world["building_a1"], [100] * 4)
    vote = open_resolution(world["estate_a"])
    _cast_all(vote, owners, ["for", "for", "against", "abstain"], cast["clerk"])
    data = _close(vote, cast["secretary_a"])
    assert data["for"] == {"area": "200.00", "owners": 2}
    assert data["passed"] is False


def test_one_more_than_half_in_favour_passes(world, cast):
    owners = register(world["building_a1"], [100] * 4)
    vote = open_resolution(world["estate_a"])
    _cast_all(vote, owners, ["for", "for", "for", "abstain"], cast["clerk"])
    assert _close(vote, cast["secretary_a"])["passed"] is True


def test_exactly_three_quarters_passes_raising_the_maintenance_fund(world, cast):
    owners = register(world["building_a1"], [100] * 4)
    vote = open_resolution(world["estate_a"], matter=6)
    _cast_all(vote, owners, ["for", "for", "for", "against"], cast["clerk"])
    data = _close(vote, cast["secretary_a"])
    assert data["threshold"] == "three_quarters" and data["passed"] is True


def test_one_square_metre_under_three_quarters_fails_rebuilding(world, cast):
    owners = register(world["building_a1"], [100, 100, 99, 101])
    vote = open_resolution(world["estate_a"], matter=7)
    _cast_all(vote, owners, ["for", "for", "for", "against"], cast["clerk"])
    assert _close(vote, cast["secretary_a"])["passed"] is False


def test_invalid_ballot_takes_part_and_approves_no_one(world, cast):
    owners = register(world["building_a1"], [100] * 6)
    vote = open_election(world["estate_a"], [o for _u, o in owners[:6]], seats=5)
    ids = list(vote.candidates.order_by("pk").values_list("pk", flat=True))
    _cast_all(vote, owners, [ids[:5], ids[:5], ids[:5], ids[:6], ids[:6], None], cast["clerk"])
    data = _close(vote, cast["secretary_a"])
    assert data["invalid"] == 2 and data["quorum"]["voted_owners"] == 5
    first = next(c for c in data["candidates"] if c["id"] == ids[0])
    # 3 of 5 participants approve: more than half, with the invalid ballots in the denominator.
    assert first["approve_owners"] == 3 and first["passed"] is True


def test_register_changes_after_voting_opened_do_not_move_the_result(world, cast):
    owners = register(world["building_a1"], [100] * 3)
    vote = open_resolution(world["estate_a"])
    register(world["building_a2"], [500] * 3)  # would break the quorum if counted
    _cast_all(vote, owners, ["for", "for", None], cast["clerk"])
    data = _close(vote, cast["secretary_a"])
    assert data["quorum"]["total_owners"] == 3 and data["quorum"]["met"] is True


def test_recount_gives_the_stored_result(world, cast):
    owners = register(world["building_a1"], [100, 120, 80, 95.5])
    vote = open_resolution(world["estate_a"])
    _cast_all(vote, owners, ["for", "against", "for", "abstain"], cast["clerk"])
    stored = _close(vote, cast["secretary_a"])
    data, same = services.vote_recount(vote=vote)
    assert same is True and data == stored


def test_tally_run_twice_stores_one_result(world, cast):
    owners = register(world["building_a1"], [100] * 3)
    vote = open_resolution(world["estate_a"])
    _cast_all(vote, owners, ["for", "for", "for"], cast["clerk"])
    _close(vote, cast["secretary_a"])
    assert services.vote_tally(vote_id=vote.pk) is None
    assert VoteResult.objects.filter(vote=vote).count() == 1


def test_stored_result_cannot_be_changed(world, cast):
    owners = register(world["building_a1"], [100] * 3)
    vote = open_resolution(world["estate_a"])
    _cast_all(vote, owners, ["for", "for", "for"], cast["clerk"])
    _close(vote, cast["secretary_a"])
    result = VoteResult.objects.get(vote=vote)
    result.data = {"passed": False}
    with pytest.raises(Exception, match="append-only"):
        result.save()


def test_beat_job_closes_due_votes_and_counts_them(world, cast):
    import datetime

    from django.utils import timezone

    owners = register(world["building_a1"], [100] * 3)
    vote = open_resolution(world["estate_a"])
    _cast_all(vote, owners, ["for", "for", "for"], cast["clerk"])
    with _capture(execute=True):
        closed = services.close_due_votes(now=vote.closes_at + datetime.timedelta(minutes=1))
    vote.refresh_from_db()
    assert closed == [vote.pk] and vote.status == VoteStatus.COUNTING and vote.latest_result.data["passed"]
    assert timezone.now() < vote.closes_at  # it was closed by the schedule, not by the clock here


def test_quorum_failure_may_be_extended_once_when_the_rules_allow(world, cast):
    import datetime

    owners = register(world["building_a1"], [100] * 3)
    vote = open_resolution(world["estate_a"], extension_allowed=True)
    _cast_all(vote, owners, ["for", None, None], cast["clerk"])
    _close(vote, cast["secretary_a"])
    vote.refresh_from_db()
    assert vote.status == VoteStatus.COUNTING
    services.vote_extend(vote=vote, closes_at=vote.closes_at + datetime.timedelta(days=3), actor=cast["secretary_a"])
    assert vote.status == VoteStatus.VOTING and vote.extended
    _cast_all(vote, owners[1:], ["for"], cast["clerk"])
    data = _close(vote, cast["secretary_a"])
    assert data["quorum"]["met"] is True and vote.results.count() == 2


def test_extension_beyond_the_limit_is_refused(world, cast):
    import datetime

    from core.errors import ApplicationError

    owners = register(world["building_a1"], [100] * 3)
    vote = open_resolution(world["estate_a"], extension_allowed=True)
    _cast_all(vote, owners, ["for", None, None], cast["clerk"])
    _close(vote, cast["secretary_a"])
    with pytest.raises(ApplicationError) as refused:
        services.vote_extend(
            vote=vote, closes_at=vote.closes_at + datetime.timedelta(days=16), actor=cast["secretary_a"]
        )
    assert refused.value.code == "extension_too_long"


def test_verify_vote_passes_on_an_untouched_vote(world, cast, capsys):
    owners = register(world["building_a1"], [100] * 3)
    vote = open_resolution(world["estate_a"])
    _cast_all(vote, owners, ["for", "against", "for"], cast["clerk"])
    _close(vote, cast["secretary_a"])
    call_command("verify_vote", str(vote.pk))
    assert "OK" in capsys.readouterr().out


def test_verify_vote_names_a_ballot_altered_in_the_database(world, cast, capsys):
    from elections.models import Ballot

    owners = register(world["building_a1"], [100] * 3)
    vote = open_resolution(world["estate_a"])
    _cast_all(vote, owners, ["for", "against", "for"], cast["clerk"])
    _close(vote, cast["secretary_a"])
    altered = Ballot.objects.filter(vote=vote).order_by("seq")[1]
    with behind_the_platforms_back("elections_ballot"), connection.cursor() as cursor:
        cursor.execute("UPDATE elections_ballot SET choice = 'for' WHERE id = %s", [altered.pk])
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_vote", str(vote.pk))
    assert exit_.value.code != 0
    assert f"ballot seq {altered.seq}: hash does not match" in capsys.readouterr().err


def test_draft_vote_has_no_result(world, cast):
    vote = make_vote(world["estate_a"])
    assert vote.latest_result is None and vote.passed is None


def test_verify_vote_on_an_exported_csv_detects_a_tampered_approval(world, cast, tmp_path, capsys):
    from elections import selectors

    owners = register(world["building_a1"], [100] * 6)
    vote = open_election(world["estate_a"], [o for _u, o in owners[:6]], seats=5)
    ids = sorted(vote.candidates.values_list("pk", flat=True))
    _cast_all(vote, owners, [ids[:3], ids[:3], ids[1:4], ids[2:5], None, None], cast["clerk"])
    _close(vote, cast["secretary_a"])
    csv_text = selectors.export_csv(vote)
    good = tmp_path / "good.csv"
    good.write_text(csv_text, encoding="utf-8")
    call_command("verify_vote", str(vote.pk), "--csv", str(good))
    bad = tmp_path / "bad.csv"
    approve = " ".join(str(i) for i in ids[:3])
    bad.write_text(csv_text.replace(f",{approve},", f",{ids[5]},", 1), encoding="utf-8")
    with pytest.raises(SystemExit):
        call_command("verify_vote", str(vote.pk), "--csv", str(bad))
    first = vote.ballots.order_by("seq").first()
    assert f"ballot seq {first.seq}: hash does not match" in capsys.readouterr().err


def test_a_stored_result_sends_vote_decided_on_commit(world, cast):
    from elections.signals import vote_decided

    owners = register(world["building_a1"], [100] * 3)
    vote = open_resolution(world["estate_a"])
    _cast_all(vote, owners, ["for", "for", "for"], cast["clerk"])
    received = []

    def receiver(sender, vote, result, **kwargs):
        received.append((vote.pk, result.round, result.data["passed"]))

    vote_decided.connect(receiver)
    try:
        _close(vote, cast["secretary_a"])
    finally:
        vote_decided.disconnect(receiver)
    assert received == [(vote.pk, 1, True)]
