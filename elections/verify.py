"""Recompute a vote from its auditor's export alone: the roll's digest, the chain, every result.

Reads only the CSV rows, never the database, the stored aggregates or ``selectors``. It
replays the chain link by link, as the platform appended it:

- the first link must be the frozen roll, and the roll rows must hash to the digest it holds;
- each candidate link fixes a candidate's eligibility (the candidate rows, as the database
  holds them now, must agree);
- each ballot must be for an entry of the roll (or one a split created) without a live
  ballot, cover exactly the area that entry holds at that point, and be valid exactly when
  its content is;
- a void link voids one live ballot (and only a void link may: the ballot rows' ``voided``
  flags must agree); a split link moves units from an entry that has not voted to their new
  owner's entry; a seal link records a sealed ballot box;
- the bulletin's published heads must be links of the chain, and its last one the chain's end;
- each stored result must hash to its data and equal the count recomputed at its chain head.

Every difference is reported as a problem naming the link (``seq N``) or the field.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from core.hashing import GENESIS, digest
from elections import chain
from elections.chain import ballot_body, link_hash, parse_units, roll_digest, roll_entry_row
from elections.law import CHANNELS, Counts, cents, decide

CHOICES = ("for", "against", "abstain")


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    data: dict | None = None
    chain_head: str = GENESIS
    ballots: int = 0
    links: int = 0
    results: list[dict] = field(default_factory=list)


def _bool(text: str) -> bool:
    return text in ("True", "true", "1")


def _int(text: str) -> int | None:
    return int(text) if text not in ("", None) else None


@dataclass
class _Entry:
    units: dict[int, int]  # unit id -> area in hundredths
    frozen: bool = True

    @property
    def area(self) -> int:
        return sum(self.units.values())


@dataclass
class _Replay:
    """The state of the vote as the chain builds it, link by link."""

    vote: dict
    entries: dict[str, _Entry]
    total_area: int
    problems: list[str]
    candidates: dict[int, dict] = field(default_factory=dict)
    live: dict[str, dict] = field(default_factory=dict)  # entry key -> its live ballot
    by_seq: dict[int, dict] = field(default_factory=dict)  # ballot seq -> ballot
    voided: set[int] = field(default_factory=set)
    splits: list[dict] = field(default_factory=list)
    boxes: dict[str, dict] = field(default_factory=dict)

    def counted_owners(self) -> int:
        """The roll's entries as the splits left them: each counts while it holds a unit or has a live ballot."""
        return sum(1 for key, entry in self.entries.items() if entry.units or key in self.live)

    def counts(self) -> Counts:
        counts = Counts(
            total_area=self.total_area,
            total_owners=self.counted_owners(),
            by_channel={ch: (0, 0) for ch in CHANNELS},
            choices={c: (0, 0) for c in CHOICES},
            approvals={},
        )
        for ballot in self.live.values():
            area = ballot["area"]
            counts.voted_owners += 1
            counts.voted_area += area
            n, a = counts.by_channel[ballot["channel"]]
            counts.by_channel[ballot["channel"]] = (n + 1, a + area)
            if not ballot["valid"]:
                counts.invalid += 1
                continue
            if self.vote["vote_kind"] == "resolution":
                n, a = counts.choices[ballot["choice"]]
                counts.choices[ballot["choice"]] = (n + 1, a + area)
            else:
                for cid in ballot["approve"]:
                    n, a = counts.approvals.get(cid, (0, 0))
                    counts.approvals[cid] = (n + 1, a + area)
        return counts

    def decide(self) -> dict:
        eligible = [
            {"id": cid, "is_party_member": c["party_member"]}
            for cid, c in sorted(self.candidates.items())
            if c["eligible"] is True
        ]
        data = decide(
            kind=self.vote["vote_kind"],
            threshold=self.vote["threshold"],
            seats=_int(self.vote["seats"]),
            candidates=eligible,
            counts=self.counts(),
            roll_changes=[
                {
                    "from": split["from"],
                    "to": split["to"],
                    "new_owner": split["new_owner"],
                    "units": sorted(unit for unit, _area in parse_units(split["units"])),
                    "area": split["area"],
                    "transfer": split["transfer"],
                }
                for split in self.splits
            ],
        )
        return data


