"""The roll frozen when voting opens: every counted owner, its units and its area."""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.bulk import copy_lines, copy_text, reserve_ids
from elections import chain
from elections.chain import text, timestamp, units_text
from elections.models import Ballot, Candidate, RollEntry, RollOwner, RollSplit, RollSplitUnit, RollUnit, Vote
from elections.services.links import append_link
from residents.models import Ownership, PropertyUnit
from residents.selectors import DEVELOPER_KEY, party_member_person_ids, voting_roll


def _freeze_party_membership(vote: Vote) -> None:
    """Read each candidate's party membership from the register as voting opens; it is fixed from then on."""
    rows = list(Candidate.objects.filter(vote=vote).values_list("pk", "owner__person_id", "is_party_member"))
    members = party_member_person_ids([person for _pk, person, _m in rows if person])
    for pk, person, was in rows:
        now_member = person in members
        if now_member != was:
            Candidate.objects.filter(pk=pk).update(is_party_member=now_member)


def _store_roll(vote: Vote, roll, area_text: dict[int, str]) -> None:
    """Write the roll's entries, their units and their owners.

    On PostgreSQL with ``COPY`` (the entries' ids taken from their sequence first, so that units and
    owners can point at them), each row formatted as one line of text: the 300,000 rows of a
    100,000-unit roll in 1.8 s at load 2, where ``bulk_create`` took 15 s (issue 13; most of it is the
    database's indexes, the key checks come at commit). Elsewhere ``bulk_create``.
    """
    area_of = roll.unit_areas
    if connection.vendor == "postgresql":
        ids = reserve_ids(RollEntry, len(roll.entries))
        pairs = list(zip(ids, roll.entries, strict=True))
        v = vote.pk
        copy_lines(
            RollEntry,
            ["id", "vote_id", "key", "area", "is_developer"],
            (f"{pk}\t{v}\t{copy_text(e.key)}\t{e.area}\t{'t' if e.is_developer else 'f'}" for pk, e in pairs),
        )
        copy_lines(
            RollUnit,
            ["vote_id", "entry_id", "unit_id", "area"],
            (f"{v}\t{pk}\t{u}\t{area_text[u]}" for pk, e in pairs for u in e.unit_ids),
        )
        copy_lines(
            RollOwner, ["vote_id", "entry_id", "owner_id"], (f"{v}\t{pk}\t{o}" for pk, e in pairs for o in e.owner_ids)
        )
        return
    entries = RollEntry.objects.bulk_create(
        [RollEntry(vote=vote, key=e.key, area=e.area, is_developer=e.is_developer) for e in roll.entries],
        batch_size=5000,
    )
    if not entries or entries[0].pk is None:  # backends that do not return ids
        ids = dict(RollEntry.objects.filter(vote=vote).values_list("key", "pk"))
        for entry in entries:
            entry.pk = ids[entry.key]
    RollUnit.objects.bulk_create(
        [
            RollUnit(vote=vote, entry_id=entry.pk, unit_id=u, area=area_of[u])
            for entry, e in zip(entries, roll.entries, strict=True)
            for u in e.unit_ids
        ],
        batch_size=5000,
    )
    RollOwner.objects.bulk_create(
        [
            RollOwner(vote=vote, entry_id=entry.pk, owner_id=o)
            for entry, e in zip(entries, roll.entries, strict=True)
            for o in e.owner_ids
        ],
        batch_size=5000,
    )


def freeze_roll(*, vote: Vote, now: datetime.datetime) -> dict:
    """Store the voting roll as it stands now; every count of this vote reads only this snapshot.

    Called by ``vote_transition`` (under the vote's lock) as voting opens; returns the
    vote's fields it sets, for the transition to save and audit.
    """
    roll = voting_roll(vote.estate, on=timezone.localdate(now))
    # Each unit's area as the chain and the export write it (``chain.units_text``), formatted once.
    area_text = {u: f"{Decimal(a):.2f}" for u, a in roll.unit_areas.items()}
    _store_roll(vote, roll, area_text)
    _freeze_party_membership(vote)
    digest = roll_entries_digest(roll, area_text)
    append_link(
        vote,
        chain.ROLL,
        {
            "vote_kind": vote.kind,
            "matter": vote.matter,
            "seats": vote.seats,
            "threshold": vote.threshold,
            "frozen_at": timestamp(now),
            "total_area": f"{roll.total_area:.2f}",
            "total_owners": roll.total_owners,
            "entries": digest,
        },
        now,
    )
    for candidate in Candidate.objects.filter(vote=vote).order_by("pk"):
        append_link(vote, chain.CANDIDATE, candidate_link_fields(candidate), now)
    return {"roll_frozen_at": now, "roll_total_area": roll.total_area, "roll_total_owners": roll.total_owners}


