"""Reads of the voting engine: the tally's aggregates, the bulletin, the auditor's export."""

from __future__ import annotations

import csv
import heapq
import io
from collections.abc import Iterator

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from core.hashing import canonical
from core.spreadsheets import safe_cell
from elections.chain import approve_text, area_text, text, timestamp, units_text
from elections.law import CHANNELS, Counts, cents, decide
from elections.models import (
    Ballot,
    BallotApproval,
    BallotVoid,
    Candidate,
    ChainLink,
    InvalidReason,
    PaperSerial,
    Proxy,
    ProxyStatus,
    PublishedHead,
    RefusedBallot,
    RollEntry,
    RollOwner,
    RollSplit,
    RollSplitUnit,
    RollUnit,
    Vote,
    VoteKind,
    VoteResult,
)
from elections.rights import may_read_mandates

# The live ballots' groups: issue 13's floor itself, as fixed SQL (the ORM's form of it took longer to
# build, 0.6 ms of Python at every tally, than the database to plan it).
LIVE_GROUPS_SQL = """
SELECT "channel", "choice", "valid", count(*), sum("area_cents") FROM "elections_ballot"
WHERE "vote_id" = %s AND NOT "voided" GROUP BY "channel", "choice", "valid"
"""


def _live_groups(vote: Vote) -> list[tuple[str, str, bool, int, object]]:
    """The live ballots counted in one pass: (channel, choice, valid, ballots, area) per group.

    One ``GROUP BY channel, choice, valid`` with the area summed: the fastest correct SQL of the
    counts (issue 13's floor), at most a few dozen rows, which ``tally_counts`` adds up.
    """
    with connection.cursor() as cursor:
        cursor.execute(LIVE_GROUPS_SQL, [vote.pk])
        # SQLite answers its booleans as 0 and 1.
        return [(channel, choice, bool(valid), n, area) for channel, choice, valid, n, area in cursor.fetchall()]


def tally_counts(vote: Vote, *, splits: list[tuple] | None = None) -> Counts:
    """Aggregate the live ballots in the database: one query (two for an election).

    Each ballot carries the area it covers in hundredths of a square metre, so the sums are
    integer sums on every database (a decimal sum comes back as a float on SQLite) and need
    no join. The database groups the ballots by channel, choice and validity (one pass, shaped
    like issue 13's floor); the totals, the invalid ballots, each channel and each choice are
    sums of those few groups. ``splits`` are ``_splits(vote)``, when the caller has read them.
    """
    voted_owners = voted_area = invalid = 0
    by_channel = dict.fromkeys(CHANNELS, (0, 0))
    choices = dict.fromkeys(("for", "against", "abstain"), (0, 0))
    for channel, choice, valid, n, area in _live_groups(vote):
        area = int(area or 0)  # PostgreSQL sums a bigint as numeric
        voted_owners += n
        voted_area += area
        if not valid:
            invalid += n
        if channel in by_channel:
            by_channel[channel] = (by_channel[channel][0] + n, by_channel[channel][1] + area)
        if valid and choice in choices:
            choices[choice] = (choices[choice][0] + n, choices[choice][1] + area)
    counts = Counts(
        total_area=cents(vote.roll_total_area),
        total_owners=(vote.roll_total_owners or 0) + roll_owner_change(vote, splits=splits),
        voted_area=voted_area,
        voted_owners=voted_owners,
        invalid=invalid,
        by_channel=by_channel,
    )
    if vote.kind == VoteKind.RESOLUTION:
        counts.choices = choices
    else:
        counts.approvals = {
            cid: (n, a or 0)
            for cid, n, a in BallotApproval.objects.filter(ballot__vote=vote, ballot__voided=False)
            .values("candidate_id")
            .annotate(n=Count("id"), a=Sum("ballot__area_cents"))
            .values_list("candidate_id", "n", "a")
        }
    return counts


def _splits(vote: Vote) -> list[tuple]:
    """The splits of the roll since it froze, in chain order, as the tally reads them: one query."""
    return list(
        RollSplit.objects.filter(vote=vote)
        .order_by("link__seq")
        .values_list("pk", "source_id", "target_id", "source__key", "target__key", "new_owner", "area", "transfer_id")
    )


