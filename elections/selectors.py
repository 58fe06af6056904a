"""Reads of the voting engine: the tally's aggregates, the bulletin, the auditor's export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import Count, Q, Sum

from elections.chain import approve_text, timestamp
from elections.law import CHANNELS, Counts, cents, decide
from elections.models import (
    Ballot,
    BallotApproval,
    BallotVoid,
    Candidate,
    PaperSerial,
    RefusedBallot,
    RollEntry,
    RollUnit,
    Vote,
    VoteKind,
)


def tally_counts(vote: Vote) -> Counts:
    """Aggregate the frozen roll's live ballots in the database: one query (two for an election)."""
    live = Ballot.objects.filter(vote=vote, voided=False)
    aggregates = {
        "voted_owners": Count("id"),
        "voted_area": Sum("entry__area"),
        "invalid": Count("id", filter=Q(valid=False)),
    }
    for ch in CHANNELS:
        aggregates[f"{ch}_n"] = Count("id", filter=Q(channel=ch))
        aggregates[f"{ch}_a"] = Sum("entry__area", filter=Q(channel=ch))
    if vote.kind == VoteKind.RESOLUTION:
        for choice in ("for", "against", "abstain"):
            aggregates[f"{choice}_n"] = Count("id", filter=Q(choice=choice, valid=True))
            aggregates[f"{choice}_a"] = Sum("entry__area", filter=Q(choice=choice, valid=True))
    row = live.aggregate(**aggregates)
    counts = Counts(
        total_area=cents(vote.roll_total_area),
        total_owners=vote.roll_total_owners or 0,
        voted_area=cents(row["voted_area"]),
        voted_owners=row["voted_owners"],
        invalid=row["invalid"],
        by_channel={ch: (row[f"{ch}_n"], cents(row[f"{ch}_a"])) for ch in CHANNELS},
    )
    if vote.kind == VoteKind.RESOLUTION:
        counts.choices = {c: (row[f"{c}_n"], cents(row[f"{c}_a"])) for c in ("for", "against", "abstain")}
    else:
        counts.approvals = {
            cid: (n, cents(a))
            for cid, n, a in BallotApproval.objects.filter(ballot__vote=vote, ballot__voided=False)
            .values("candidate_id")
            .annotate(n=Count("id"), a=Sum("ballot__entry__area"))
            .values_list("candidate_id", "n", "a")
        }
    return counts


def eligible_candidates(vote: Vote) -> list[dict]:
    return list(Candidate.objects.filter(vote=vote, eligible=True).order_by("pk").values("id", "is_party_member"))


def tally(vote: Vote) -> dict:
    """Count ``vote`` from its frozen roll and live ballots (DOMAIN.md §4)."""
    return decide(
        kind=vote.kind,
        threshold=vote.threshold,
        seats=vote.seats,
        candidates=eligible_candidates(vote) if vote.kind == VoteKind.COMMITTEE_ELECTION else [],
        counts=tally_counts(vote),
    )


def refused_counts(vote: Vote) -> dict[str, int]:
    return dict(
        RefusedBallot.objects.filter(vote=vote).values("reason").annotate(n=Count("id")).values_list("reason", "n")
    )


def paper_reconciliation(vote: Vote) -> dict:
    """Reconcile paper serials: issued, returned (a live ballot carries it), void (spoiled), outstanding."""
    issued = PaperSerial.objects.filter(vote=vote)
    void = set(issued.filter(voided_at__isnull=False).values_list("serial", flat=True))
    all_serials = set(issued.values_list("serial", flat=True))
    returned = set(
        Ballot.objects.filter(vote=vote, voided=False).exclude(paper_serial="").values_list("paper_serial", flat=True)
    )
    return {
        "issued": len(all_serials),
        "returned": len(returned),
        "void": len(void),
        "outstanding": sorted(all_serials - returned - void),
        "balanced": len(all_serials) == len(returned | void) + len(all_serials - returned - void),
    }


