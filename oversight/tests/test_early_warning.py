"""Early warning: the Poisson control limit on crafted series, and the flagged estates with their reasons."""

import datetime
import random
from decimal import Decimal

import pytest

from committees.signals import ledger_checked
from committees.tests.factories import committee
from governance import services as governance_services
from governance.scoping import SYSTEM
from oversight import selectors, services
from oversight.models import Petition
from oversight.statistics import petitions_rise, poisson_tail, upper_control_limit
from oversight.tests.factories import assembly, days_ago, fresh

RULE = {"window_days": 30, "baseline_days": 365, "alpha": Decimal("0.01"), "min_count": 3, "rate_floor": Decimal("0.5")}


def poisson(rng: random.Random, rate: float) -> int:
    """A Poisson draw by counting exponential gaps (the standard library has no Poisson sampler)."""
    n, t = 0, rng.expovariate(rate)
    while t < 1:
        n, t = n + 1, t + rng.expovariate(rate)
    return n


def test_the_tail_probability_is_exact_for_small_counts():
    # P(X >= 1) = 1 - e^-2 for a mean of 2.
    assert abs(poisson_tail(1, Decimal(2)) - (1 - Decimal(-2).exp())) < Decimal("1e-25")
    assert poisson_tail(0, Decimal(5)) == 1


def test_the_control_limit_is_the_first_count_whose_tail_is_at_most_alpha():
    # Mean 2: P(X >= 6) = 0.0166, P(X >= 7) = 0.0045.
    assert upper_control_limit(Decimal(2), Decimal("0.01")) == 7
    assert poisson_tail(7, Decimal(2)) <= Decimal("0.01") < poisson_tail(6, Decimal(2))


def test_a_steady_estate_with_normal_noise_is_not_flagged():
    # About one property petition a month, month after month, with the usual wobble.
    series = [1, 0, 2, 1, 1, 0, 2, 1, 3, 0, 1, 2]
    baseline = sum(series)
    for month in [2, 0, 1, 3, 1]:
        assert not petitions_rise(month, baseline, **RULE).flagged


def test_a_clear_rise_above_the_estate_baseline_is_flagged():
    test = petitions_rise(8, 12, **RULE)
    assert test.flagged and test.expected == Decimal("0.99") and test.limit <= 8


def test_a_quiet_estate_is_judged_against_the_floor_rate():
    # No history: a rate of 0.5 a month is assumed, whose limit at alpha 0.01 is 4.
    assert not petitions_rise(3, 0, **RULE).flagged
    assert petitions_rise(4, 0, **RULE).flagged


def test_one_or_two_petitions_never_flag_an_estate_alone():
    lax = {**RULE, "alpha": Decimal("0.3")}
    assert petitions_rise(2, 0, **lax).limit == 3
    assert not petitions_rise(2, 0, **lax).flagged


def test_over_many_quiet_windows_false_alarms_stay_near_alpha():
    rng = random.Random(20240611)
    rate = 2.0  # petitions per 30 days
    false_alarms = 0
    for _ in range(2000):
        baseline = sum(poisson(rng, rate) for _ in range(12))  # a year of history
        false_alarms += petitions_rise(poisson(rng, rate), baseline, **RULE).flagged
    assert false_alarms / 2000 < 0.02


def test_a_fivefold_rate_is_caught_most_of_the_time():
    rng = random.Random(7)
    caught = 0
    for _ in range(500):
        baseline = sum(poisson(rng, 2.0) for _ in range(12))
        caught += petitions_rise(poisson(rng, 10.0), baseline, **RULE).flagged
    assert caught / 500 > 0.8


# The flagged estates ----------------------------------------------------------------------


def _petitions(place, days: list[int], category="property"):
    for n, ago in enumerate(days):
        Petition.objects.create(
            received_on=days_ago(ago), place=place, category=category, channel="visit", summary=f"诉求{n}"
        )


@pytest.mark.django_db
def test_an_estate_whose_petitions_rise_is_flagged_with_the_reason(world):
    estate = world["estate_a"]
    _petitions(estate, [40 + 30 * k for k in range(11)])  # about one a month for a year
    _petitions(estate, [1, 3, 5, 8, 9, 12, 20])  # seven in the last month
    _petitions(world["estate_b"], [40, 70, 100, 130])
    _petitions(world["estate_b"], [2, 15])
    flagged = selectors.early_warning(fresh(world["district"]))
    assert [e["estate"]["name"] for e in flagged] == [estate.name]
    (reason,) = flagged[0]["reasons"]
    assert reason["code"] == "petitions_rise" and reason["observed"] == 7


@pytest.mark.django_db
def test_other_categories_do_not_count(world):
    _petitions(world["estate_a"], [1, 2, 3, 4, 5, 6, 7], category="labour")
    assert selectors.early_warning(fresh(world["district"])) == []


@pytest.mark.django_db
def test_overdue_obligations_flag_the_estate(world):
    estate = world["estate_a"]
    services.obligations_for_meeting(meeting=assembly(estate, days_ago(20)), actor=SYSTEM)
    (entry,) = selectors.early_warning(fresh(world["street_a"]))
    assert entry["reasons"][0]["code"] == "obligations_overdue" and entry["reasons"][0]["count"] == 1


@pytest.mark.django_db
def test_a_committee_whose_term_lapsed_flags_the_estate_once(world):
    board = committee(world["estate_a"], n=5, term_start=datetime.date(2019, 1, 1))
    assert board.term_end < datetime.date.today()
    committee(world["estate_b"], n=5, term_start=days_ago(100))
    codes = {
        e["estate"]["name"]: [r["code"] for r in e["reasons"]]
        for e in selectors.early_warning(fresh(world["district"]))
    }
    assert codes == {world["estate_a"].name: ["committee_lapsed"]}


@pytest.mark.django_db
def test_a_committee_below_its_lawful_size_flags_the_estate(world):
    board = committee(world["estate_a"], n=5, term_start=days_ago(100))
    for post in list(board.posts.all())[:2]:
        governance_services.post_end(post=post, end=days_ago(10), actor=SYSTEM)
    (entry,) = selectors.early_warning(fresh(world["district"]))
    assert entry["reasons"][0]["code"] == "committee_below_size" and entry["reasons"][0]["members"] == 3


@pytest.mark.django_db
def test_a_failed_ledger_verification_flags_the_estate_until_it_passes_again(world):
    estate = world["estate_a"]
    ledger_checked.send(sender=None, estate=estate, ok=False, problem="content does not match its hash")
    (entry,) = selectors.early_warning(fresh(world["district"]))
    assert entry["reasons"][0]["code"] == "ledger_failed"
    ledger_checked.send(sender=None, estate=estate, ok=True, problem="")
    assert selectors.early_warning(fresh(world["district"])) == []


@pytest.mark.django_db
def test_every_estate_is_listed_flagged_first_on_request(world):
    services.obligations_for_meeting(meeting=assembly(world["estate_b"], days_ago(20)), actor=SYSTEM)
    listed = selectors.early_warning(fresh(world["district"]), include_all=True)
    assert [(e["estate"]["name"], e["flagged"]) for e in listed] == [
        (world["estate_b"].name, True),
        (world["estate_a"].name, False),
    ]


@pytest.mark.django_db
def test_the_early_warning_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for estate in (world["estate_a"], world["estate_b"]):
        services.obligations_for_meeting(meeting=assembly(estate, days_ago(20)), actor=SYSTEM)
        _petitions(estate, [1, 2, 3, 4])
    with django_assert_max_num_queries(7):  # the place, the rules, the estates, one query per kind of fact
        assert len(selectors.early_warning(fresh(world["district"]))) == 2