def roll_owner_change(vote: Vote, *, splits: list[tuple] | None = None) -> int:
    """How many counted owners the splits recorded since the roll froze added (or removed, if negative).

    The counted owners are the roll's entries as the transfers left them: an entry counts
    while it holds a unit or has a live ballot (docs/elections.md, "Units that change hands").
    ``splits`` are ``_splits(vote)``, when the caller has read them.
    """
    if splits is None:
        splits = _splits(vote)
    touched = {entry for split in splits for entry in split[1:3]}
    if not touched:
        return 0
    held: dict[int, set[int]] = {}
    for entry_id, unit_id in RollUnit.objects.filter(vote=vote, entry_id__in=touched).values_list(
        "entry_id", "unit_id"
    ):
        held.setdefault(entry_id, set()).add(unit_id)
    for source_id, target_id, unit_id in (
        RollSplitUnit.objects.filter(vote=vote)
        .order_by("split__link__seq")
        .values_list("split__source_id", "split__target_id", "unit_id")
    ):
        held.get(source_id, set()).discard(unit_id)
        held.setdefault(target_id, set()).add(unit_id)
    voted = set(Ballot.objects.filter(vote=vote, voided=False, entry_id__in=touched).values_list("entry_id", flat=True))
    frozen = dict(RollEntry.objects.filter(pk__in=touched).values_list("pk", "frozen"))
    change = 0
    for entry_id in touched:
        counts_now = bool(held.get(entry_id)) or entry_id in voted
        change += int(counts_now) - int(frozen[entry_id])
    return change


def every_counted_owner_voted(vote: Vote) -> bool:
    """Whether every counted owner of the roll (as the splits left it) has a live ballot."""
    if not vote.roll_frozen_at:
        return False
    counted = (vote.roll_total_owners or 0) + roll_owner_change(vote)
    return Ballot.objects.filter(vote=vote, voided=False).count() >= counted


def roll_changes(vote: Vote, *, splits: list[tuple] | None = None) -> list[dict]:
    """The splits of the roll since it froze, in chain order: which entry gave which units to whom, and why.

    ``splits`` are ``_splits(vote)``, when the caller has read them.
    """
    if splits is None:
        splits = _splits(vote)
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
        for pk, _source_id, _target_id, source, target, new_owner, area, transfer in splits
    ]


def eligible_candidates(vote: Vote) -> list[dict]:
    return list(Candidate.objects.filter(vote=vote, eligible=True).order_by("pk").values("id", "is_party_member"))


def tally(vote: Vote, *, splits: list[tuple] | None = None) -> dict:
    """Count ``vote`` from its frozen roll, the splits since, and its live ballots (docs/domain.md §4).

    ``splits`` are ``_splits(vote)`` when the caller knows them: the tally passes ``[]`` when the
    locked vote's ``split_count`` is 0 and its close recorded none (one query fewer).
    """
    if splits is None:
        splits = _splits(vote)  # read once for the counted owners and the roll's changes
    return decide(
        kind=vote.kind,
        threshold=vote.threshold,
        seats=vote.seats,
        candidates=eligible_candidates(vote) if vote.kind == VoteKind.COMMITTEE_ELECTION else [],
        counts=tally_counts(vote, splits=splits),
        roll_changes=roll_changes(vote, splits=splits),
    )


def refused_counts(vote: Vote) -> dict[str, int]:
    return dict(
        RefusedBallot.objects.filter(vote=vote).values("reason").annotate(n=Count("id")).values_list("reason", "n")
    )


def paper_reconciliation(vote: Vote) -> dict:
    """Reconcile paper serials: issued; returned (a live ballot carries it, of which ``spoiled`` came back
    blank or spoiled by the owner); void (spoiled before reaching an owner); and outstanding.
    """
    issued = PaperSerial.objects.filter(vote=vote)
    void = set(issued.filter(voided_at__isnull=False).values_list("serial", flat=True))
    all_serials = set(issued.values_list("serial", flat=True))
    returned = dict(
        Ballot.objects.filter(vote=vote, voided=False)
        .exclude(paper_serial="")
        .values_list("paper_serial", "invalid_reason")
    )
    outstanding = all_serials - set(returned) - void
    return {
        "issued": len(all_serials),
        "returned": len(returned),
        "spoiled": sum(1 for reason in returned.values() if reason == InvalidReason.SPOILED),
        "void": len(void),
        "outstanding": sorted(outstanding),
        "balanced": len(all_serials) == len(set(returned) | void) + len(outstanding),
    }