def roll_entries_digest(roll, area_text: dict[int, str]) -> str:
    """``chain.roll_digest`` of the roll's entries (``chain.roll_entry_row`` each), byte for byte.

    Every value of an entry's row is already JSON's own (text, an int, a bool), so the rows go to
    ``json.dumps`` as they are, in the canonical form's settings (``core.hashing.canonical``), without
    its generic pass over each value: 0.7 s against the generic digest's 1.5 s for 95,000 entries (load 4,
    issue 13). ``elections/tests/test_roll_freeze.py`` compares the two on generated rolls.
    """
    rows = sorted(
        (
            {
                "area": f"{Decimal(e.area):.2f}",
                "is_developer": bool(e.is_developer),
                "key": e.key,
                "owners": len(e.owner_ids),
                "units": " ".join(f"{u}:{area_text[u]}" for u in sorted(e.unit_ids)),
            }
            for e in roll.entries
        ),
        key=lambda row: row["key"],
    )
    body = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def candidate_link_fields(candidate: Candidate) -> dict:
    """A candidate's eligibility decision as the chain records it when voting opens."""
    return {
        "candidate": candidate.pk,
        "owner": candidate.owner_id,
        "eligible": candidate.eligible,
        "reason": text(candidate.review_reason),
        "party_member": candidate.is_party_member,
    }


# Units that change hands during the vote ---------------------------------------------------------
#
# docs/domain.md §4: if a unit changes hands during the vote, a ballot already cast by the previous
# owner stands; otherwise the new owner may vote. The roll frozen at opening is never changed:
# a transfer is recorded as a split (a link of the chain) that moves the units from the
# seller's entry to the buyer's, when a ballot of either side is cast or when the tally runs,
# and only while the seller's entry has no live ballot. The buyer joins their own entry if
# they are on the roll (a buyer of several units counts once, Interpretation Art. 9), or
# becomes a new counted owner. See docs/elections.md, "Units that change hands".

DEVELOPER = "developer"  # what holds a unit that is undelivered, unowned, or the developer's


def held_units(vote: Vote, entry: RollEntry) -> dict[int, Decimal]:
    """The units ``entry`` holds now, with their frozen areas: its own, less those split off, plus those split in."""
    held = dict(RollUnit.objects.filter(vote=vote, entry=entry).values_list("unit_id", "area"))
    moves = (
        RollSplitUnit.objects.filter(vote=vote)
        .filter(Q(split__source=entry) | Q(split__target=entry))
        .order_by("split__link__seq")
        .values_list("split__source_id", "unit_id", "area")
    )
    for source_id, unit_id, area in moves:
        if source_id == entry.pk:
            held.pop(unit_id, None)
        else:
            held[unit_id] = area
    return held


def unit_entry(vote: Vote, unit_id: int) -> RollEntry | None:
    """The entry that holds ``unit_id`` now (the frozen one unless a split moved it), or None if off the roll."""
    entry_id = _current_entries(vote, [unit_id]).get(unit_id)
    return RollEntry.objects.get(pk=entry_id) if entry_id else None


def owner_entry(vote: Vote, owner_id: int) -> RollEntry | None:
    """The roll entry ``owner_id`` belongs to (frozen, or added for them by a split), or None."""
    row = RollOwner.objects.filter(vote=vote, owner_id=owner_id).select_related("entry").order_by("-pk").first()
    return row.entry if row else None


def roll_units_of_owner(vote: Vote, owner_id: int, day: datetime.date) -> list[int]:
    """The roll's units that ``owner_id`` holds on ``day`` and lawfully possesses (delivered to them)."""
    return list(
        Ownership.objects.active_on(day)
        .filter(owner_id=owner_id, unit__delivered=True, owner__is_developer=False)
        .filter(unit_id__in=RollUnit.objects.filter(vote=vote).values("unit_id"))
        .values_list("unit_id", flat=True)
        .order_by("unit_id")
    )