def _read_roll(rows: list[dict], vote: dict, problems: list[str]) -> tuple[dict[str, _Entry], str]:
    entries: dict[str, _Entry] = {}
    digest_rows = []
    for r in rows:
        units = {unit: cents(area) for unit, area in parse_units(r["units"])}
        entry = _Entry(units=units)
        if entry.area != cents(r["area"]):
            problems.append(f"roll entry {r['key']}: its units' areas do not add up to its area {r['area']}")
        entries[r["key"]] = entry
        digest_rows.append(
            roll_entry_row(
                key=r["key"],
                area=r["area"],
                is_developer=_bool(r["is_developer"]),
                owners=int(r["owners"] or 0),
                units=r["units"],
            )
        )
    total_area = cents(vote["total_area"] or 0)
    total_owners = int(vote["total_owners"] or 0)
    if sum(e.area for e in entries.values()) != total_area or len(entries) != total_owners:
        problems.append("the roll's entries do not add up to its totals")
    return entries, roll_digest(digest_rows)


def _check_roll_link(body: dict, seq: int, vote: dict, roll_digest_text: str, problems: list[str]) -> None:
    if seq != 1:
        problems.append(f"link seq {seq}: the frozen roll is not the first link of the chain")
    if body.get("entries") != roll_digest_text:
        problems.append(f"link seq {seq}: the frozen roll differs from the one hashed when voting opened")
    expected = {
        "vote_kind": vote["vote_kind"],
        "matter": _int(vote["matter"]),
        "seats": _int(vote["seats"]),
        "threshold": vote["threshold"],
        "total_area": vote["total_area"],
        "total_owners": _int(vote["total_owners"]),
        "frozen_at": vote["frozen_at"],
    }
    for key, value in expected.items():
        if body.get(key) != value:
            problems.append(f"link seq {seq}: the vote's {key} differs from the one hashed when voting opened")


def _ballot_content_problem(r: dict, approve: list[int], replay: _Replay) -> str | None:
    """Say why a ballot's ``valid`` flag does not follow from its content, or return None."""
    valid, reason = _bool(r["valid"]), r["invalid_reason"]
    if reason == "spoiled":
        if valid or approve or r["choice"]:
            return "a spoiled ballot must be invalid and mark nothing"
        return None
    if replay.vote["vote_kind"] == "resolution":
        if valid != (r["choice"] in CHOICES and not reason):
            return "its choice and its validity disagree"
        return None
    eligible = {cid for cid, c in replay.candidates.items() if c["eligible"] is True}
    seats = _int(replay.vote["seats"]) or 0
    if reason == "not_candidate":
        # An unknown id, or a name written in on paper (which leaves no id): invalid either way.
        return None if not valid else "a ballot naming a non-candidate must be invalid"
    if any(cid not in eligible for cid in approve):
        expected = (False, "not_candidate")
    elif len(approve) > seats:
        expected = (False, "over_seats")
    else:
        expected = (True, "")
    if (valid, reason) != expected:
        return "its approvals and its validity disagree"
    return None


def _replay_ballot(r: dict, seq: int, replay: _Replay) -> None:
    problems = replay.problems
    key = r["key"]
    approve = [int(x) for x in r["approve"].split()]
    entry = replay.entries.get(key)
    if entry is None:
        problems.append(f"ballot seq {seq}: its owner {key} is not on the frozen roll")
        return
    if key in replay.live:
        problems.append(f"ballot seq {seq}: a second live ballot for {key}")
        return
    if cents(r["area"]) != entry.area:
        problems.append(f"ballot seq {seq}: it counts {r['area']} m² but {key} holds {chain.area_text(entry.area)}")
    problem = _ballot_content_problem(r, approve, replay)
    if problem:
        problems.append(f"ballot seq {seq}: {problem}")
    if r["box"] and r["box"] not in replay.boxes:
        problems.append(f"ballot seq {seq}: its box {r['box']} was never sealed in the chain")
    ballot = {
        "seq": seq,
        "key": key,
        "area": cents(r["area"]),
        "channel": r["channel"],
        "choice": r["choice"],
        "approve": approve,
        "valid": _bool(r["valid"]),
    }
    replay.live[key] = ballot
    replay.by_seq[seq] = ballot