def proxies_visible(vote: Vote, user):
    """The vote's proxies ``user`` may read: all of them for staff and auditors; otherwise those the
    user gave (as the owner), holds (as the proxy) or registered."""
    rows = Proxy.objects.filter(vote=vote).order_by("pk")
    if may_read_mandates(user, vote.estate):
        return rows
    if not getattr(user, "is_authenticated", False):
        return rows.none()
    return rows.filter(Q(user=user) | Q(registered_by=user) | Q(owner__person__user=user))


def owners_user_may_vote_for(vote: Vote, user) -> list[dict]:
    """The counted owners a logged-in user may cast a ballot for online: their own entry and the owners
    whose accepted proxy they are, each with its units and whether a live ballot stands for it."""
    if not getattr(user, "is_authenticated", False) or not vote.roll_frozen_at:
        return []
    own = set(RollOwner.objects.filter(vote=vote, owner__person__user=user).values_list("owner_id", flat=True))
    proxied = dict(
        Proxy.objects.filter(vote=vote, user=user, status=ProxyStatus.ACCEPTED).values_list("owner_id", "pk")
    )
    owner_ids = own | set(proxied)
    rows = (
        RollOwner.objects.filter(vote=vote, owner_id__in=owner_ids)
        .select_related("entry", "owner__person")
        .order_by("entry_id", "owner_id")
    )
    entries = {}
    for row in rows:
        entries.setdefault(row.owner_id, row)
    voted = set(
        Ballot.objects.filter(vote=vote, voided=False, entry_id__in=[r.entry_id for r in entries.values()]).values_list(
            "entry_id", flat=True
        )
    )
    labels = unit_labels(vote, [r.entry_id for r in entries.values()])
    return [
        {
            "owner": owner_id,
            "name": row.owner.name,
            "own": owner_id in own,
            "proxy": proxied.get(owner_id),
            "units": labels.get(row.entry_id, []),
            "voted": row.entry_id in voted,
        }
        for owner_id, row in sorted(entries.items(), key=lambda item: (item[0] not in own, item[0]))
    ]


def published_head(vote: Vote) -> tuple[int, str]:
    """The chain's head as the bulletin last published it: ``(seq, hash)``, or ``(0, "")`` before any link."""
    row = PublishedHead.objects.filter(vote=vote).order_by("-seq").values_list("seq", "head").first()
    return row or (0, "")


def turnout(vote: Vote) -> dict:
    """Who has taken part so far (counted owners and their area), against the roll: no choice, no approval."""
    live = Ballot.objects.filter(vote=vote, voided=False).aggregate(owners=Count("id"), area=Sum("area_cents"))
    return {
        "voted_owners": live["owners"],
        "voted_area": area_text(live["area"] or 0),
        "total_owners": (vote.roll_total_owners or 0) + roll_owner_change(vote),
        "total_area": f"{vote.roll_total_area or 0:.2f}",
    }


def bulletin(vote: Vote) -> dict:
    """The public bulletin: every receipt's hash (live and voided), the chain's published head, then the totals.

    While the vote is open (again, after an extension) or not yet recounted, the totals are
    only the turnout so far, never an earlier round's result. Names no owner: receipts are
    hashes, totals are areas and counts.
    """
    receipts = list(Ballot.objects.filter(vote=vote).order_by("seq").values_list("receipt_hash", "voided"))
    result = vote.current_result
    seq, head = published_head(vote)
    data = {
        "vote": vote.pk,
        "title": vote.title,
        "status": vote.status,
        "receipts": [r for r, voided in receipts if not voided],
        "voided_receipts": [r for r, voided in receipts if voided],
        "chain_head": head,
        "chain_length": seq,
        "totals": None,
        "turnout": turnout(vote) if result is None and vote.roll_frozen_at else None,
    }
    if result is not None:
        data["totals"] = {k: v for k, v in result.data.items() if k not in ("party_members",)}
    return data