def _holders(unit_ids: list[int], day: datetime.date) -> dict[int, object]:
    """Who holds each unit on ``day``: a frozenset of owner ids, or ``DEVELOPER`` (as the roll counts it)."""
    delivered = dict(PropertyUnit.objects.filter(pk__in=unit_ids).values_list("pk", "delivered"))
    owners: dict[int, list[tuple[int, bool, int]]] = {}
    for unit_id, owner_id, is_developer, ownership_id in (
        Ownership.objects.active_on(day)
        .filter(unit_id__in=unit_ids)
        .values_list("unit_id", "owner_id", "owner__is_developer", "pk")
    ):
        owners.setdefault(unit_id, []).append((owner_id, is_developer, ownership_id))
    holders: dict[int, object] = {}
    for unit_id in unit_ids:
        rows = owners.get(unit_id, [])
        if not delivered.get(unit_id) or not rows or any(dev for _o, dev, _p in rows):
            holders[unit_id] = DEVELOPER
        else:
            holders[unit_id] = (frozenset(o for o, _d, _p in rows), min(p for _o, _d, p in rows))
    return holders


def _current_entries(vote: Vote, unit_ids: list[int]) -> dict[int, int]:
    """The entry (id) holding each of ``unit_ids`` now, in two queries whatever their number."""
    current = dict(RollUnit.objects.filter(vote=vote, unit_id__in=unit_ids).values_list("unit_id", "entry_id"))
    for unit_id, target_id in (
        RollSplitUnit.objects.filter(vote=vote, unit_id__in=unit_ids)
        .order_by("split__link__seq")
        .values_list("unit_id", "split__target_id")
    ):
        current[unit_id] = target_id
    return current


def settle_transfers(*, vote: Vote, unit_ids, day: datetime.date, now: datetime.datetime) -> list[RollSplit]:
    """Record, as splits, the units among ``unit_ids`` that changed hands since the roll froze.

    A unit moves only when no owner of the entry holding it holds it on ``day`` any more and
    that entry has no live ballot. Units going from one entry to the same buyer move together.
    Callers hold the vote's lock. A fixed number of queries, plus a few per split recorded.
    """
    unit_ids = sorted(set(unit_ids))
    if not unit_ids:
        return []
    holders = _holders(unit_ids, day)
    current = _current_entries(vote, unit_ids)
    entry_ids = set(current.values())
    voted = set(
        Ballot.objects.filter(vote=vote, voided=False, entry_id__in=entry_ids).values_list("entry_id", flat=True)
    )
    owners_of: dict[int, set[int]] = {}
    for entry_id, owner_id in RollOwner.objects.filter(vote=vote, entry_id__in=entry_ids).values_list(
        "entry_id", "owner_id"
    ):
        owners_of.setdefault(entry_id, set()).add(owner_id)
    moves: dict[tuple[int, object], list[int]] = {}
    for unit_id in unit_ids:
        entry_id, held = current.get(unit_id), holders[unit_id]
        if entry_id is None or held is DEVELOPER or entry_id in voted:
            # Off the roll; or (still, or again) the developer's; or a ballot already cast stands.
            continue
        buyers, _transfer = held
        if buyers & owners_of.get(entry_id, set()):
            continue
        moves.setdefault((entry_id, buyers), []).append(unit_id)
    sources = RollEntry.objects.in_bulk({source_id for source_id, _b in moves})
    return [
        _record_split(vote, sources[source_id], buyers, units, holders, now)
        for (source_id, buyers), units in sorted(moves.items(), key=lambda m: (m[0][0], min(m[1])))
    ]


def _record_split(vote, source: RollEntry, buyers: frozenset, units: list[int], holders: dict, now) -> RollSplit:
    area_of = {u: a for u, a in held_units(vote, source).items() if u in units}
    area = sum(area_of.values(), Decimal("0.00"))
    transfer = holders[units[0]][1]
    # A buyer already on the roll counts once, with the areas added (Interpretation Art. 9).
    target = RollEntry.objects.filter(vote=vote, owners__owner_id__in=buyers).order_by("pk").first()
    new_owner = target is None
    if new_owner:
        target = RollEntry.objects.create(vote=vote, key=f"t{transfer}", area=area, frozen=False)
        RollOwner.objects.bulk_create(RollOwner(vote=vote, entry=target, owner_id=o) for o in sorted(buyers))
    link = append_link(
        vote,
        chain.SPLIT,
        {
            "from": source.key,
            "to": target.key,
            "new_owner": new_owner,
            "units": units_text(area_of.items()),
            "area": f"{area:.2f}",
            "transfer": transfer,
        },
        now,
        split=True,
    )
    split = RollSplit.objects.create(
        vote=vote, link=link, source=source, target=target, new_owner=new_owner, transfer_id=transfer, area=area, at=now
    )
    RollSplitUnit.objects.bulk_create(
        RollSplitUnit(split=split, vote=vote, unit_id=u, area=a) for u, a in sorted(area_of.items())
    )
    return split


