"""Compliance with the four musts: the arithmetic on a crafted estate, and a fixed number of queries."""

import datetime

import pytest

from governance.models import PlaceKind
from governance.scoping import SYSTEM
from governance.tests.factories import place
from oversight import selectors, services
from oversight.models import ObligationKind
from oversight.tests.factories import assembly, days_ago, fresh

pytestmark = pytest.mark.django_db


def _attend(estate, ago: int):
    (obligation,) = services.obligations_for_meeting(
        meeting=assembly(estate, days_ago(ago), f"大会{ago}"), actor=SYSTEM
    )
    return obligation


def test_compliance_counts_on_time_late_overdue_waived_and_pending(world, cast):
    estate = world["estate_a"]
    on_time = [_attend(estate, ago) for ago in (40, 35, 30)]
    late = _attend(estate, 25)
    overdue = [_attend(estate, 20), _attend(estate, 15)]
    waived = _attend(estate, 12)
    _attend(estate, 0)  # due in three days: pending, not judged yet
    for obligation in on_time:
        services.evidence_record(
            obligation=obligation, done_on=obligation.meeting.held_at.date(), people="李红", actor=SYSTEM
        )
    services.evidence_record(obligation=late, done_on=days_ago(5), people="李红", actor=SYSTEM)
    services.obligation_waive(obligation=waived, reason="会议改期，另行通知", actor=cast["street_staff"])
    services.obligations_sweep(actor=SYSTEM)

    figures = selectors.compliance(fresh(world["district"]), days_ago(60), days_ago(-10))
    assert (figures["obligations"], figures["met_on_time"], figures["share"]) == (6, 3, "50.00")
    assert (figures["met_late"], figures["overdue_count"], figures["waived"], figures["pending"]) == (1, 2, 1, 1)
    assert figures["by_kind"][ObligationKind.ATTEND]["obligations"] == 6
    assert figures["by_kind"][ObligationKind.SPOT_CHECK] == {
        "obligations": 0,
        "met_on_time": 0,
        "met_late": 0,
        "overdue_count": 0,
        "waived": 0,
        "pending": 0,
        "share": "0.00",
    }
    assert [o["id"] for o in figures["overdue"]] == [o.pk for o in overdue]
    assert figures["failing_estates"][0]["estate"]["id"] == estate.pk


def test_the_period_selects_obligations_by_due_date(world):
    estate = world["estate_a"]
    _attend(estate, 100)
    _attend(estate, 20)
    figures = selectors.compliance(fresh(world["district"]), days_ago(30), days_ago(0))
    assert figures["obligations"] == 1 and len(figures["overdue"]) == 1


def test_a_community_sees_only_its_estates(world):
    _attend(world["estate_a"], 20)
    _attend(world["estate_b"], 20)
    figures = selectors.compliance(fresh(world["community_b"]), days_ago(60), days_ago(0))
    assert [e["estate"]["id"] for e in figures["estates"]] == [world["estate_b"].pk]


def test_the_estates_that_fail_most_come_first(world):
    for ago in (20, 18, 16):
        _attend(world["estate_b"], ago)
    services.evidence_record(
        obligation=_attend(world["estate_a"], 20), done_on=days_ago(20), people="李红", actor=SYSTEM
    )
    _attend(world["estate_a"], 18)
    figures = selectors.compliance(fresh(world["district"]), days_ago(60), days_ago(0))
    assert [(e["estate"]["id"], e["failed"]) for e in figures["failing_estates"]] == [
        (world["estate_b"].pk, 3),
        (world["estate_a"].pk, 1),
    ]


def test_compliance_takes_three_queries_whatever_the_number_of_estates(world, django_assert_num_queries):
    _attend(world["estate_a"], 20)
    district = fresh(world["district"])
    with django_assert_num_queries(3):
        small = selectors.compliance(district, days_ago(60), days_ago(0))
    for n in range(12):
        estate = place(PlaceKind.ESTATE, f"新小区{n}", fresh(world["community_a"]))
        _attend(estate, 20)
    district = fresh(world["district"])
    with django_assert_num_queries(3):
        large = selectors.compliance(district, days_ago(60), days_ago(0))
    assert (small["obligations"], large["obligations"]) == (1, 13)


def test_an_empty_scope_has_a_share_of_zero(world):
    figures = selectors.compliance(fresh(world["district"]), datetime.date(2020, 1, 1), datetime.date(2020, 12, 31))
    assert (figures["obligations"], figures["share"], figures["overdue"]) == (0, "0.00", [])