def voting_code_sheets(vote: Vote, issued: dict[int, str]) -> list[dict]:
    """Codes just issued (entry id → code) as slips to print, seal and deliver, one sheet per building.

    A slip names the counted owner's units and area (never the owner); an entry whose units
    lie in several buildings goes with its first unit's building; the developer's entry apart.
    """
    entries = dict(RollEntry.objects.filter(vote=vote, pk__in=list(issued)).values_list("pk", "area"))
    developer = set(
        RollEntry.objects.filter(vote=vote, pk__in=list(issued), is_developer=True).values_list("pk", flat=True)
    )
    labels = unit_labels(vote, list(issued))
    buildings: dict[str, list[dict]] = {}
    for entry_id, code in issued.items():
        units = labels.get(entry_id) or [""]
        building = _("建设单位") if entry_id in developer else units[0].split("-")[0]
        buildings.setdefault(building, []).append(
            {"units": units, "area": entries.get(entry_id), "code": code, "developer": entry_id in developer}
        )
    return [
        {"building": name, "slips": sorted(slips, key=lambda slip: slip["units"])}
        for name, slips in sorted(buildings.items())
    ]


def _label(building: str, stairway: str, room: str) -> str:
    return "-".join(p for p in (building, f"{stairway}单元" if stairway else "", room) if p)


def unit_labels(vote: Vote, entry_ids: list[int] | None = None) -> dict[int, list[str]]:
    """The unit numbers each roll entry holds now (after any split), as notices show them (never owners).

    Two queries: the frozen units with their labels, and the units the splits moved.
    """
    moves = list(
        RollSplitUnit.objects.filter(vote=vote)
        .order_by("split__link__seq")
        .values_list("split__source_id", "split__target_id", "unit_id")
    )
    frozen = RollUnit.objects.filter(vote=vote)
    if entry_ids is not None:
        frozen = frozen.filter(Q(entry_id__in=entry_ids) | Q(unit_id__in=[unit for _s, _t, unit in moves]))
    held: dict[int, dict[int, str]] = {}
    label_of: dict[int, str] = {}
    for entry_id, unit_id, building, stairway, room in frozen.values_list(
        "entry_id", "unit_id", "unit__building__name", "unit__stairway", "unit__room"
    ).order_by("entry_id", "unit_id"):
        label_of[unit_id] = held.setdefault(entry_id, {})[unit_id] = _label(building, stairway, room)
    for source_id, target_id, unit_id in moves:
        held.get(source_id, {}).pop(unit_id, None)
        held.setdefault(target_id, {})[unit_id] = label_of.get(unit_id, "")
    wanted = held.keys() if entry_ids is None else set(entry_ids)
    return {entry_id: [held[entry_id][u] for u in sorted(held[entry_id])] for entry_id in wanted if held.get(entry_id)}


EXPORT_COLUMNS = [
    "record",
    "seq",
    "kind",
    "key",
    "area",
    "is_developer",
    "owners",
    "units",
    "labels",
    "channel",
    "choice",
    "approve",
    "valid",
    "invalid_reason",
    "proxy",
    "proxy_id",
    "paper_serial",
    "box",
    "reference",
    "cast_at",
    "receipt_hash",
    "voided",
    "void_reason",
    "body",
    "prev_hash",
    "hash",
    "at",
    "vote",
    "vote_kind",
    "matter",
    "threshold",
    "seats",
    "total_area",
    "total_owners",
    "frozen_at",
    "candidate",
    "owner",
    "eligible",
    "is_party_member",
    "round",
    "chain_head",
    "data",
]


def _roll_rows(vote: Vote) -> Iterator[dict]:
    units: dict[int, list[tuple[int, object]]] = {}
    for entry_id, unit_id, area in RollUnit.objects.filter(vote=vote).values_list("entry_id", "unit_id", "area"):
        units.setdefault(entry_id, []).append((unit_id, area))
    owners = dict(
        RollOwner.objects.filter(vote=vote).values("entry_id").annotate(n=Count("id")).values_list("entry_id", "n")
    )
    labels = unit_labels(vote)
    for entry_id, key, area, is_dev in (
        RollEntry.objects.filter(vote=vote, frozen=True).order_by("pk").values_list("id", "key", "area", "is_developer")
    ):
        yield {
            "record": "roll",
            "key": key,
            "area": f"{area:.2f}",
            "is_developer": is_dev,
            "owners": owners.get(entry_id, 0),
            "units": units_text(units.get(entry_id, [])),
            "labels": " ".join(labels.get(entry_id, [])),
        }


