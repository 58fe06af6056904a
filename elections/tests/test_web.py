"""The web pages: the resident's online ballot (code or login) and the clerk's paper entry."""

import pytest

from elections import services
from elections.models import Ballot, VotingCode
from elections.tests.factories import codes_by_unit, open_election, open_resolution

pytestmark = [pytest.mark.django_db, pytest.mark.urls("elections.tests.urls")]


def test_voting_code_opens_the_ballot_and_casting_shows_a_receipt(client, estate, ten_owners, cast):
    vote = open_resolution(estate)
    codes = codes_by_unit(vote, dict(services.voting_codes_issue(vote=vote, actor=cast["secretary_a"])))
    unit = ten_owners[0][0]
    r = client.post("/votes/code/", {"code": codes[unit.pk].lower()}, follow=True)
    assert r.status_code == 200 and unit.label in r.content.decode() and 'name="choice"' in r.content.decode()
    r = client.post(f"/votes/{vote.pk}/cast/", {"choice": "for"})
    receipt = r.context["receipt"]
    assert receipt in r.content.decode()
    assert Ballot.objects.get(vote=vote).entry.key == f"u{unit.pk}"
    r = client.get(f"/votes/{vote.pk}/bulletin/", {"receipt": receipt})
    assert r.context["found"] == "counted"


def test_wrong_voting_code_is_refused_with_a_message(client, estate, ten_owners):
    open_resolution(estate)
    r = client.post("/votes/code/", {"code": "WRONG123"}, follow=True)
    assert "投票码不正确" in r.content.decode()


def test_logged_in_owner_votes_in_an_election(client, estate, ten_owners, cast):
    vote = open_election(estate, [o for _u, o in ten_owners[:6]], seats=5)
    owner = ten_owners[7][1]
    user = cast["resident"]
    user.person = owner.person
    user.save()
    client.force_login(user)
    page = client.get(f"/votes/{vote.pk}/").content.decode()
    assert "候选人0的陈述" in page
    ids = list(vote.candidates.values_list("pk", flat=True))[:3]
    r = client.post(f"/votes/{vote.pk}/cast/", {"approve": ids})
    assert r.status_code == 200 and r.context["receipt"]
    assert sorted(Ballot.objects.get(vote=vote).approve) == sorted(ids)


