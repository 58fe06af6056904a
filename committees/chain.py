"""The hash chain of the public-revenue ledger: how an entry's digest is computed.

Kept apart from the services so that ``verify_ledger`` and the writer share one definition.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal

from committees.models.base import FEN

GENESIS = "0" * 64


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(FEN))


def entry_digest(
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
    previous_hash: str,
) -> str:
    """Return the SHA-256 of an entry's canonical form, chained to ``previous_hash``."""
    body = {
        "estate": estate_id,
        "sequence": sequence,
        "date": date.isoformat(),
        "memo": memo,
        "voucher": voucher,
        "voucher_sha256": voucher_sha256,
        "recorded_by": recorded_by_id,
        "recorded_at": recorded_at.astimezone(datetime.UTC).isoformat(),
        "reverses": reverses_id,
        "reason": reason,
        "legs": [[account_id, _money(debit), _money(credit)] for account_id, debit, credit in legs],
        "previous": previous_hash,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def digest_of(transaction, legs) -> str:
    """Recompute the digest of a stored transaction from its stored fields and legs."""
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