# What ``settle_at_close`` reads, on PostgreSQL as one fixed statement (the ORM's two queries, a union and
# four subqueries cost more to build than to run, issue 13): the units whose ownership started or ended
# between the freeze day and the closing day, on the roll; and the developer's delivered units that
# someone other than a developer holds on the closing day — all of them while the developer has no live
# ballot (the second part, whose uncorrelated NOT EXISTS is a one-time filter: skipped whole otherwise),
# and those a split moved since the freeze (the third part, read from the splits' units; skipped whole, a
# one-time filter, when there is none: it scanned the developer's entry for nothing). The unit's
# delivery, its holders' kind and the splits' units are read as subqueries, not joins: planning a join
# makes PostgreSQL read the ends of the joined keys' indexes (the planner's actual range), and there a
# register import that replaced 100,000 owners and units left as many dead entries — read at every
# close until a vacuum (28 ms of planning here, against 1-2 ms). For the same reason the first part asks
# whether each changed title's unit is on the roll with a scalar subquery, not EXISTS (which PostgreSQL
# plans as a semi-join of the titles with the roll's units: 300 index pages read, 0.8-3 ms, at every close).
CHANGED_AT_CLOSE_SQL = """
WITH developer AS MATERIALIZED (
    SELECT e.id FROM elections_rollentry e WHERE e.vote_id = %(vote)s AND e.key = %(developer)s AND e.is_developer
)
SELECT o.unit_id FROM residents_ownership o
WHERE ((o.start >= %(frozen)s AND o.start <= %(day)s) OR (o."end" >= %(frozen)s AND o."end" <= %(day)s))
    AND (SELECT 1 FROM elections_rollunit r WHERE r.vote_id = %(vote)s AND r.unit_id = o.unit_id) = 1
UNION
SELECT r.unit_id FROM elections_rollunit r
WHERE r.entry_id = (SELECT id FROM developer)
    AND NOT EXISTS (SELECT 1 FROM elections_ballot b
        WHERE b.vote_id = %(vote)s AND b.entry_id = (SELECT id FROM developer) AND NOT b.voided)
    AND (SELECT u.delivered FROM residents_propertyunit u WHERE u.id = r.unit_id)
    AND EXISTS (SELECT 1 FROM residents_ownership h
        WHERE h.unit_id = r.unit_id AND h.start <= %(day)s AND (h."end" IS NULL OR h."end" > %(day)s)
            AND NOT (SELECT w.is_developer FROM residents_owner w WHERE w.id = h.owner_id))
UNION
SELECT r.unit_id FROM elections_rollunit r
WHERE EXISTS (SELECT 1 FROM elections_rollsplitunit s WHERE s.vote_id = %(vote)s)
    AND r.vote_id = %(vote)s
    AND r.unit_id = ANY (ARRAY(SELECT s.unit_id FROM elections_rollsplitunit s WHERE s.vote_id = %(vote)s))
    AND r.entry_id = (SELECT id FROM developer)
    AND (SELECT u.delivered FROM residents_propertyunit u WHERE u.id = r.unit_id)
    AND EXISTS (SELECT 1 FROM residents_ownership h
        WHERE h.unit_id = r.unit_id AND h.start <= %(day)s AND (h."end" IS NULL OR h."end" > %(day)s)
            AND NOT (SELECT w.is_developer FROM residents_owner w WHERE w.id = h.owner_id))
"""


# Its first part alone: what the close reads when the developer has voted and the roll has had no split (the
# other two parts then find nothing). Planning the three-part statement took 1-3 ms, more than running it (issue 13).
DATED_AT_CLOSE_SQL = CHANGED_AT_CLOSE_SQL[
    CHANGED_AT_CLOSE_SQL.index("SELECT o.unit_id") : CHANGED_AT_CLOSE_SQL.index("UNION")
]


