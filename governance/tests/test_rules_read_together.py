"""Several rules read in one query give what ``rule`` gives for each, a district's own values included."""

from decimal import Decimal

import pytest

from governance.models import DistrictRule, Place
from governance.rules import rule, rules

KEYS = ["VOTE_NOTICE_DAYS", "COMMITTEE_SEATS_MIN", "EARLY_WARNING_ALPHA", "EARLY_WARNING_RATE_FLOOR"]


@pytest.mark.django_db
def test_rules_read_together_are_each_rule_with_the_districts_own_values(world):
    DistrictRule.objects.create(district=world["district"], key="VOTE_NOTICE_DAYS", value=20)
    DistrictRule.objects.create(district=world["district"], key="EARLY_WARNING_ALPHA", value="0.05")
    estate = Place.objects.get(pk=world["estate_a"].pk)
    together = rules(KEYS, estate)
    assert together == {key: rule(key, estate) for key in KEYS}
    assert together["VOTE_NOTICE_DAYS"] == 20 and together["EARLY_WARNING_ALPHA"] == Decimal("0.05")
    assert rules(KEYS) == {key: rule(key) for key in KEYS}


@pytest.mark.django_db
def test_rules_read_together_take_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        rules(KEYS, world["estate_a"])


def test_an_unknown_rule_is_refused_by_name():
    with pytest.raises(KeyError, match="NO_SUCH_RULE"):
        rules(["VOTE_NOTICE_DAYS", "NO_SUCH_RULE"])
