"""Obligations raised by the lower layers' own services, through their signals (end to end)."""

import datetime
from decimal import Decimal

import pytest

from committees import services as committees_services
from committees.signals import ledger_checked
from committees.tests.factories import aware, committee
from elections.signals import vote_scheduled
from elections.tests.factories import open_resolution
from governance.scoping import SYSTEM
from oversight import selectors
from oversight.models import LedgerCheckRecord, Obligation, ObligationKind, SupervisionStage
from oversight.tests.factories import days_ago, fresh, ledger

pytestmark = pytest.mark.django_db


def test_a_major_projects_start_and_acceptance_raise_its_supervision(world, django_capture_on_commit_callbacks):
    estate = world["estate_a"]
    with django_capture_on_commit_callbacks(execute=True):
        project = committees_services.project_create(
            estate=estate, title="消防主管网改造", budget=Decimal("1280000.00"), actor=SYSTEM
        )
    assert not Obligation.objects.filter(project=project).exists()  # registered, not yet started
    with django_capture_on_commit_callbacks(execute=True):
        committees_services.project_start(project=project, on=days_ago(45), actor=SYSTEM)
    assert list(Obligation.objects.filter(project=project).values_list("stage", flat=True)) == [
        SupervisionStage.START,
        SupervisionStage.PROGRESS,
    ]
    with django_capture_on_commit_callbacks(execute=True):
        committees_services.project_accept(
            project=project,
            accepted_on=days_ago(2),
            actual_end=days_ago(5),
            actual_cost=Decimal("856400.00"),
            actor=SYSTEM,
        )
    stages = list(Obligation.objects.filter(project=project).order_by("due_on").values_list("stage", "due_on"))
    assert stages[-1] == (SupervisionStage.ACCEPTANCE, days_ago(2) + datetime.timedelta(days=7))
    assert len(stages) == 3


def test_a_large_spending_request_raises_participation_through_its_signal(world, django_capture_on_commit_callbacks):
    estate = world["estate_a"]
    accounts = {a.code: a for a in committees_services.ledger_open(estate=estate, actor=SYSTEM)}
    with django_capture_on_commit_callbacks(execute=True):
        request = committees_services.spending_request_create(
            estate=estate, payee="管网公司", purpose=accounts["5101"], amount=Decimal("68000.00"), actor=SYSTEM
        )
    assert Obligation.objects.get(spending_request=request).kind == ObligationKind.PARTICIPATE


def test_a_committee_meetings_attendance_meets_its_obligation_through_the_signals(
    world, django_capture_on_commit_callbacks
):
    estate = world["estate_a"]
    board = committee(estate, n=5)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = committees_services.meeting_create(
            estate=estate, kind="committee", title="例会", held_at=aware(2026, 1, 8), actor=SYSTEM
        )
    assert Obligation.objects.get(meeting=meeting).state == "open"
    with django_capture_on_commit_callbacks(execute=True):
        committees_services.meeting_record_attendance(
            meeting=meeting, attendees=[p.person for p in board.posts.all()], party_org=True, actor=SYSTEM
        )
    assert Obligation.objects.get(meeting=meeting).state == "met"


def test_a_failed_ledger_check_is_kept_and_raises_an_early_warning(world, django_capture_on_commit_callbacks):
    estate = world["estate_a"]
    ledger(estate, entries=[(days_ago(3), "100.00")])
    with django_capture_on_commit_callbacks(execute=True):
        committees_services.ledger_check(estate=estate, actor=SYSTEM)
    assert LedgerCheckRecord.objects.get().ok
    assert selectors.early_warning(fresh(world["district"])) == []
    with django_capture_on_commit_callbacks(execute=True):
        ledger_checked.send(sender=None, estate=estate, ok=False, problem="sequence 2 is missing")
    assert [r["code"] for r in selectors.early_warning(fresh(world["district"]))[0]["reasons"]] == ["ledger_failed"]


def test_an_owners_assembly_called_to_vote_raises_attend_and_participate(world, django_capture_on_commit_callbacks):
    estate = world["estate_a"]
    with django_capture_on_commit_callbacks(execute=True):
        vote = open_resolution(estate)
    # The elections layer sends ``vote_scheduled`` when the vote enters notice; sent here too, raised once.
    vote_scheduled.send(sender=None, vote=vote)
    kinds = sorted(Obligation.objects.filter(vote=vote).values_list("kind", flat=True))
    assert kinds == [ObligationKind.ATTEND, ObligationKind.PARTICIPATE]
