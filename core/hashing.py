"""The one canonical serialisation behind every hash chain (ballots, results, the ledger, roll snapshots).

A record is hashed as the SHA-256 of its canonical JSON: keys sorted, no spaces, UTF-8,
decimals as their exact text, dates in ISO form and datetimes in UTC with microseconds.
Anyone holding an export can recompute the same bytes without the platform.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64


def jsonable(value: Any) -> Any:
    """Return ``value`` with decimals and dates turned into the text the canonical form uses."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("A hashed datetime must be aware.")
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def canonical(value: Any) -> bytes:
    """Return the canonical bytes of ``value`` (dicts, lists, str, int, bool, None, Decimal, dates)."""
    return json.dumps(jsonable(value), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def digest(value: Any) -> str:
    """Return the SHA-256 (hex) of the canonical form of ``value``."""
    return hashlib.sha256(canonical(value)).hexdigest()


def chain_digest(body: dict[str, Any], previous: str) -> str:
    """Return the hash of one link of a chain: ``body`` together with the previous link's hash."""
    return digest({**body, "previous": previous})
