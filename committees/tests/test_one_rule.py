"""Each rule the committees share with a lower layer is written once: both callers agree."""

import datetime

import pytest
from django.test import TestCase

from committees import selectors
from committees.models import OwnersCommittee
from committees.tests.factories import committee, people
from elections.models import Vote
from elections.signals import vote_filed
from governance.models import DistrictRule, OrgKind, PostBody, PostKind
from governance.scoping import SYSTEM
from governance.services import organization_create, post_create
from residents.models import Owner


def _filed_election(estate, *, seats):
    return Vote.objects.create(
        estate=estate,
        kind="committee_election",
        title="小区业委会选举",
        matter=3,
        seats=seats,
        status="filed",
        notice_starts=datetime.date(2026, 1, 1),
        notice_days=15,
        opens_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
        closes_at=datetime.datetime(2026, 2, 8, tzinfo=datetime.UTC),
        objection_days=7,
        result_date=datetime.date(2026, 2, 9),
        filed_on=datetime.date(2026, 2, 20),
        filing_reference="观街备〔2026〕9号",
    )


def test_with_the_district_allowing_three_seats_a_filed_election_of_three_records_a_three_member_committee(
    world, estate, cast
):
    DistrictRule.objects.create(district=world["district"], key="COMMITTEE_SMALL_ESTATE_THREE", value=True)
    owners = [Owner.objects.create(person=p, place=estate) for p in people(3, estate)]
    vote = _filed_election(estate, seats=3)
    with TestCase.captureOnCommitCallbacks(execute=True):
        vote_filed.send(sender=Vote, vote=vote, elected=[o.pk for o in owners], actor=cast["street_staff"])
    board = OwnersCommittee.objects.get(election=vote)
    assert board.posts.count() == 3


def test_with_the_setting_allowing_three_seats_a_committee_of_three_is_recorded(settings, estate):
    settings.GONGZHI = {**settings.GONGZHI, "COMMITTEE_SMALL_ESTATE_THREE": True}
    assert committee(estate, n=3).posts.count() == 3


def test_without_the_small_estate_rule_a_committee_of_three_is_refused(estate):
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError) as err:
        committee(estate, n=3)
    assert err.value.code == "committee_size"
    assert not OwnersCommittee.objects.exists()


def test_both_summaries_say_the_chair_was_the_secretary_on_the_last_day_of_an_ended_term(world, estate):
    community_org = organization_create(
        kind=OrgKind.COMMUNITY_COMMITTEE, name="南桥苑社区党委", place=world["community_a"], parent=None, actor=SYSTEM
    )
    branch = organization_create(
        kind=OrgKind.ESTATE_GENERAL_BRANCH, name="南方上格林党总支", place=estate, parent=community_org, actor=SYSTEM
    )
    members = people(5, estate)
    # The chair was the general-branch secretary for the whole term, which ended in 2023;
    # a new secretary took over in 2024.
    post_create(
        person=members[0],
        kind=PostKind.SECRETARY,
        body=PostBody.PARTY,
        organization=branch,
        start=datetime.date(2018, 1, 1),
        end=datetime.date(2023, 12, 31),
        actor=SYSTEM,
    )
    post_create(
        person=people(1, estate)[0],
        kind=PostKind.SECRETARY,
        body=PostBody.PARTY,
        organization=branch,
        start=datetime.date(2024, 1, 1),
        actor=SYSTEM,
    )
    old = committee(estate, members=members, term_start=datetime.date(2019, 1, 1), term_end=datetime.date(2023, 12, 31))
    on = datetime.date(2026, 1, 1)
    single = selectors.committee_summary(old, on=on)
    many = selectors.committee_summaries([old], on=on)[old.pk]
    assert single == many
    assert single.chair_id == members[0].pk and single.chair_is_secretary