def _chain_rows(vote: Vote) -> Iterator[dict]:
    """The chain's links and ballots in sequence order, each with what recomputes its hash."""
    links = (
        {
            "record": "link",
            "seq": seq,
            "kind": kind,
            "body": canonical(body).decode(),
            "prev_hash": prev,
            "hash": digest,
            "at": timestamp(at),
        }
        for seq, kind, body, prev, digest, at in ChainLink.objects.filter(vote=vote)
        .order_by("seq")
        .values_list("seq", "kind", "body", "prev_hash", "hash", "at")
    )
    reasons = dict(BallotVoid.objects.filter(ballot__vote=vote).values_list("ballot_id", "reason"))
    ballots = (
        {
            "record": "ballot",
            "seq": b["seq"],
            "key": b["entry__key"],
            "channel": b["channel"],
            "choice": b["choice"],
            "approve": approve_text(b["approve"]),
            "valid": b["valid"],
            "invalid_reason": b["invalid_reason"],
            "area": area_text(b["area_cents"] or 0),
            "proxy": text(b["proxy_name"]),
            "proxy_id": b["proxy_id"] or "",
            "paper_serial": text(b["paper_serial"]),
            "box": text(b["box__label"] or ""),
            "reference": text(b["reference"]),
            "cast_at": timestamp(b["cast_at"]),
            "receipt_hash": b["receipt_hash"],
            "voided": b["voided"],
            "void_reason": reasons.get(b["id"], ""),
            "prev_hash": b["prev_hash"],
            "hash": b["hash"],
        }
        for b in Ballot.objects.filter(vote=vote)
        .order_by("seq")
        .values(
            "id",
            "seq",
            "entry__key",
            "channel",
            "choice",
            "approve",
            "valid",
            "invalid_reason",
            "area_cents",
            "voided",
            "proxy_name",
            "proxy_id",
            "paper_serial",
            "box__label",
            "reference",
            "cast_at",
            "receipt_hash",
            "prev_hash",
            "hash",
        )
        .iterator(chunk_size=5000)
    )
    yield from heapq.merge(links, ballots, key=lambda row: row["seq"])


def export_rows(vote: Vote) -> Iterator[dict]:
    """Yield the auditor's export: the vote, the frozen roll, the candidates as the database holds them,
    the chain (links and ballots, in order), the bulletin's published heads, and the stored results.

    Enough to recompute the chain, the roll's digest and every result without the platform.
    """
    yield {
        "record": "vote",
        "vote": vote.pk,
        "vote_kind": vote.kind,
        "matter": vote.matter,
        "threshold": vote.threshold,
        "seats": vote.seats or "",
        "total_area": f"{vote.roll_total_area:.2f}" if vote.roll_total_area is not None else "",
        "total_owners": vote.roll_total_owners if vote.roll_total_owners is not None else "",
        "frozen_at": timestamp(vote.roll_frozen_at) if vote.roll_frozen_at else "",
    }
    yield from _roll_rows(vote)
    for cand in (
        Candidate.objects.filter(vote=vote).order_by("pk").values("id", "owner_id", "eligible", "is_party_member")
    ):
        yield {
            "record": "candidate",
            "candidate": cand["id"],
            "owner": cand["owner_id"],
            "eligible": "" if cand["eligible"] is None else cand["eligible"],
            "is_party_member": cand["is_party_member"],
        }
    yield from _chain_rows(vote)
    for seq, head, at in PublishedHead.objects.filter(vote=vote).order_by("seq").values_list("seq", "head", "at"):
        yield {"record": "head", "seq": seq, "hash": head, "at": timestamp(at)}
    for number, data, digest, head, at in (
        VoteResult.objects.filter(vote=vote)
        .order_by("round")
        .values_list("round", "data", "hash", "chain_head", "computed_at")
    ):
        yield {
            "record": "result",
            "round": number,
            "data": canonical(data).decode(),
            "hash": digest,
            "chain_head": head,
            "at": timestamp(at),
        }


def export_csv(vote: Vote) -> str:
    """The export as CSV text; every cell passes ``core.spreadsheets.safe_cell`` (no live formulas)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in export_rows(vote):
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return out.getvalue()
