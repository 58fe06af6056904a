"""Voting codes belong to counted owners, are delivered sealed, and cannot be guessed (issue 9 item 4)."""

import re

import pytest

from core.errors import ApplicationError, Conflict
from elections import services
from elections.models import Ballot, Channel, RollEntry, VotingCode
from elections.services import TooManyAttempts
from elections.tests.factories import UnitFactory, open_resolution, own
from governance.scoping import SYSTEM
from residents.models import Owner, OwnerKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate_with_developer(world, ten_owners):
    """Ten owners of one flat each, and the developer holding five unsold flats (one counted owner)."""
    dev = Owner.objects.create(
        kind=OwnerKind.ORGANIZATION, org_name="重庆某置业有限公司", is_developer=True, place=world["estate_a"]
    )
    units = [UnitFactory(building=world["building_a2"]) for _ in range(5)]
    for unit in units:
        own(unit, dev)
    return dev, units


def test_one_code_is_issued_per_counted_owner_not_per_unit(world, cast, estate_with_developer):
    vote = open_resolution(world["estate_a"])
    issued = dict(services.voting_codes_issue(vote=vote, actor=cast["secretary_a"]))
    assert len(issued) == RollEntry.objects.filter(vote=vote).count() == 11
    developer = RollEntry.objects.get(vote=vote, is_developer=True)
    assert developer.pk in issued and VotingCode.objects.filter(vote=vote).count() == 11


def test_the_developers_code_casts_its_entry_once_with_its_whole_area(world, cast, estate_with_developer):
    vote = open_resolution(world["estate_a"])
    issued = dict(services.voting_codes_issue(vote=vote, actor=cast["secretary_a"]))
    developer = RollEntry.objects.get(vote=vote, is_developer=True)
    ballot = services.ballot_cast(
        vote=vote, channel=Channel.ONLINE, voting_code=issued[developer.pk], choice="for", actor=SYSTEM, client="a"
    )
    assert ballot.entry == developer and ballot.area_cents == 500_00
    with pytest.raises(Conflict) as refused:
        services.ballot_cast(
            vote=vote, channel=Channel.ONLINE, voting_code=issued[developer.pk], choice="for", actor=SYSTEM, client="b"
        )
    assert refused.value.code == "duplicate"