def test_an_owner_who_has_voted_sees_it_on_the_vote_page_and_no_ballot(client, estate, ten_owners):
    from governance.models import Role, RoleAssignment
    from governance.tests.factories import UserFactory

    unit, owner = ten_owners[0]
    user = UserFactory(person=owner.person)
    RoleAssignment.objects.create(user=user, role=Role.RESIDENT, place=estate)
    vote = open_resolution(estate)
    client.force_login(user)
    assert 'id="ballot"' in client.get(f"/votes/{vote.pk}/").content.decode()
    client.post(f"/votes/{vote.pk}/cast/", {"owner": owner.pk, "choice": "for"})
    page = client.get(f"/votes/{vote.pk}/").content.decode()
    assert 'id="voted"' in page and "您已投票" in page and unit.label in page
    assert 'id="ballot"' not in page
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_anonymous_visitor_without_a_code_is_sent_to_log_in_and_back(client, estate, ten_owners):
    vote = open_resolution(estate)
    response = client.get(f"/votes/{vote.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/votes/{vote.pk}/"
    assert client.post(f"/votes/{vote.pk}/cast/", {"choice": "for"}).status_code == 403
    assert not Ballot.objects.filter(vote=vote).exists()


def test_clerk_enters_paper_ballots_serial_first(client, estate, ten_owners, cast):
    vote = open_election(estate, [o for _u, o in ten_owners[:6]], seats=5)
    services.paper_serials_issue(vote=vote, serials=["Z1", "Z2"], actor=cast["secretary_a"])
    client.force_login(cast["clerk"])
    page = client.get(f"/votes/{vote.pk}/paper/").content.decode()
    assert page.index('name="serial"') < page.index('name="unit"') and "autofocus" in page
    unit = ten_owners[8][0]
    r = client.post(
        f"/votes/{vote.pk}/paper/",
        {"serial": "Z1", "unit": unit.label, "marks": "1 2 3", "channel": "mobile_box"},
        follow=True,
    )
    assert "已录入" in r.content.decode()
    ballot = Ballot.objects.get(vote=vote)
    assert ballot.channel == "mobile_box" and ballot.paper_serial == "Z1" and len(ballot.approve) == 3
    r = client.post(
        f"/votes/{vote.pk}/paper/", {"serial": "Z1", "unit": ten_owners[9][0].label, "marks": "1"}, follow=True
    )
    assert "已录入过" in r.content.decode()


def test_resident_cannot_open_the_paper_entry_page(client, estate, ten_owners, cast):
    vote = open_resolution(estate)
    client.force_login(cast["resident"])
    assert client.get(f"/votes/{vote.pk}/paper/").status_code == 404


def test_admin_lists_votes_and_ballots_read_only(client, estate, ten_owners, cast):
    from governance.tests.factories import UserFactory

    vote = open_resolution(estate)
    services.ballot_cast(
        vote=vote, channel="phone", reference="T", owner_id=ten_owners[0][1].pk, choice="for", actor=cast["clerk"]
    )
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get("/admin/elections/vote/").status_code == 200
    for model in ("proxy", "ballotbox", "noticeposting"):
        assert client.get(f"/admin/elections/{model}/").status_code == 200
    assert client.get("/admin/elections/proxy/add/").status_code == 403
    page = client.get(f"/admin/elections/ballot/{Ballot.objects.get().pk}/change/")
    assert page.status_code == 200 and 'name="choice"' not in page.content.decode()


def test_roll_notice_names_units_and_areas_never_owners(
    client, estate, ten_owners, cast, django_assert_max_num_queries
):
    vote = open_resolution(estate)
    client.force_login(cast["resident"])
    with django_assert_max_num_queries(12):
        page = client.get(f"/votes/{vote.pk}/roll/").content.decode()
    assert ten_owners[0][0].label in page and "100.00" in page
    assert not any(owner.person.name in page for _u, owner in ten_owners)


def test_the_roll_notice_finds_an_owner_by_the_unit_number(client, estate, ten_owners, cast):
    vote = open_resolution(estate)
    client.force_login(cast["resident"])
    wanted = ten_owners[3][0]
    for query in (wanted.label, wanted.room, f" {wanted.label.replace('-', '－')} "):
        page = client.get(f"/votes/{vote.pk}/roll/", {"q": query}).content.decode()
        shown = [unit.label for unit, _o in ten_owners if f"<td>{unit.label}</td>" in page]
        assert shown == [wanted.label], query


def test_the_roll_notice_says_when_no_unit_matches(client, estate, ten_owners, cast):
    vote = open_resolution(estate)
    client.force_login(cast["resident"])
    page = client.get(f"/votes/{vote.pk}/roll/", {"q": "99栋-9999"}).content.decode()
    assert "名册上没有房号“99栋-9999”。" in page
    assert not any(f"<td>{unit.label}</td>" in page for unit, _o in ten_owners)


def test_a_long_roll_is_paged_in_a_fixed_number_of_queries(
    client, estate, ten_owners, cast, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("elections.views.ROLL_PAGE", 4)
    vote = open_resolution(estate)
    client.force_login(cast["resident"])
    with django_assert_max_num_queries(12):
        last = client.get(f"/votes/{vote.pk}/roll/", {"page": 3}).content.decode()
    first = client.get(f"/votes/{vote.pk}/roll/").content.decode()
    assert sum(f"<td>{unit.label}</td>" in first for unit, _o in ten_owners) == 4
    assert sum(f"<td>{unit.label}</td>" in last for unit, _o in ten_owners) == 2
    assert "第 1 / 3 页，共 10 条" in first


def test_secretary_prints_voting_codes_once(client, estate, ten_owners, cast):
    vote = open_resolution(estate)
    client.force_login(cast["secretary_a"])
    first = client.post(f"/votes/{vote.pk}/codes/")
    assert sum(len(sheet["slips"]) for sheet in first.context["sheets"]) == 10
    assert VotingCode.objects.filter(vote=vote).count() == 10
    again = client.post(f"/votes/{vote.pk}/codes/")
    assert again.context["sheets"] == [] and VotingCode.objects.filter(vote=vote).count() == 10
    client.force_login(cast["resident"])
    assert client.get(f"/votes/{vote.pk}/codes/").status_code == 404


def test_the_clerk_issues_the_voting_code_slips_from_the_desk(client, estate, ten_owners, cast):
    vote = open_resolution(estate)
    client.force_login(cast["clerk"])
    assert client.get(f"/votes/{vote.pk}/codes/").status_code == 200
    slips = client.post(f"/votes/{vote.pk}/codes/").context["sheets"]
    assert sum(len(sheet["slips"]) for sheet in slips) == 10
    assert VotingCode.objects.filter(vote=vote).count() == 10
