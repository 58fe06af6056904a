"""The clerk's desk: serials issued and printed, boxes sealed, paper ballots entered by keyboard, voids."""

import pytest

from elections.models import Ballot, BallotBox, BallotVoid, PaperSerial, RollEntry, VotingCode
from elections.tests.factories import open_election, open_resolution, register
from governance.models import Place, Role, RoleAssignment
from governance.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(world):
    """The labels of six units of estate A (``1栋-…``), as a clerk types them."""
    return [unit.label for unit, _owner in register(Place.objects.get(pk=world["building_a1"].pk), [100] * 6)]


@pytest.fixture
def vote(world, units):
    return open_resolution(Place.objects.get(pk=world["estate_a"].pk), title="加装电梯表决")


def _issue(client, vote, first=1, last=10):
    return client.post(
        f"/desk/{vote.pk}/",
        {"step": "issue", "issue-prefix": "A", "issue-first": first, "issue-last": last, "issue-width": 4},
    )


def _enter(client, vote, serial, unit, marks="1", **extra):
    return client.post(
        f"/desk/{vote.pk}/",
        {"step": "enter", "e-serial": serial, "e-unit": unit, "e-marks": marks, "e-channel": "central", **extra},
    )


def test_the_clerk_issues_serials_by_range_and_prints_them(cast, login, vote):
    client = login(cast["clerk"])
    response = _issue(client, vote)
    assert response.status_code == 302
    assert sorted(PaperSerial.objects.filter(vote=vote).values_list("serial", flat=True)) == [
        f"A{n:04d}" for n in range(1, 11)
    ]
    page = client.get(f"/desk/{vote.pk}/").content.decode()
    assert 'id="print-serials"' in page
    printed = client.get(f"/desk/{vote.pk}/serials/?prefix=A&first=1&last=10&width=4").content.decode()
    assert "A0001" in printed and "A0010" in printed


def test_the_clerk_prints_a_voting_code_slip_for_every_counted_owner_from_the_desk(cast, login, vote):
    client = login(cast["clerk"])
    assert f'href="/votes/{vote.pk}/codes/"' in client.get(f"/desk/{vote.pk}/").content.decode()
    sheets = client.post(f"/votes/{vote.pk}/codes/").context["sheets"]
    assert sum(len(sheet["slips"]) for sheet in sheets) == RollEntry.objects.filter(vote=vote).count() == 6
    assert VotingCode.objects.filter(vote=vote).count() == 6


def test_a_range_issued_twice_is_refused_by_its_field_and_nothing_is_issued_again(cast, login, vote):
    client = login(cast["clerk"])
    _issue(client, vote)
    page = _issue(client, vote, first=5, last=12)
    assert page.status_code == 409
    assert 'id="id_issue-first_error"' in page.content.decode()
    assert PaperSerial.objects.filter(vote=vote).count() == 10


def test_the_clerk_seals_a_box_and_enters_ballots_by_serial_unit_and_marks(cast, login, vote, units):
    client = login(cast["clerk"])
    _issue(client, vote)
    client.post(
        f"/desk/{vote.pk}/",
        {"step": "seal", "seal-label": "1号箱", "seal-channel": "central", "seal-witnesses": "张三、李四"},
    )
    assert BallotBox.objects.get(vote=vote).witnesses == "张三、李四"
    _enter(client, vote, "A0001", units[0], "1", **{"e-box": "1号箱"})
    _enter(client, vote, "A0002", units[1], "0", **{"e-box": "1号箱"})  # a blank ballot: spoiled, takes part
    first, second = Ballot.objects.filter(vote=vote).order_by("seq")
    assert first.choice == "for" and first.valid and first.box.label == "1号箱"
    assert not second.valid and second.invalid_reason == "spoiled"
    rec = client.get(f"/desk/{vote.pk}/reconciliation/").json()
    assert rec == {"issued": "10", "returned": "2", "spoiled": "1", "void": "0", "outstanding": "8"}
    page = client.get(f"/desk/{vote.pk}/").content.decode()
    assert units[0] in page and "u" + str(first.entry_id) not in page


def test_an_unknown_serial_is_refused_by_the_serial_field_keeping_what_was_typed(cast, login, vote, units):
    page = _enter(login(cast["clerk"]), vote, "Z9999", units[0])
    text = page.content.decode()
    assert page.status_code == 409
    assert 'id="id_e-serial_error"' in text and f'value="{units[0]}"' in text
    assert not Ballot.objects.filter(vote=vote).exists()


def test_a_unit_typed_wrong_is_named_by_the_unit_field(cast, login, vote):
    client = login(cast["clerk"])
    _issue(client, vote)
    page = _enter(client, vote, "A0001", "9栋-909")
    assert page.status_code == 400
    assert 'id="id_e-unit_error"' in page.content.decode() and "9栋-909" in page.content.decode()
    assert not Ballot.objects.filter(vote=vote).exists()


def test_a_second_ballot_for_the_same_unit_names_the_unit_not_a_key(cast, login, vote, units):
    client = login(cast["clerk"])
    _issue(client, vote)
    _enter(client, vote, "A0001", units[0])
    page = _enter(client, vote, "A0002", units[0]).content.decode()
    error = page.split('id="id_e-unit_error"', 1)[1].split("</", 1)[0]
    assert f"{units[0]} 的业主已经投过票" in error
    key = Ballot.objects.get(vote=vote).entry.key
    assert f"（{key}）" not in page
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_a_supervisor_voids_a_wrong_entry_with_a_reason_from_the_desk(cast, login, vote, units):
    _issue(login(cast["clerk"]), vote)
    _enter(login(cast["clerk"]), vote, "A0001", units[0])
    ballot = Ballot.objects.get(vote=vote)
    response = login(cast["secretary_a"]).post(
        f"/desk/{vote.pk}/", {"step": "void", "void-ballot": ballot.pk, "void-reason": "房号录错"}
    )
    assert response.status_code == 302
    assert BallotVoid.objects.get(ballot=ballot).reason == "房号录错"


def test_a_clerk_cannot_void_and_nothing_changes(cast, login, vote, units):
    client = login(cast["clerk"])
    _issue(client, vote)
    _enter(client, vote, "A0001", units[0])
    ballot = Ballot.objects.get(vote=vote)
    page = client.post(f"/desk/{vote.pk}/", {"step": "void", "void-ballot": ballot.pk, "void-reason": "想作废"})
    assert page.status_code == 403
    assert not BallotVoid.objects.exists() and not Ballot.objects.get(pk=ballot.pk).voided


def test_an_election_ballot_is_entered_by_candidate_numbers(cast, login, world):
    rows = register(Place.objects.get(pk=world["building_a1"].pk), [100] * 8)
    vote = open_election(Place.objects.get(pk=world["estate_a"].pk), [owner for _u, owner in rows[:6]], seats=5)
    client = login(cast["clerk"])
    _issue(client, vote)
    _enter(client, vote, "A0001", rows[7][0].label, "1 3 5")
    ballot = Ballot.objects.get(vote=vote)
    assert len(ballot.approve) == 3 and ballot.valid


def test_a_resident_cannot_open_the_desk(cast, login, vote):
    assert login(cast["resident"]).get(f"/desk/{vote.pk}/").status_code == 403


def test_a_clerk_of_another_estate_does_not_find_the_vote(cast, login, vote, world):
    other = UserFactory(username="clerk-b")
    RoleAssignment.objects.create(user=other, role=Role.CLERK, place=world["estate_b"])
    assert login(other).get(f"/desk/{vote.pk}/").status_code == 404
