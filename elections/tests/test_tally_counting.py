"""The tally's one-pass count and the close's settling (issue 13) against the code they replaced.

The count became one ``GROUP BY channel, choice, valid`` added up in Python, where it was one
row of ``FILTER`` aggregates; the close's settling reads the units that may have moved by
indexes, where it scanned the roll. The old code is kept here, verbatim, as the reference: on
random votes — every channel, invalid and voided ballots, a sale during the vote, a developer's
unit delivered during it — the stored result, its hash and the units considered are the same.
"""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from elections import selectors, services
from elections.law import CHANNELS, Counts, cents, decide
from elections.models import (
    Ballot,
    BallotApproval,
    Channel,
    RollEntry,
    RollSplit,
    RollSplitUnit,
    RollUnit,
    VoteKind,
)
from elections.services import roll as roll_services
from elections.services.tally import result_hash
from elections.tests.factories import LONG_AGO, OwnerFactory, UnitFactory, open_election, open_resolution, own, register
from residents.models import Owner, OwnerKind, Ownership, PropertyUnit

pytestmark = pytest.mark.django_db


# The code the tally ran before issue 13, verbatim ---------------------------------------------------


def _filter_counts(vote) -> Counts:
    live = Ballot.objects.filter(vote=vote, voided=False)
    aggregates = {
        "voted_owners": Count("id"),
        "voted_area": Sum("area_cents"),
        "invalid": Count("id", filter=Q(valid=False)),
    }
    for ch in CHANNELS:
        aggregates[f"{ch}_n"] = Count("id", filter=Q(channel=ch))
        aggregates[f"{ch}_a"] = Sum("area_cents", filter=Q(channel=ch))
    if vote.kind == VoteKind.RESOLUTION:
        for choice in ("for", "against", "abstain"):
            aggregates[f"{choice}_n"] = Count("id", filter=Q(choice=choice, valid=True))
            aggregates[f"{choice}_a"] = Sum("area_cents", filter=Q(choice=choice, valid=True))
    row = live.aggregate(**aggregates)
    counts = Counts(
        total_area=cents(vote.roll_total_area),
        total_owners=(vote.roll_total_owners or 0) + selectors.roll_owner_change(vote),
        voted_area=row["voted_area"] or 0,
        voted_owners=row["voted_owners"],
        invalid=row["invalid"],
        by_channel={ch: (row[f"{ch}_n"], row[f"{ch}_a"] or 0) for ch in CHANNELS},
    )
    if vote.kind == VoteKind.RESOLUTION:
        counts.choices = {c: (row[f"{c}_n"], row[f"{c}_a"] or 0) for c in ("for", "against", "abstain")}
    else:
        counts.approvals = {
            cid: (n, a or 0)
            for cid, n, a in BallotApproval.objects.filter(ballot__vote=vote, ballot__voided=False)
            .values("candidate_id")
            .annotate(n=Count("id"), a=Sum("ballot__area_cents"))
            .values_list("candidate_id", "n", "a")
        }
    return counts


def _old_roll_changes(vote) -> list[dict]:
    splits = list(
        RollSplit.objects.filter(vote=vote)
        .order_by("link__seq")
        .values_list("pk", "source__key", "target__key", "new_owner", "area", "transfer_id")
    )
    if not splits:
        return []
    units: dict[int, list[int]] = {}
    for split_id, unit_id in RollSplitUnit.objects.filter(vote=vote).values_list("split_id", "unit_id"):
        units.setdefault(split_id, []).append(unit_id)
    return [
        {
            "from": source,
            "to": target,
            "new_owner": new_owner,
            "units": sorted(units.get(pk, [])),
            "area": f"{area:.2f}",
            "transfer": transfer,
        }
        for pk, source, target, new_owner, area, transfer in splits
    ]


def _old_tally(vote) -> dict:
    return decide(
        kind=vote.kind,
        threshold=vote.threshold,
        seats=vote.seats,
        candidates=selectors.eligible_candidates(vote) if vote.kind == VoteKind.COMMITTEE_ELECTION else [],
        counts=_filter_counts(vote),
        roll_changes=_old_roll_changes(vote),
    )


def _old_units_to_settle(vote, now) -> set[int]:
    frozen_day = timezone.localdate(vote.roll_frozen_at)
    day = timezone.localdate(min(now, vote.closes_at))
    roll_units = RollUnit.objects.filter(vote=vote).values("unit_id")
    changed = set(
        Ownership.objects.filter(unit_id__in=roll_units)
        .filter(Q(start__gte=frozen_day, start__lte=day) | Q(end__gte=frozen_day, end__lte=day))
        .values_list("unit_id", flat=True)
    )
    developer_entries = list(RollEntry.objects.filter(vote=vote, is_developer=True).values_list("pk", flat=True))
    others_hold = Ownership.objects.active_on(day).filter(unit=OuterRef("unit_id"), owner__is_developer=False)
    changed |= set(
        RollUnit.objects.filter(vote=vote, entry_id__in=developer_entries, unit__delivered=True)
        .filter(Exists(others_hold))
        .values_list("unit_id", flat=True)
    )
    return changed