def _replay_split(body: dict, seq: int, replay: _Replay) -> None:
    problems = replay.problems
    source = replay.entries.get(body.get("from"))
    if source is None:
        problems.append(f"link seq {seq}: a split from {body.get('from')}, which is not on the roll")
        return
    if body["from"] in replay.live:
        problems.append(f"link seq {seq}: a split from {body['from']}, which has already voted")
    units = {unit: cents(area) for unit, area in parse_units(body.get("units", ""))}
    for unit in units:
        if unit not in source.units:
            problems.append(f"link seq {seq}: unit {unit} is not held by {body['from']}")
        source.units.pop(unit, None)
    target = replay.entries.get(body.get("to"))
    if body.get("new_owner"):
        if target is not None:
            problems.append(f"link seq {seq}: a new owner {body['to']} who is already on the roll")
        replay.entries[body["to"]] = _Entry(units=dict(units), frozen=False)
    elif target is None:
        problems.append(f"link seq {seq}: a split to {body.get('to')}, which is not on the roll")
    else:
        target.units.update(units)
    if chain.area_text(sum(units.values())) != body.get("area"):
        problems.append(f"link seq {seq}: the split's area is not the sum of its units' areas")
    replay.splits.append(body)


def _replay_link(r: dict, seq: int, body: dict, replay: _Replay, roll_digest_text: str) -> None:
    kind = body.get("kind")
    if kind == chain.ROLL:
        _check_roll_link(body, seq, replay.vote, roll_digest_text, replay.problems)
    elif kind == chain.CANDIDATE:
        replay.candidates[int(body["candidate"])] = {
            "eligible": body.get("eligible"),
            "party_member": bool(body.get("party_member")),
            "owner": body.get("owner"),
        }
    elif kind == chain.VOID:
        target = replay.by_seq.get(int(body["ballot"]))
        if target is None or target["seq"] in replay.voided:
            replay.problems.append(f"link seq {seq}: voids ballot seq {body['ballot']}, which is not a live ballot")
            return
        replay.voided.add(target["seq"])
        if replay.live.get(target["key"]) is target:
            del replay.live[target["key"]]
    elif kind == chain.SPLIT:
        _replay_split(body, seq, replay)
    elif kind == chain.SEAL:
        replay.boxes[body["box"]] = body
    else:
        replay.problems.append(f"link seq {seq}: unknown kind {kind!r}")


