"""The demo reproduces the reference estate (docs/domain.md §8) and loads idempotently."""

import io
from decimal import Decimal

import pytest

from committees import demo, selectors
from committees.models import (
    LedgerTransaction,
    Meeting,
    MeetingKind,
    OwnersCommittee,
    Project,
    ServiceContract,
    SpendingRequest,
    Statement,
)
from elections import demo as elections_demo
from governance import demo as governance_demo
from governance.models import Place
from residents import demo as residents_demo


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Load the three demos once for the module (the register is large), inside a rolled-back transaction."""
    from django.db import transaction
    from django.test import TestCase, override_settings

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            governance_demo.load(stdout=io.StringIO())
            residents_demo.load(stdout=io.StringIO())
            # The filed election records the committee through ``vote_filed``, sent on commit.
            with TestCase.captureOnCommitCallbacks(execute=True):
                elections_demo.load(stdout=io.StringIO())
            demo.load(stdout=io.StringIO())
            yield Place.objects.get(kind="estate", name="南方上格林")
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def estate(loaded, db):
    return loaded


def test_the_demo_committee_comes_from_the_filed_election_with_nine_members_six_party_members(estate):
    committee = OwnersCommittee.objects.get(estate=estate, status="current")
    summary = selectors.committee_summary(committee)
    assert committee.election is not None and committee.election.seats == 9
    assert (summary.members, summary.party_members) == (9, 6)
    assert summary.chair_id is not None and not summary.lapsed


def test_the_demo_chair_is_the_general_branch_secretary_aged_73(estate):
    import datetime

    from governance.selectors import secretary_chair_share

    committee = OwnersCommittee.objects.get(estate=estate, status="current")
    chair = committee.posts.get(kind="chair").person
    assert secretary_chair_share(estate)["estates_secretary_is_chair"] == 1
    assert chair.age_on(datetime.date(2026, 11, 29)) == 73


def test_the_demo_supervision_group_is_independent_of_the_committee_and_can_sign(estate):
    from committees.models import SpendingApproval, SupervisionGroup

    group = SupervisionGroup.objects.get(estate=estate)
    committee_people = set(
        OwnersCommittee.objects.get(estate=estate, status="current").posts.values_list("person_id", flat=True)
    )
    assert not committee_people & set(group.members.values_list("person_id", flat=True))
    assert SpendingApproval.objects.filter(stage="supervision", approver__username="supervisor").exists()


def test_the_demo_has_a_committee_meeting_for_each_month_of_the_past_year(estate):
    held = Meeting.objects.filter(estate=estate, kind=MeetingKind.COMMITTEE).values_list(
        "held_at__year", "held_at__month"
    )
    assert len(set(held)) == 12


def test_the_demo_ledger_holds_a_year_of_history_that_verifies(estate):
    assert LedgerTransaction.objects.filter(estate=estate).count() > 30
    assert selectors.ledger_verify(estate).ok
    assert Statement.objects.filter(estate=estate).count() >= 3
    assert SpendingRequest.objects.filter(estate=estate, status="paid").count() >= 3


def test_the_demo_fire_main_project_saved_over_400000_yuan_and_a_month(estate):
    project = Project.objects.get(estate=estate, title=demo.FIRE_MAIN)
    assert project.budget_saving > Decimal("400000") and project.schedule_saving_days > 31
    assert project.expert_team.count() == 5 and project.is_major


def test_the_demo_property_company_has_a_contract_and_a_party_branch(estate):
    contract = ServiceContract.objects.select_related("company__party_branch").get(estate=estate)
    assert contract.company.party_branch.function == "property_company"


def test_loading_the_demo_twice_changes_nothing(estate):
    models = (OwnersCommittee, Meeting, LedgerTransaction, Statement, Project, ServiceContract, SpendingRequest)
    before = [m.objects.count() for m in models]
    demo.load(stdout=io.StringIO())
    assert [m.objects.count() for m in models] == before


def test_the_demo_officers_were_elected_at_the_first_meeting(estate):
    committee = OwnersCommittee.objects.get(estate=estate, status="current")
    chair = committee.posts.get(kind="chair")
    assert (chair.start - committee.term_start).days <= 7