# A random vote ------------------------------------------------------------------------------------


def _estate_with_changes(world):
    """Twenty owners, a two-flat owner, a developer's stock, and a flat sold but not yet delivered."""
    building, estate = world["building_a1"], world["estate_a"]
    rng = random.Random(7)
    owners = register(building, [rng.choice([48, 75, 90, 120, 143]) for _ in range(20)])
    seller = OwnerFactory(place=estate)
    flats = [UnitFactory(building=building) for _ in range(2)]
    for flat in flats:
        own(flat, seller)
    developer = Owner.objects.create(
        kind=OwnerKind.ORGANIZATION, org_name="重庆某置业有限公司", is_developer=True, place=estate
    )
    for _ in range(3):
        own(UnitFactory(building=building), developer)
    undelivered = UnitFactory(building=building, delivered=False)
    own(undelivered, OwnerFactory(place=estate))
    late = UnitFactory(building=building, delivered=False)
    own(late, developer)
    return {
        "owners": owners,
        "seller": seller,
        "flats": flats,
        "undelivered": undelivered,
        "late": late,
        "dev": developer,
    }


def _changes_during_the_vote(world, vote, cast, setup):
    """A flat sold and voted by its buyer; a sold flat delivered; a developer's sale registered late."""
    today = timezone.localdate()
    seller, flats = setup["seller"], setup["flats"]
    Ownership.objects.filter(unit=flats[1], owner=seller, end__isnull=True).update(end=today)
    buyer = OwnerFactory(place=world["estate_a"])
    Ownership.objects.create(unit=flats[1], owner=buyer, start=today)
    choice = {"approve": []} if vote.kind == VoteKind.COMMITTEE_ELECTION else {"choice": "against"}
    services.ballot_cast(
        vote=vote, channel=Channel.PHONE, reference="B1", owner_id=buyer.pk, actor=cast["clerk"], **choice
    )
    PropertyUnit.objects.filter(pk=setup["undelivered"].pk).update(delivered=True)
    # The developer's flat, sold before the vote and delivered, registered only now (dated before the freeze).
    late = setup["late"]
    Ownership.objects.filter(unit=late, owner=setup["dev"], end__isnull=True).update(end=LONG_AGO.replace(year=2020))
    Ownership.objects.create(unit=late, owner=OwnerFactory(place=world["estate_a"]), start=LONG_AGO.replace(year=2020))
    PropertyUnit.objects.filter(pk=late.pk).update(delivered=True)


def _ballot(vote, entry_id: int, area, *, seq: int, channel: str, choice: str, valid=True, approve=(), voided=False):
    """A ballot row as intake leaves it (the chain's hashes aside: these tests count, they do not verify)."""
    ballot = Ballot.objects.create(
        vote=vote,
        seq=seq,
        entry_id=entry_id,
        channel=channel,
        choice=choice,
        approve=list(approve),
        valid=valid,
        invalid_reason="" if valid else "spoiled",
        area_cents=cents(area),
        cast_at=timezone.now() - datetime.timedelta(minutes=5),
        receipt_hash=f"{vote.pk:08d}{seq:056d}",
        prev_hash="0" * 64,
        hash=f"{seq:064d}",
        voided=voided,
    )
    BallotApproval.objects.bulk_create(BallotApproval(ballot=ballot, candidate_id=c) for c in approve)
    return ballot


def _random_ballots(vote, rng: random.Random, candidates=()) -> None:
    """Ballots in every channel for most entries: some invalid, some voided and entered again."""
    seq = 100_000
    voted = set(Ballot.objects.filter(vote=vote, voided=False).values_list("entry_id", flat=True))
    for entry_id, area, is_developer in RollEntry.objects.filter(vote=vote).values_list("pk", "area", "is_developer"):
        if entry_id in voted or is_developer or rng.random() < 0.15:
            continue  # the developer does not vote, so that its delivered flat can move at the close
        entries = 2 if rng.random() < 0.2 else 1
        for i in range(entries):
            seq += 1
            valid = rng.random() > 0.2
            approve = sorted(rng.sample(list(candidates), rng.randint(0, min(3, len(candidates))))) if valid else []
            _ballot(
                vote,
                entry_id,
                area,
                seq=seq,
                channel=rng.choice(CHANNELS),
                # An invalid ballot may still carry a mark: it counts for no choice.
                choice="" if candidates else rng.choice(("for", "against", "abstain")),
                valid=valid,
                approve=approve,
                voided=i < entries - 1,
            )