def verify_csv(text: str) -> Verification:
    """Check the export's roll, chain, published heads and results; list every problem found."""
    out = Verification()
    rows = list(csv.DictReader(io.StringIO(text)))
    vote = next((r for r in rows if r["record"] == "vote"), None)
    if vote is None:
        out.problems.append("the export has no vote row")
        return out
    by_record: dict[str, list[dict]] = {}
    for r in rows:
        by_record.setdefault(r["record"], []).append(r)
    problems = out.problems
    entries, roll_digest_text = _read_roll(by_record.get("roll", []), vote, problems)
    replay = _Replay(
        vote=vote,
        entries=entries,
        total_area=cents(vote["total_area"] or 0),
        problems=problems,
    )
    results = {r["chain_head"]: r for r in by_record.get("result", [])}
    recomputed: dict[str, dict] = {}
    hash_at: dict[int, str] = {}
    links = sorted(by_record.get("link", []) + by_record.get("ballot", []), key=lambda r: int(r["seq"]))
    prev = GENESIS
    for position, r in enumerate(links, start=1):
        seq = int(r["seq"])
        if seq != position:
            problems.append(f"seq {position}: missing from the chain (the next link is seq {seq})")
        if r["record"] == "link":
            out.links += 1
            body = json.loads(r["body"])
            if body.get("seq") != seq or str(body.get("vote")) != vote["vote"]:
                problems.append(f"link seq {seq}: its body names another vote or place in the chain")
        else:
            out.ballots += 1
            body = ballot_body(
                vote_id=int(vote["vote"]),
                seq=seq,
                key=r["key"],
                channel=r["channel"],
                choice=r["choice"],
                approve=r["approve"],
                valid=_bool(r["valid"]),
                invalid_reason=r["invalid_reason"],
                area=r["area"],
                proxy=r["proxy"],
                proxy_id=_int(r["proxy_id"]),
                paper_serial=r["paper_serial"],
                box=r["box"],
                reference=r["reference"],
                cast_at=r["cast_at"],
                receipt_hash=r["receipt_hash"],
            )
        if r["prev_hash"] != prev or r["hash"] != link_hash(body, prev):
            problems.append(f"{r['record']} seq {seq}: hash does not match its content or the chain")
        if position == 1 and body.get("kind") != chain.ROLL:
            problems.append(f"{r['record']} seq {seq}: the chain does not start with the frozen roll")
        if r["record"] == "link":
            _replay_link(r, seq, body, replay, roll_digest_text)
        else:
            _replay_ballot(r, seq, replay)
        prev = r["hash"]
        hash_at[seq] = prev
        if prev in results:
            recomputed[prev] = replay.decide()
    out.chain_head = prev
    _check_voids(by_record.get("ballot", []), replay, problems)
    _check_candidates(by_record.get("candidate", []), replay, problems, opened=bool(links))
    _check_heads(by_record.get("head", []), hash_at, problems)
    out.data = replay.decide() if links else None
    for r in by_record.get("result", []):
        _check_result(r, recomputed.get(r["chain_head"]), problems)
        out.results.append(json.loads(r["data"]))
    return out


def _check_voids(ballots: list[dict], replay: _Replay, problems: list[str]) -> None:
    for r in ballots:
        seq = int(r["seq"])
        if _bool(r["voided"]) != (seq in replay.voided):
            problems.append(f"ballot seq {seq}: voided without a void link in the chain, or the reverse")


def _check_candidates(rows: list[dict], replay: _Replay, problems: list[str], *, opened: bool) -> None:
    for r in rows:
        cid = int(r["candidate"])
        chained = replay.candidates.get(cid)
        if chained is None:
            if opened:
                problems.append(f"candidate {cid}: not in the chain (added after voting opened?)")
            continue
        eligible = None if r["eligible"] == "" else _bool(r["eligible"])
        if eligible != chained["eligible"] or _bool(r["is_party_member"]) != chained["party_member"]:
            problems.append(f"candidate {cid}: the database differs from the decision chained when voting opened")


def _check_heads(rows: list[dict], hash_at: dict[int, str], problems: list[str]) -> None:
    last = max(hash_at, default=0)
    published = 0
    for r in rows:
        seq = int(r["seq"])
        published = max(published, seq)
        if hash_at.get(seq) != r["hash"]:
            problems.append(f"published head seq {seq}: the bulletin published a head the chain does not have")
    if published != last:
        problems.append(
            f"the chain ends at seq {last} but the bulletin published its head at seq {published}: links are missing"
        )


def _check_result(row: dict, recomputed: dict | None, problems: list[str]) -> None:
    data = json.loads(row["data"])
    name = f"result round {row['round']}"
    if digest(data) != row["hash"]:
        problems.append(f"{name}: its hash does not match its data")
    if recomputed is None:
        problems.append(f"{name}: its chain head is not a link of the chain")
        return
    for key in sorted(set(data) | set(recomputed)):
        if data.get(key) != recomputed.get(key):
            problems.append(f"{name} field {key!r}: recomputed {recomputed.get(key)!r}, stored {data.get(key)!r}")
