"""The demo reproduces the reference estate (DOMAIN.md §8) and loads idempotently."""

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
from governance import demo as governance_demo
from governance.models import Place
from residents import demo as residents_demo


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Load the three demos once for the module (the register is large), inside a rolled-back transaction."""
    from django.db import transaction
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            governance_demo.load(stdout=io.StringIO())
            residents_demo.load(stdout=io.StringIO())
            demo.load(stdout=io.StringIO())
            yield Place.objects.get(kind="estate", name="南方上格林")
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def estate(loaded, db):
    return loaded


def test_the_demo_committee_has_nine_members_six_party_members_and_the_secretary_as_chair(estate):
    committee = OwnersCommittee.objects.get(estate=estate, status="current")
    summary = selectors.committee_summary(committee)
    assert (summary.members, summary.party_members) == (9, 6)
    assert summary.chair_is_secretary and not summary.lapsed


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
