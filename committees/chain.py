"""The hash chain of the public-revenue ledger: what an entry's hash covers.

Kept apart from the services so that the writer and ``verify_ledger`` share one definition.
The serialisation is the project's one canonical form (``core.hashing``): keys sorted, no
spaces, money as text with fen, ``recorded_at`` in UTC with microseconds. Anyone holding an
export of the entries can recompute every hash without the platform.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from committees.models.base import FEN
from core.hashing import GENESIS, chain_digest

__all__ = ["GENESIS", "digest_of", "entry_body", "entry_digest", "file_sha256"]


def entry_body(
    *,
    estate_id: int,
    sequence: int,
    date: datetime.date,
    memo: str,
    voucher: str,
    voucher_sha256: str,
    recorded_by_id: int | None,
    recorded_at: datetime.datetime,
    reverses_id: int | None,
    reason: str,
    legs: Iterable[tuple[int, Decimal, Decimal]],
) -> dict[str, Any]:
    """Return what an entry's hash covers: its content, its legs (in order) and its voucher's digest."""
    return {
        "estate": estate_id,
        "sequence": sequence,
        "date": date,
        "memo": memo,
        "voucher": voucher,
        "voucher_sha256": voucher_sha256,
        "recorded_by": recorded_by_id,
        "recorded_at": recorded_at,
        "reverses": reverses_id,
        "reason": reason,
        "legs": [
            [account_id, Decimal(debit).quantize(FEN), Decimal(credit).quantize(FEN)]
            for account_id, debit, credit in legs
        ],
    }


def entry_digest(*, previous_hash: str, **fields) -> str:
    """Return the hash of an entry (``entry_body``'s fields), chained to ``previous_hash``."""
    return chain_digest(entry_body(**fields), previous_hash)


def digest_of(transaction, legs) -> str:
    """Recompute the hash of a stored transaction from its stored fields and legs."""
    return entry_digest(
        estate_id=transaction.estate_id,
        sequence=transaction.sequence,
        date=transaction.date,
        memo=transaction.memo,
        voucher=transaction.voucher.name or "",
        voucher_sha256=transaction.voucher_sha256,
        recorded_by_id=transaction.recorded_by_id,
        recorded_at=transaction.recorded_at,
        reverses_id=transaction.reverses_id,
        reason=transaction.reason,
        legs=[(leg.account_id, leg.debit, leg.credit) for leg in legs],
        previous_hash=transaction.previous_hash,
    )


def file_sha256(file) -> str:
    """The SHA-256 of an uploaded or stored file's content ('' for no file)."""
    if not file:
        return ""
    digest = hashlib.sha256()
    if hasattr(file, "seek"):
        file.seek(0)
    for chunk in file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(65536), b""):
        digest.update(chunk)
    if hasattr(file, "seek"):
        file.seek(0)
    return digest.hexdigest()
