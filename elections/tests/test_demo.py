"""The demo: a filed election of the reference case and an open resolution; loading twice changes nothing."""

import io

import pytest
from django.core.management import call_command

from elections import demo, services
from elections.models import Ballot, Vote, VoteStatus

pytestmark = pytest.mark.django_db


def test_demo_without_units_creates_nothing_and_says_so():
    out = io.StringIO()
    demo.load(stdout=out)
    assert Vote.objects.count() == 0 and "skipped" in out.getvalue()


def test_demo_election_reproduces_the_reference_case_and_loads_once(django_capture_on_commit_callbacks):
    from governance import demo as governance_demo
    from residents import demo as residents_demo

    out = io.StringIO()
    governance_demo.load(stdout=out)
    residents_demo.load(stdout=out)
    with django_capture_on_commit_callbacks(execute=True):
        demo.load(stdout=out)
    election = Vote.objects.get(title=demo.ELECTION_TITLE)
    data = election.latest_result.data
    assert election.status == VoteStatus.FILED and election.filing_reference
    assert len(data["candidates"]) == 10 and len(data["elected"]) == 9
    assert data["party_members"] == {"candidates": 6, "elected": 6}
    assert {c for c in Ballot.objects.filter(vote=election).values_list("channel", flat=True)} == {
        "online",
        "phone",
        "wechat",
        "central",
        "mobile_box",
    }
    resolution = Vote.objects.get(title=demo.RESOLUTION_TITLE)
    assert resolution.status == VoteStatus.VOTING
    for vote in Vote.objects.all():
        call_command("verify_vote", str(vote.pk), stdout=out)
    assert out.getvalue().count(": OK") == Vote.objects.count() == 2
    counts = (Vote.objects.count(), Ballot.objects.count())
    demo.load(stdout=out)
    assert (Vote.objects.count(), Ballot.objects.count()) == counts


def test_demo_resident_can_vote_in_the_open_resolution():
    from governance import demo as governance_demo
    from governance.models import User
    from residents import demo as residents_demo

    out = io.StringIO()
    governance_demo.load(stdout=out)
    residents_demo.load(stdout=out)
    demo.load(stdout=out)
    resolution = Vote.objects.get(title=demo.RESOLUTION_TITLE)
    ballot = services.ballot_cast(
        vote=resolution, channel="online", choice="for", actor=User.objects.get(username="resident")
    )
    assert ballot.receipt
