"""The signals this app sends for oversight: once the write has committed, never for one that rolled back."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import TestCase

from committees import services, signals
from committees.models import MeetingKind, Stage
from committees.tests.factories import aware, committee, income, voucher
from governance.scoping import SYSTEM

D = Decimal


@pytest.fixture
def heard():
    """Every committees signal sent during the test, as (name, kwargs without the signal itself)."""
    received = []
    names = [
        "meeting_scheduled",
        "meeting_attended",
        "decision_recorded",
        "project_registered",
        "project_changed",
        "spending_requested",
        "spending_paid",
        "committee_recorded",
        "ledger_checked",
    ]
    handlers = {}
    for name in names:

        def handler(sender, signal, name=name, **kwargs):
            received.append((name, kwargs))

        handlers[name] = handler
        getattr(signals, name).connect(handler, dispatch_uid=f"test-{name}")
    yield received
    for name in names:
        getattr(signals, name).disconnect(dispatch_uid=f"test-{name}")


def _names(received):
    return [name for name, _kwargs in received]


def test_a_recorded_committee_is_announced_on_commit(estate, heard):
    with TestCase.captureOnCommitCallbacks(execute=True):
        board = committee(estate, n=5)
        assert heard == []
    assert heard == [("committee_recorded", {"committee": board})]


def test_a_meeting_is_announced_when_scheduled_and_when_its_attendance_is_recorded(estate, heard):
    board = committee(estate, n=5)
    heard.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        meeting = services.meeting_create(
            estate=estate, kind=MeetingKind.COMMITTEE, title="例会", held_at=aware(2026, 3, 1), actor=SYSTEM
        )
        services.meeting_record_attendance(
            meeting=meeting, attendees=[p.person for p in board.posts.all()], party_org=True, actor=SYSTEM
        )
        services.decision_record(meeting=meeting, text="同意", votes_for=5, actor=SYSTEM)
    assert _names(heard) == ["meeting_scheduled", "meeting_attended", "decision_recorded"]
    assert heard[1][1]["meeting"].party_org_attended


def test_a_project_is_announced_when_registered_started_at_each_milestone_and_when_accepted(estate, heard):
    with TestCase.captureOnCommitCallbacks(execute=True):
        project = services.project_create(estate=estate, title="消防主管网改造", budget=D("1280000"), actor=SYSTEM)
        milestone = services.project_milestone_add(project=project, title="管网试压", actor=SYSTEM)
        services.project_start(project=project, on=datetime.date(2026, 3, 1), actor=SYSTEM)
        services.project_milestone_reach(milestone=milestone, reached_on=datetime.date(2026, 5, 1), actor=SYSTEM)
        services.project_accept(
            project=project,
            accepted_on=datetime.date(2026, 6, 2),
            actual_end=datetime.date(2026, 6, 1),
            actual_cost=D("856400"),
            actor=SYSTEM,
        )
    assert _names(heard) == ["project_registered", "project_changed", "project_changed", "project_changed"]
    assert [kwargs.get("change") for _name, kwargs in heard[1:]] == ["started", "milestone", "accepted"]
    assert heard[2][1]["milestone"] == milestone


def test_spending_is_announced_when_requested_and_when_paid(estate, ledger, cast, heard):
    income(estate, "10000", datetime.date(2026, 1, 5))
    board = committee(estate, n=5)
    meeting = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="例会", held_at=aware(2026, 2, 1), actor=SYSTEM
    )
    services.meeting_record_attendance(meeting=meeting, attendees=[p.person for p in board.posts.all()], actor=SYSTEM)
    decision = services.decision_record(meeting=meeting, text="同意", votes_for=5, actor=SYSTEM)
    heard.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        request = services.spending_request_create(
            estate=estate, payee="门禁公司", purpose=ledger["5101"], amount=D("800"), actor=cast["committee_member"]
        )
        services.spending_approve(
            request=request, stage=Stage.COMMITTEE, decision=decision, seen="纪要", actor=cast["committee_member"]
        )
        services.spending_pay(
            request=request, date=datetime.date(2026, 2, 5), voucher=voucher(), actor=cast["committee_member"]
        )
    assert _names(heard) == ["spending_requested", "spending_paid"]
    assert heard[0][1]["request"].pk == heard[1][1]["request"].pk == request.pk


def test_a_ledger_check_is_announced_with_its_outcome(estate, ledger, heard):
    income(estate, "100", datetime.date(2026, 1, 5))
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.ledger_check(estate=estate, actor=SYSTEM)
    assert heard == [("ledger_checked", {"estate": estate, "ok": True, "problem": ""})]


def test_a_write_that_rolls_back_announces_nothing(estate, heard):
    with TestCase.captureOnCommitCallbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.project_create(estate=estate, title="外墙维修", budget=D("300000"), actor=SYSTEM)
        raise RuntimeError("the surrounding request failed")
    assert heard == []
