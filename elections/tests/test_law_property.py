"""The counting law against a brute-force reference (issue 8): Hypothesis draws small random estates.

Two properties:

- ``elections.law.decide`` against the law written with exact fractions (quorum 2/3 of area
  and owners; more than half, or at least three quarters for matters 6–8; the most-approved
  of the passing candidates win, ties across the last seat reported, empty seats reported);
- the whole path (register → frozen roll → ballots → tally) against a reference that builds
  the counted owners by brute force from the register: the developer's unsold, undelivered
  and unowned units as one owner, units sharing an owner (multi-unit buyers, co-owners)
  merged, areas added.

Health checks: each database example runs inside its own savepoint, rolled back at its end,
so reusing the function-scoped ``world`` and ``cast`` fixtures across examples is safe; that
is the one health check suppressed. ``deadline=None``: a database example's time depends on
the machine's load (two test workers share two cores), not on the code under test.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elections import services
from elections.law import Counts, decide
from elections.models import Channel, RollEntry, RollUnit, TallyState, Vote, VoteStatus
from elections.tests.factories import OwnerFactory, UnitFactory, make_vote
from governance.scoping import SYSTEM
from residents.models import Owner, OwnerKind, Ownership

# The law, written the slow and obvious way ------------------------------------------------------


def reference_decide(kind, threshold, seats, candidates, counts):
    quorum = (
        counts.total_owners > 0
        and Fraction(counts.voted_area, max(counts.total_area, 1)) >= Fraction(2, 3)
        and Fraction(counts.voted_owners, counts.total_owners) >= Fraction(2, 3)
    )

    def passes(owners, area):
        if counts.voted_owners == 0:
            return False
        share_owners = Fraction(owners, counts.voted_owners)
        share_area = Fraction(area, counts.voted_area) if counts.voted_area else Fraction(0)
        if threshold == "three_quarters":
            return share_owners >= Fraction(3, 4) and share_area >= Fraction(3, 4)
        return share_owners > Fraction(1, 2) and share_area > Fraction(1, 2)

    if kind == "resolution":
        owners, area = counts.choices.get("for", (0, 0))
        return {"met": quorum, "passed": quorum and passes(owners, area)}
    passing = [c["id"] for c in candidates if quorum and passes(*counts.approvals.get(c["id"], (0, 0)))]
    key = {c: counts.approvals.get(c, (0, 0)) for c in passing}
    elected, ties = [], []
    for c in passing:
        better = sum(1 for d in passing if key[d] > key[c])
        same = sum(1 for d in passing if key[d] == key[c])
        if better + same <= seats:
            elected.append(c)
        elif better < seats:
            ties.append(c)
    tied_seats = seats - len(elected) if ties else 0
    return {
        "met": quorum,
        "elected": sorted(elected),
        "ties": sorted(ties),
        "vacancies": seats - len(elected) - tied_seats,
    }


@st.composite
def counted_votes(draw):
    total_owners = draw(st.integers(1, 30))
    total_area = draw(st.integers(1, 30_000))
    voted_owners = draw(st.integers(0, total_owners))
    voted_area = draw(st.integers(0, total_area)) if voted_owners else 0
    kind = draw(st.sampled_from(["resolution", "committee_election"]))
    threshold = draw(st.sampled_from(["majority", "three_quarters"])) if kind == "resolution" else "majority"
    for_owners = draw(st.integers(0, voted_owners))
    for_area = draw(st.integers(0, voted_area))
    n = draw(st.integers(1, 6))
    approvals = {cid: (draw(st.integers(0, voted_owners)), draw(st.integers(0, voted_area))) for cid in range(1, n + 1)}
    counts = Counts(
        total_area=total_area,
        total_owners=total_owners,
        voted_area=voted_area,
        voted_owners=voted_owners,
        by_channel={},
        choices={"for": (for_owners, for_area)},
        approvals=approvals,
    )
    seats = draw(st.sampled_from([1, 3, 5]))
    return kind, threshold, seats, [{"id": c, "is_party_member": False} for c in approvals], counts


@settings(max_examples=300, deadline=None)
@given(counted_votes())
def test_decide_agrees_with_the_law_written_in_fractions(case):
    kind, threshold, seats, candidates, counts = case
    data = decide(kind=kind, threshold=threshold, seats=seats, candidates=candidates, counts=counts)
    expected = reference_decide(kind, threshold, seats, candidates, counts)
    assert data["quorum"]["met"] == expected["met"]
    if kind == "resolution":
        assert data["passed"] == expected["passed"]
    else:
        assert sorted(data["elected"]) == expected["elected"]
        assert sorted(data["ties"]) == expected["ties"]
        assert data["vacancies"] == expected["vacancies"]


# The roll and the tally, from the register up ---------------------------------------------------


@st.composite
def estates(draw):
    """A small register: units (area in hundredths, delivered or not), who holds each, who votes what."""
    n_units = draw(st.integers(1, 7))
    n_people = draw(st.integers(1, 5))
    units = []
    for _i in range(n_units):
        holders = draw(
            st.one_of(
                st.just("developer"),
                st.just("nobody"),
                st.sets(st.integers(0, n_people - 1), min_size=1, max_size=2),
            )
        )
        units.append(
            {
                "area": draw(st.integers(1, 20_000)),
                "delivered": draw(st.booleans()) if holders != "developer" else True,
                "holders": holders,
            }
        )
    # Which counted owners vote (by their lowest unit) and what: None abstains from voting at all.
    choices = draw(st.lists(st.sampled_from([None, "for", "against", "abstain"]), min_size=n_units, max_size=n_units))
    matter = draw(st.sampled_from([4, 6]))
    return units, choices, matter


def reference_roll(units):
    """Counted owners by brute force: (units, area) per owner; the developer's together; shared owners merged."""
    developer = [i for i, u in enumerate(units) if u["holders"] in ("developer", "nobody") or not u["delivered"]]
    others = [i for i in range(len(units)) if i not in developer]
    groups = [{i} for i in others]
    merged = True
    while merged:
        merged = False
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                owners_a = {p for i in groups[a] for p in units[i]["holders"]}
                owners_b = {p for i in groups[b] for p in units[i]["holders"]}
                if owners_a & owners_b:
                    groups[a] |= groups.pop(b)
                    merged = True
                    break
            if merged:
                break
    entries = [frozenset(g) for g in groups]
    if developer:
        entries.append(frozenset(developer))
    return {e: sum(units[i]["area"] for i in e) for e in entries}