def bulletin(vote: Vote) -> dict:
    """The public bulletin: every receipt's hash (live and voided), the chain head, then the totals.

    Names no owner: receipts are hashes, totals are areas and counts.
    """
    receipts = list(Ballot.objects.filter(vote=vote).order_by("seq").values_list("receipt_hash", "voided", "hash"))
    result = vote.latest_result
    data = {
        "vote": vote.pk,
        "title": vote.title,
        "status": vote.status,
        "receipts": [r for r, voided, _h in receipts if not voided],
        "voided_receipts": [r for r, voided, _h in receipts if voided],
        "chain_head": receipts[-1][2] if receipts else "",
        "totals": None,
    }
    if result is not None:
        data["totals"] = {k: v for k, v in result.data.items() if k not in ("party_members",)}
    return data


def unit_labels(vote: Vote, entry_ids: list[int] | None = None) -> dict[int, list[str]]:
    """The unit numbers of roll entries, as notices show them (never owners)."""
    rows = RollUnit.objects.filter(vote=vote)
    if entry_ids is not None:
        rows = rows.filter(entry_id__in=entry_ids)
    labels: dict[int, list[str]] = {}
    for entry_id, building, stairway, room in rows.values_list(
        "entry_id", "unit__building__name", "unit__stairway", "unit__room"
    ).order_by("entry_id", "unit_id"):
        label = "-".join(p for p in (building, f"{stairway}单元" if stairway else "", room) if p)
        labels.setdefault(entry_id, []).append(label)
    return labels


EXPORT_COLUMNS = [
    "record",
    "key",
    "area",
    "is_developer",
    "units",
    "seq",
    "channel",
    "choice",
    "approve",
    "valid",
    "voided",
    "proxy_name",
    "proxy_mandate",
    "paper_serial",
    "reference",
    "cast_at",
    "receipt_hash",
    "prev_hash",
    "hash",
    "vote",
    "kind",
    "matter",
    "threshold",
    "seats",
    "total_area",
    "total_owners",
    "candidate",
    "eligible",
    "is_party_member",
    "void_reason",
]


def export_rows(vote: Vote) -> Iterator[dict]:
    """Yield the auditor's export: the vote, its eligible candidates, the frozen roll, then every ballot.

    Enough to recompute the result and the hash chain without the stored result.
    """
    yield {
        "record": "vote",
        "vote": vote.pk,
        "kind": vote.kind,
        "matter": vote.matter,
        "threshold": vote.threshold,
        "seats": vote.seats or "",
        "total_area": vote.roll_total_area,
        "total_owners": vote.roll_total_owners,
    }
    for cand in Candidate.objects.filter(vote=vote).order_by("pk").values("id", "eligible", "is_party_member"):
        yield {
            "record": "candidate",
            "candidate": cand["id"],
            "eligible": cand["eligible"],
            "is_party_member": cand["is_party_member"],
        }
    labels = unit_labels(vote)
    for entry_id, key, area, is_dev in (
        RollEntry.objects.filter(vote=vote).order_by("pk").values_list("id", "key", "area", "is_developer")
    ):
        yield {
            "record": "roll",
            "key": key,
            "area": area,
            "is_developer": is_dev,
            "units": " ".join(labels.get(entry_id, [])),
        }
    reasons = dict(BallotVoid.objects.filter(ballot__vote=vote).values_list("ballot_id", "reason"))
    for b in (
        Ballot.objects.filter(vote=vote)
        .order_by("seq")
        .values(
            "id",
            "seq",
            "entry__key",
            "channel",
            "choice",
            "approve",
            "valid",
            "voided",
            "proxy_name",
            "proxy_mandate",
            "paper_serial",
            "reference",
            "cast_at",
            "receipt_hash",
            "prev_hash",
            "hash",
        )
        .iterator(chunk_size=5000)
    ):
        yield {
            "record": "ballot",
            "key": b["entry__key"],
            "seq": b["seq"],
            "channel": b["channel"],
            "choice": b["choice"],
            "approve": approve_text(b["approve"]),
            "valid": b["valid"],
            "voided": b["voided"],
            "proxy_name": b["proxy_name"],
            "proxy_mandate": b["proxy_mandate"],
            "paper_serial": b["paper_serial"],
            "reference": b["reference"],
            "cast_at": timestamp(b["cast_at"]),
            "receipt_hash": b["receipt_hash"],
            "prev_hash": b["prev_hash"],
            "hash": b["hash"],
            "void_reason": reasons.get(b["id"], ""),
        }


def export_csv(vote: Vote) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in export_rows(vote):
        writer.writerow(row)
    return out.getvalue()
