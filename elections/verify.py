"""Recompute a vote from its auditor's export alone: the hash chain, then the tally.

Reads only the CSV rows (roll snapshot, candidates, ballots), never the stored result or the
aggregate queries of ``selectors``; the caller compares what it finds with the stored result.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from elections.chain import GENESIS, ballot_hash
from elections.law import CHANNELS, Counts, cents, decide


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    data: dict | None = None
    chain_head: str = GENESIS
    ballots: int = 0


def _bool(text: str) -> bool:
    return text in ("True", "true", "1")


def verify_csv(text: str) -> Verification:
    """Check the chain and recount from the export's rows; list every problem found."""
    out = Verification()
    rows = list(csv.DictReader(io.StringIO(text)))
    head = next((r for r in rows if r["record"] == "vote"), None)
    if head is None:
        out.problems.append("the export has no vote row")
        return out
    area_of = {r["key"]: cents(r["area"]) for r in rows if r["record"] == "roll"}
    candidates = [
        {"id": int(r["candidate"]), "is_party_member": _bool(r["is_party_member"])}
        for r in rows
        if r["record"] == "candidate" and _bool(r["eligible"])
    ]
    eligible = {c["id"] for c in candidates}
    counts = Counts(
        total_area=cents(head["total_area"] or 0),
        total_owners=int(head["total_owners"] or 0),
        by_channel={ch: (0, 0) for ch in CHANNELS},
        choices={c: (0, 0) for c in ("for", "against", "abstain")},
        approvals={},
    )
    if sum(area_of.values()) != counts.total_area or len(area_of) != counts.total_owners:
        out.problems.append("the roll's entries do not add up to its totals")
    prev = GENESIS
    live: set[str] = set()
    for r in (r for r in rows if r["record"] == "ballot"):
        out.ballots += 1
        expected = ballot_hash(
            vote_id=head["vote"],
            seq=r["seq"],
            key=r["key"],
            channel=r["channel"],
            choice=r["choice"],
            approve=r["approve"],
            valid=_bool(r["valid"]),
            proxy_name=r["proxy_name"],
            proxy_mandate=r["proxy_mandate"],
            paper_serial=r["paper_serial"],
            reference=r["reference"],
            cast_at=r["cast_at"],
            receipt_hash=r["receipt_hash"],
            prev_hash=prev,
        )
        if r["prev_hash"] != prev or r["hash"] != expected:
            out.problems.append(f"ballot seq {r['seq']}: hash does not match its content or the chain")
        prev = r["hash"]
        if _bool(r["voided"]) != bool(r["void_reason"]):
            out.problems.append(f"ballot seq {r['seq']}: voided without a void record, or the reverse")
        if _bool(r["voided"]):
            continue
        if r["key"] not in area_of:
            out.problems.append(f"ballot seq {r['seq']}: its owner {r['key']} is not on the frozen roll")
            continue
        if r["key"] in live:
            out.problems.append(f"ballot seq {r['seq']}: a second live ballot for {r['key']}")
            continue
        live.add(r["key"])
        area = area_of[r["key"]]
        counts.voted_owners += 1
        counts.voted_area += area
        n, a = counts.by_channel[r["channel"]]
        counts.by_channel[r["channel"]] = (n + 1, a + area)
        if not _bool(r["valid"]):
            counts.invalid += 1
            continue
        if head["kind"] == "resolution":
            n, a = counts.choices[r["choice"]]
            counts.choices[r["choice"]] = (n + 1, a + area)
        else:
            for cid in (int(x) for x in r["approve"].split()):
                if cid not in eligible:
                    out.problems.append(f"ballot seq {r['seq']}: approves {cid}, not an eligible candidate")
                    continue
                n, a = counts.approvals.get(cid, (0, 0))
                counts.approvals[cid] = (n + 1, a + area)
    out.chain_head = prev
    out.data = decide(
        kind=head["kind"],
        threshold=head["threshold"],
        seats=int(head["seats"]) if head["seats"] else None,
        candidates=candidates,
        counts=counts,
    )
    return out