def _build(estate, building, units):
    people = {}
    developer = Owner.objects.create(kind=OwnerKind.ORGANIZATION, org_name="开发商", is_developer=True, place=estate)
    rows = []
    for u in units:
        unit = UnitFactory(building=building, area=Decimal(u["area"]) / 100, delivered=u["delivered"])
        if u["holders"] == "developer":
            Ownership.objects.create(unit=unit, owner=developer, start="2015-01-01")
        elif u["holders"] != "nobody":
            for p in sorted(u["holders"]):
                owner = people.setdefault(p, OwnerFactory(place=estate))
                Ownership.objects.create(unit=unit, owner=owner, start="2015-01-01")
        rows.append(unit)
    return rows


class _RolledBack(Exception):
    pass


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=estates())
def test_roll_and_tally_agree_with_a_brute_force_reference(world, case):
    from governance.models import Place

    units, choices, matter = case
    try:
        with transaction.atomic():
            estate = Place.objects.get(pk=world["estate_a"].pk)
            rows = _build(estate, world["building_a1"], units)
            vote = make_vote(estate, matter=matter)
            services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=SYSTEM, now=vote.opens_at - _days(16))
            services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=SYSTEM)
            expected = reference_roll(units)
            # The frozen roll is the reference's counted owners, with their units and areas.
            entry_of = dict(RollUnit.objects.filter(vote=vote).values_list("unit_id", "entry_id"))
            frozen = {}
            for entry_id in set(entry_of.values()):
                members = frozenset(i for i, unit in enumerate(rows) if entry_of.get(unit.pk) == entry_id)
                frozen[members] = int(RollEntry.objects.get(pk=entry_id).area * 100)
            assert frozen == expected
            codes = dict(services.voting_codes_issue(vote=vote, actor=SYSTEM))
            voters = {}
            for members in expected:
                choice = choices[min(members)]
                if choice is None:
                    continue
                code = codes[entry_of[rows[min(members)].pk]]
                services.ballot_cast(vote=vote, channel=Channel.ONLINE, voting_code=code, choice=choice, actor=SYSTEM)
                voters[members] = choice
            services.vote_close(vote=vote, actor=SYSTEM, now=vote.closes_at)
            services.vote_tally(vote_id=vote.pk)
            vote = Vote.objects.get(pk=vote.pk)
            assert vote.tally_state == TallyState.DONE
            data = vote.latest_result.data
            total_area = sum(expected.values())
            voted_area = sum(expected[m] for m in voters)
            for_owners = sum(1 for c in voters.values() if c == "for")
            for_area = sum(expected[m] for m, c in voters.items() if c == "for")
            counts = Counts(
                total_area=total_area,
                total_owners=len(expected),
                voted_area=voted_area,
                voted_owners=len(voters),
                choices={"for": (for_owners, for_area)},
            )
            reference = reference_decide("resolution", vote.threshold, None, [], counts)
            assert data["quorum"]["total_owners"] == len(expected)
            assert _cents(data["quorum"]["total_area"]) == total_area
            assert _cents(data["quorum"]["voted_area"]) == voted_area and data["quorum"]["voted_owners"] == len(voters)
            assert data["quorum"]["met"] == reference["met"] and data["passed"] == reference["passed"]
            assert _cents(data["for"]["area"]) == for_area and data["for"]["owners"] == for_owners
            raise _RolledBack
    except _RolledBack:
        pass


def _cents(text: str) -> int:
    units, _sep, hundredths = text.partition(".")
    return int(units) * 100 + int(hundredths or 0)


def _days(n):
    return datetime.timedelta(days=n)