def _changed_at_close(
    vote: Vote, frozen_day: datetime.date, day: datetime.date, *, developer_settled: bool = False
) -> set[int]:
    """The roll's units that may have changed hands between ``frozen_day`` and ``day`` (``settle_at_close``).

    ``developer_settled``: the caller knows, under the vote's lock, that the developer's entry has a live ballot
    (its units then never move) and that the roll has had no split: only the dated changes are read.
    """
    if connection.vendor == "postgresql":
        params = {"vote": vote.pk, "frozen": frozen_day, "day": day, "developer": DEVELOPER_KEY}
        with connection.cursor() as cursor:
            cursor.execute(DATED_AT_CLOSE_SQL if developer_settled else CHANGED_AT_CLOSE_SQL, params)
            return {row[0] for row in cursor.fetchall()}
    return _changed_at_close_orm(vote, frozen_day, day)


def _changed_at_close_orm(vote: Vote, frozen_day: datetime.date, day: datetime.date) -> set[int]:
    """``_changed_at_close`` through the ORM (other databases; the tests compare the two on PostgreSQL)."""
    on_roll = RollUnit.objects.filter(vote=vote, unit_id=OuterRef("unit_id"))
    dated = (
        Ownership.objects
        # From the day the roll froze: a change registered later that day is not in the roll either;
        # units that did not change hands are left as they are by settle_transfers.
        .filter(Q(start__gte=frozen_day, start__lte=day) | Q(end__gte=frozen_day, end__lte=day))
        .filter(Exists(on_roll))
        .values_list("unit_id", flat=True)
        .order_by()  # a part of a UNION is unordered (SQLite refuses an ORDER BY there)
    )
    # A unit delivered during the vote leaves the developer's entry without a dated ownership change:
    # only a delivered unit of the developer's entry that someone other than a developer holds on
    # ``day`` can move (``_holders``), so only those are settled, not the developer's whole stock
    # (5,000 units of a 100,000-unit estate took a second at every close, issue 13). The freeze
    # writes at most one developer entry, under DEVELOPER_KEY: read by the (vote, key) index.
    developer_voted = Ballot.objects.filter(vote=vote, entry=OuterRef("pk"), voided=False)
    developer = (
        RollEntry.objects.filter(vote=vote, key=DEVELOPER_KEY, is_developer=True)
        .values_list("pk", Exists(developer_voted))
        .first()
    )
    changed = dated
    if developer is not None:
        developer_id, voted = developer
        others_hold = Ownership.objects.active_on(day).filter(unit=OuterRef("unit_id"), owner__is_developer=False)
        delivered = (
            RollUnit.objects.filter(entry_id=developer_id)
            .filter(unit__delivered=True)
            .filter(Exists(others_hold))
            .values_list("unit_id", flat=True)
            .order_by()
        )
        if voted:
            # A unit still in an entry with a live ballot never moves (``settle_transfers``): only the
            # developer's units that a split has moved elsewhere since the freeze can.
            delivered = delivered.filter(unit_id__in=RollSplitUnit.objects.filter(vote=vote).values("unit_id"))
        changed = dated.union(delivered)
    return set(changed)


def settle_at_close(*, vote: Vote, now: datetime.datetime) -> list[RollSplit]:
    """Record every transfer up to the close of voting that no ballot has recorded yet (the tally calls this).

    So that the counted owners are those of the roll as the transfers during the vote left
    it, whether or not the buyer voted. The units that may have moved are read in one query
    over indexes — the ownerships that started or ended since the freeze day (by their dates'
    indexes, then the roll's unit), and the developer's units someone else holds — so that a
    vote during which nothing changed hands settles nothing without scanning its roll (issue 13).
    """
    frozen_day = timezone.localdate(vote.roll_frozen_at)
    day = timezone.localdate(min(now, vote.closes_at))
    # The tally's locked read says whether the developer's entry has a live ballot (``developer_voted``).
    settled = bool(getattr(vote, "developer_voted", False)) and not vote.split_count
    changed = _changed_at_close(vote, frozen_day, day, developer_settled=settled)
    return settle_transfers(vote=vote, unit_ids=changed, day=day, now=now)
