"""Factories of a small register (units, owners, ownerships) and of votes at any stage.

The residents app is written beside this one; these build its rows directly so the voting
engine's tests need nothing from it but its models.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from elections import services
from elections.models import GroupBody, NominatedBy, Vote, VoteKind, VoteStatus
from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory
from residents.models import AreaSource, Owner, OwnerKind, Ownership, PropertyUnit

LONG_AGO = datetime.date(2015, 1, 1)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PropertyUnit

    room = factory.Sequence(lambda n: f"{n + 101}")
    area = Decimal("100.00")
    registered_area = factory.SelfAttribute("area")
    area_source = AreaSource.REGISTERED
    estate = factory.LazyAttribute(lambda o: o.building.estate)


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Owner

    kind = OwnerKind.PERSON
    person = factory.SubFactory(PersonFactory)


def own(unit: PropertyUnit, owner: Owner, start: datetime.date = LONG_AGO, end=None) -> Ownership:
    return Ownership.objects.create(unit=unit, owner=owner, start=start, end=end)


def register(building, areas: list[Decimal | str | int]) -> list[tuple[PropertyUnit, Owner]]:
    """Give ``building`` one unit per area, each held by its own person owner."""
    rows = []
    for area in areas:
        unit = UnitFactory(building=building, area=Decimal(area))
        owner = OwnerFactory(place=building.estate)
        own(unit, owner)
        rows.append((unit, owner))
    return rows


VALID_GROUP = [
    {"name": "街道代表", "body": GroupBody.STREET, "leads": True},
    {"name": "社区党委代表", "body": GroupBody.PARTY, "leads": False},
    {"name": "物业管理中心代表", "body": GroupBody.PROPERTY_CENTRE, "leads": False},
    {"name": "派出所代表", "body": GroupBody.POLICE, "leads": False},
    {"name": "居委会代表", "body": GroupBody.RESIDENTS_COMMITTEE, "leads": False},
    {"name": "建设单位代表", "body": GroupBody.DEVELOPER, "leads": False},
] + [{"name": f"业主代表{i}", "body": GroupBody.OWNERS, "leads": False} for i in range(1, 8)]


def window(now=None, *, opened_hours_ago=1, closes_in_hours=48):
    now = now or timezone.now()
    return now - datetime.timedelta(hours=opened_hours_ago), now + datetime.timedelta(hours=closes_in_hours)


def make_vote(estate, *, kind=VoteKind.RESOLUTION, matter=5, seats=None, actor=SYSTEM, **extra) -> Vote:
    opens_at, closes_at = window()
    params = {
        "estate": estate,
        "kind": kind,
        "title": extra.pop("title", "测试投票"),
        "opens_at": opens_at,
        "closes_at": closes_at,
        "actor": actor,
        **extra,
    }
    if kind == VoteKind.COMMITTEE_ELECTION:
        params["seats"] = seats or 5
    else:
        params["matter"] = matter
    return services.vote_create(**params)


# When the factories' votes entered notice: the law's 15 days and one more before now.
NOTICE_AGO = datetime.timedelta(days=16)


def open_resolution(estate, *, matter=5, **extra) -> Vote:
    """A resolution in voting, its notice posted 16 days ago and its roll frozen now."""
    vote = make_vote(estate, matter=matter, **extra)
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=SYSTEM, now=timezone.now() - NOTICE_AGO)
    return services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=SYSTEM)


def open_election(estate, candidate_owners, *, seats=5, party=(), **extra) -> Vote:
    """An election in voting with ``candidate_owners`` nominated and found eligible."""
    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=seats, **extra)
    services.preparatory_group_record(vote=vote, members=VALID_GROUP, actor=SYSTEM)
    services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=SYSTEM)
    for i, owner in enumerate(candidate_owners):
        c = services.candidate_nominate(
            vote=vote,
            owner=owner,
            nominated_by=NominatedBy.PARTY if i in party else NominatedBy.OWNERS,
            statement=f"候选人{i}的陈述",
            reported_party_member=i in party,
            actor=SYSTEM,
        )
        services.candidate_review(candidate=c, eligible=True, reason="", actor=SYSTEM)
    services.vote_transition(vote=vote, to=VoteStatus.REVIEW, actor=SYSTEM)
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=SYSTEM, now=timezone.now() - NOTICE_AGO)
    return services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=SYSTEM)


def codes_by_unit(vote: Vote, codes: dict[int, str]) -> dict[int, str]:
    """Voting codes (issued per roll entry) keyed by each unit of the entry, for tests that start from a unit."""
    from elections.models import RollUnit

    entry_of = dict(RollUnit.objects.filter(vote=vote).values_list("unit_id", "entry_id"))
    return {unit: codes[entry] for unit, entry in entry_of.items() if entry in codes}