def _close(vote, cast, capture):
    with capture(execute=True):
        services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    vote.refresh_from_db()
    return vote.latest_result


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_resolution_is_counted_as_the_filter_aggregates_counted_it(
    world, cast, django_capture_on_commit_callbacks, seed
):
    setup = _estate_with_changes(world)
    vote = open_resolution(world["estate_a"])
    _changes_during_the_vote(world, vote, cast, setup)
    _random_ballots(vote, random.Random(seed))
    result = _close(vote, cast, django_capture_on_commit_callbacks)
    assert len(result.data["roll_changes"]) == 3  # the sale, the delivery, the late registration
    assert result.data == _old_tally(vote)
    assert result.hash == result_hash(_old_tally(vote))
    assert selectors.tally(vote) == result.data


@pytest.mark.parametrize("seed", [4, 5])
def test_a_random_election_is_counted_as_the_filter_aggregates_counted_it(
    world, cast, django_capture_on_commit_callbacks, seed
):
    setup = _estate_with_changes(world)
    candidates = [owner for _unit, owner in setup["owners"][:7]]
    vote = open_election(world["estate_a"], candidates, seats=5)
    _changes_during_the_vote(world, vote, cast, setup)
    _random_ballots(vote, random.Random(seed), candidates=[c["id"] for c in selectors.eligible_candidates(vote)])
    result = _close(vote, cast, django_capture_on_commit_callbacks)
    assert result.data == _old_tally(vote)
    assert result.hash == result_hash(_old_tally(vote))


def test_the_close_considers_the_units_the_roll_scan_considered(world, cast, monkeypatch):
    setup = _estate_with_changes(world)
    vote = open_resolution(world["estate_a"])
    _changes_during_the_vote(world, vote, cast, setup)
    considered = []
    monkeypatch.setattr(roll_services, "settle_transfers", lambda **kw: considered.append(set(kw["unit_ids"])) or [])
    now = vote.closes_at
    roll_services.settle_at_close(vote=vote, now=now)
    expected = {setup["flats"][1].pk, setup["undelivered"].pk, setup["late"].pk}
    assert considered == [expected] == [_old_units_to_settle(vote, now)]


def test_the_close_considers_no_unit_when_nothing_changed_hands(world, cast, monkeypatch):
    _estate_with_changes(world)
    vote = open_resolution(world["estate_a"])
    considered = []
    monkeypatch.setattr(roll_services, "settle_transfers", lambda **kw: considered.append(set(kw["unit_ids"])) or [])
    roll_services.settle_at_close(vote=vote, now=vote.closes_at)
    assert considered == [set()] == [_old_units_to_settle(vote, vote.closes_at)]


def _splits_settled(vote, unit_ids) -> list[tuple]:
    """The splits ``settle_transfers`` records for ``unit_ids`` at the close, rolled back afterwards."""
    with transaction.atomic():
        splits = roll_services.settle_transfers(
            vote=vote, unit_ids=unit_ids, day=timezone.localdate(vote.closes_at), now=vote.closes_at
        )
        settled = [
            (s.source.key, s.target.key, s.area, sorted(s.units.values_list("unit_id", flat=True))) for s in splits
        ]
        transaction.set_rollback(True)
    return settled


@pytest.mark.parametrize("developer_votes", [False, True])
def test_the_close_records_the_splits_the_roll_scan_recorded(world, cast, developer_votes):
    setup = _estate_with_changes(world)
    vote = open_resolution(world["estate_a"])
    _changes_during_the_vote(world, vote, cast, setup)
    if developer_votes:
        developer = RollEntry.objects.get(vote=vote, is_developer=True)
        _ballot(vote, developer.pk, developer.area, seq=99_999, channel="central", choice="for")
    considered = []
    real = roll_services.settle_transfers
    old = _splits_settled(vote, _old_units_to_settle(vote, vote.closes_at))
    try:
        roll_services.settle_transfers = lambda **kw: considered.append(set(kw["unit_ids"])) or real(**kw)
        with transaction.atomic():
            new = [
                (s.source.key, s.target.key, s.area, sorted(s.units.values_list("unit_id", flat=True)))
                for s in roll_services.settle_at_close(vote=vote, now=vote.closes_at)
            ]
            transaction.set_rollback(True)
    finally:
        roll_services.settle_transfers = real
    assert new == old and len(new) == (0 if developer_votes else 2)  # the sale was recorded by the buyer's ballot
    if developer_votes:  # the developer's units stay with its ballot: none of them is read
        assert considered == [{setup["flats"][1].pk}]
