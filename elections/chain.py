"""A vote's hash chain: what each link holds, and how it is hashed (``core.hashing``, one canonical form).

The chain of a vote starts when voting opens. Its first link is the frozen roll (a digest
of every entry's key, area, developer flag, owner count and units with their areas), then
one link per candidate's eligibility decision, then ballots, voids, splits of the roll when
a unit changes hands, and sealed ballot boxes, in the order they happened. Each link's hash
is ``core.hashing.chain_digest(body, previous hash)``.

Every text a person typed goes into a body as ``core.spreadsheets.safe_cell`` makes it, which
is exactly the text the auditor's CSV export writes: ``verify_vote`` (or anyone holding the
CSV) rebuilds every body from the exported cells and recomputes every hash without the
platform, and a cell that looked like a formula stays inert text in a spreadsheet.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from decimal import Decimal

from core.hashing import GENESIS, chain_digest, digest, jsonable
from core.spreadsheets import safe_cell

__all__ = ["GENESIS", "approve_text", "ballot_body", "link_hash", "receipt_hash", "roll_digest", "text", "timestamp"]

ROLL = "roll"
CANDIDATE = "candidate"
BALLOT = "ballot"
VOID = "void"
SPLIT = "split"
SEAL = "seal"


def timestamp(moment: datetime.datetime) -> str:
    """Return an aware datetime as the canonical UTC string with microseconds."""
    return jsonable(moment)


def text(value) -> str:
    """Return a typed text as it is hashed and exported: stripped, and inert in a spreadsheet."""
    return safe_cell((value or "").strip())


def approve_text(candidate_ids: Iterable[int]) -> str:
    """The approved candidates as the export writes them: ids in ascending order, space-separated."""
    return " ".join(str(i) for i in sorted(int(i) for i in candidate_ids))


def area_text(hundredths: int) -> str:
    """Hundredths of a square metre as the two-place decimal text the chain and the export use."""
    return str((Decimal(hundredths) / 100).quantize(Decimal("0.01")))


def units_text(units: Iterable[tuple[int, Decimal | str]]) -> str:
    """Units with their areas as the export writes them: ``id:area`` in ascending id order."""
    return " ".join(f"{unit}:{Decimal(area):.2f}" for unit, area in sorted(units, key=lambda u: u[0]))


def parse_units(value: str) -> list[tuple[int, str]]:
    """Read ``units_text`` back."""
    pairs = []
    for item in value.split():
        unit, _sep, area = item.partition(":")
        pairs.append((int(unit), area))
    return pairs


def roll_entry_row(*, key: str, area, is_developer: bool, owners: int, units: str) -> dict:
    """One frozen roll entry as it enters the roll's digest (all text as exported)."""
    return {
        "key": key,
        "area": f"{Decimal(area):.2f}",
        "is_developer": bool(is_developer),
        "owners": int(owners),
        "units": units,
    }


def roll_digest(entries: Iterable[dict]) -> str:
    """The digest of a frozen roll: its entries (``roll_entry_row``) in key order."""
    return digest(sorted(entries, key=lambda e: e["key"]))


def ballot_body(
    *,
    vote_id: int,
    seq: int,
    key: str,
    channel: str,
    choice: str,
    approve: str,
    valid: bool,
    invalid_reason: str,
    area: str,
    proxy: str,
    proxy_id: int | None,
    paper_serial: str,
    box: str,
    reference: str,
    cast_at: str,
    receipt_hash: str,
) -> dict:
    """The canonical content of a ballot link, every field as the export writes it."""
    return {
        "kind": BALLOT,
        "vote": int(vote_id),
        "seq": int(seq),
        "key": key,
        "channel": channel,
        "choice": choice,
        "approve": approve,
        "valid": bool(valid),
        "invalid_reason": invalid_reason,
        "area": area,
        "proxy": proxy,
        "proxy_id": proxy_id,
        "paper_serial": paper_serial,
        "box": box,
        "reference": reference,
        "cast_at": cast_at,
        "receipt_hash": receipt_hash,
    }


def link_hash(body: dict, previous: str) -> str:
    """The hash of a link: its body together with the previous link's hash."""
    return chain_digest(body, previous)


def receipt_hash(code: str) -> str:
    """The public hash of a receipt code, as the bulletin lists it (plain SHA-256, checkable by anyone)."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()
