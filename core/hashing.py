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


def chain_digest_parts(body: dict[str, Any], slots: dict[str, str]) -> list[bytes | str] | None:
    """The canonical bytes ``chain_digest`` hashes, with some values left open, for a database to fill in.

    ``slots`` names the keys to leave open (``"previous"`` among them, or a key of ``body``) and the kind of
    each: ``"text"`` (a JSON string that needs no escaping, e.g. a hex hash) or ``"number"`` (a whole number).
    Returns the bytes as literal parts (``bytes``) and slot names (``str``) in order: the digest is the SHA-256
    of the literals joined with each slot's value as text. ``None`` when a text of the body could be mistaken for
    a slot (it holds the marker): the caller hashes in Python then.
    """
    markers = {name: f"\ue000{name}\ue001" for name in slots}
    encoded = canonical({**body, **markers})
    found = []
    for name, kind in slots.items():
        quoted = json.dumps(markers[name], ensure_ascii=False).encode()
        if encoded.count(quoted) != 1 or encoded.count(markers[name].encode()) != 1:
            return None
        start = encoded.index(quoted)
        if kind == "text":  # the quotes stay: the slot is the string's content
            found.append((start + 1, start + len(quoted) - 1, name))
        elif kind == "number":
            found.append((start, start + len(quoted), name))
        else:
            raise ValueError(f"unknown slot kind {kind!r}")
    parts: list[bytes | str] = []
    at = 0
    for start, end, name in sorted(found):
        parts.extend([encoded[at:start], name])
        at = end
    parts.append(encoded[at:])
    return parts