def test_a_code_reads_as_the_votes_number_and_twelve_letters(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    codes = list(dict(services.voting_codes_issue(vote=vote, actor=cast["secretary_a"])).values())
    assert all(re.fullmatch(rf"{vote.pk}-[A-HJ-NP-Z]{{4}}-[A-HJ-NP-Z]{{4}}-[A-HJ-NP-Z]{{4}}", c) for c in codes)
    assert len(set(codes)) == 10


def test_codes_are_issued_once_the_roll_is_frozen(world, cast, ten_owners):
    from elections.tests.factories import make_vote

    vote = make_vote(world["estate_a"])
    with pytest.raises(Conflict):
        services.voting_codes_issue(vote=vote, actor=cast["secretary_a"])
    assert not VotingCode.objects.exists()


def test_attempts_are_limited_per_client_even_with_the_right_code(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    right = next(iter(dict(services.voting_codes_issue(vote=vote, actor=cast["secretary_a"])).values()))
    for i in range(20):
        with pytest.raises(Conflict):
            services.code_entry(code=f"{vote.pk}-AAAA-BBBB-CC{chr(65 + i % 20)}D", client="10.0.0.9")
    with pytest.raises(TooManyAttempts) as refused:
        services.code_entry(code=right, client="10.0.0.9")
    assert refused.value.status == 429
    assert services.code_entry(code=right, client="10.0.0.10").vote == vote


def test_failed_attempts_against_one_vote_are_limited_whatever_the_client(settings, world, cast, ten_owners):
    settings.GONGZHI = {**settings.GONGZHI, "VOTING_CODE_VOTE_FAILURES": 3}
    vote = open_resolution(world["estate_a"])
    right = next(iter(dict(services.voting_codes_issue(vote=vote, actor=cast["secretary_a"])).values()))
    for i in range(3):
        with pytest.raises(Conflict):
            services.code_entry(code=f"{vote.pk}-AAAA-BBBB-CCCC", client=f"10.0.1.{i}")
    with pytest.raises(TooManyAttempts):
        services.code_entry(code=f"{vote.pk}-AAAA-BBBB-CCCD", client="10.0.2.1")
    # A right code still opens the vote: only failures count against it.
    assert services.code_entry(code=right, client="10.0.2.2").vote == vote


def test_a_ballot_with_a_wrong_code_is_refused_and_logged_and_nothing_else_written(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    services.voting_codes_issue(vote=vote, actor=cast["secretary_a"])
    with pytest.raises(Conflict) as refused:
        services.ballot_cast(
            vote=vote, channel=Channel.ONLINE, voting_code=f"{vote.pk}-XXXX-XXXX-XXXX", choice="for", actor=SYSTEM
        )
    assert refused.value.code == "code_invalid"
    assert not Ballot.objects.filter(vote=vote).exists()
    assert vote.refused_ballots.get().reason == "code_invalid"


@pytest.mark.urls("elections.tests.urls")
def test_the_code_page_no_longer_says_codes_are_printed_on_the_public_notice(client, world, ten_owners):
    page = client.get("/votes/").content.decode()
    assert "公告" not in page and "密封送达" in page


@pytest.mark.urls("elections.tests.urls")
def test_codes_are_shown_once_as_sealed_slips_per_building(client, world, cast, estate_with_developer):
    vote = open_resolution(world["estate_a"])
    client.force_login(cast["secretary_a"])
    r = client.post(f"/votes/{vote.pk}/codes/")
    sheets = r.context["sheets"]
    assert [s["building"] for s in sheets] == sorted(["1栋", "建设单位"])
    page = r.content.decode()
    assert page.count('class="code-slip"') == 11 and "密封" in page and "不得张贴" in page


@pytest.mark.urls("elections.tests.urls")
def test_a_client_guessing_codes_on_the_page_is_stopped(client, world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    right = next(iter(dict(services.voting_codes_issue(vote=vote, actor=cast["secretary_a"])).values()))
    for _i in range(20):
        client.post("/votes/code/", {"code": f"{vote.pk}-AAAA-BBBB-CCCC"})
    r = client.post("/votes/code/", {"code": right}, follow=True)
    assert "尝试次数过多" in r.content.decode()
    assert "elections_voting_codes" not in client.session


# A ballot with a code marks the code used in the statement that finds it (PostgreSQL; the ORM elsewhere).


def _codes(vote):
    return list(dict(services.voting_codes_issue(vote=vote, actor=SYSTEM)).items())


def _online(vote, code, client="10.0.3.1", **extra):
    return services.ballot_cast(
        vote=vote, channel=Channel.ONLINE, voting_code=code, choice="for", actor=SYSTEM, client=client, **extra
    )


def test_a_ballot_with_a_code_marks_the_code_used_when_cast_and_casts_its_entry(world, ten_owners):
    vote = open_resolution(world["estate_a"])
    entry_id, code = _codes(vote)[0]
    ballot = _online(vote, code)
    assert ballot.entry_id == entry_id
    assert VotingCode.objects.get(vote=vote, entry_id=entry_id).used_at == ballot.cast_at


def test_a_wrong_code_counts_a_failed_attempt_against_the_vote(world, ten_owners):
    from core import throttle

    vote = open_resolution(world["estate_a"])
    _codes(vote)
    with pytest.raises(Conflict) as refused:
        _online(vote, f"{vote.pk}-XXXX-XXXX-XXXX")
    assert refused.value.code == "code_invalid"
    assert throttle.attempts(f"voting-code:vote:{vote.pk}") == 1
    assert not VotingCode.objects.filter(vote=vote, used_at__isnull=False).exists()


def test_a_used_code_is_refused_as_a_second_ballot_and_keeps_the_first_use(world, ten_owners):
    vote = open_resolution(world["estate_a"])
    entry_id, code = _codes(vote)[0]
    first = _online(vote, code)
    with pytest.raises(Conflict) as refused:
        _online(vote, code, client="10.0.3.2")
    assert refused.value.code == "duplicate"
    assert list(Ballot.objects.filter(vote=vote).values_list("pk", flat=True)) == [first.pk]
    assert VotingCode.objects.get(vote=vote, entry_id=entry_id).used_at == first.cast_at


def test_a_code_of_another_vote_is_refused_as_wrong_and_stays_unused(world, ten_owners):
    vote, other = open_resolution(world["estate_a"]), open_resolution(world["estate_a"])
    _codes(vote)
    _entry_id, others_code = _codes(other)[0]
    with pytest.raises(Conflict) as refused:
        _online(vote, others_code)
    assert refused.value.code == "code_invalid"
    assert not Ballot.objects.filter(vote__in=[vote, other]).exists()
    assert not VotingCode.objects.filter(used_at__isnull=False).exists()


def test_a_code_whose_ballot_is_refused_stays_unused(world, ten_owners):
    vote = open_resolution(world["estate_a"])
    entry_id, code = _codes(vote)[0]
    with pytest.raises(ApplicationError) as refused:
        services.ballot_cast(vote=vote, channel=Channel.ONLINE, voting_code=code, choice="maybe", actor=SYSTEM)
    assert refused.value.code == "choice_required"
    assert VotingCode.objects.get(vote=vote, entry_id=entry_id).used_at is None
    assert not Ballot.objects.filter(vote=vote).exists()


@pytest.mark.postgres
def test_marking_a_code_used_in_sql_equals_the_orms(world, ten_owners):
    from django.utils import timezone

    from elections.services.codes import _mark_used, _mark_used_orm

    vote = open_resolution(world["estate_a"])
    _codes(vote)
    code = VotingCode.objects.filter(vote=vote).order_by("pk").first()
    now = timezone.now()
    seen = {}
    for mark in (_mark_used, _mark_used_orm):
        VotingCode.objects.filter(pk=code.pk).update(used_at=None)
        row = mark(vote.pk, code.code_hash, now)
        entry = row.entry
        seen[mark] = (
            (row.pk, row.vote_id, row.entry_id, row.code_hash, row.issued_at, row.used_at),
            (entry.pk, entry.vote_id, entry.key, entry.area, entry.is_developer, entry.frozen),
            VotingCode.objects.get(pk=code.pk).used_at,
            mark(vote.pk, "no such hash", now),
        )
    assert seen[_mark_used] == seen[_mark_used_orm] == (seen[_mark_used][0], seen[_mark_used][1], now, None)
