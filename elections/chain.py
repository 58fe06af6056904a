"""The ballots' hash chain: each ballot's hash covers its content and the hash before it.

The payload is built from strings exactly as the auditor's export writes them, so that
``verify_vote`` (or anyone with the CSV) recomputes every hash without the database.
"""

from __future__ import annotations

import datetime
import hashlib
import json

GENESIS = "0" * 64


def timestamp(moment: datetime.datetime) -> str:
    """Return an aware datetime as a canonical UTC string with microseconds."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def approve_text(candidate_ids) -> str:
    return " ".join(str(i) for i in sorted(int(i) for i in candidate_ids))


def ballot_hash(
    *,
    vote_id,
    seq,
    key: str,
    channel: str,
    choice: str,
    approve: str,
    valid: bool,
    proxy_name: str,
    proxy_mandate: str,
    paper_serial: str,
    reference: str,
    cast_at: str,
    receipt_hash: str,
    prev_hash: str,
) -> str:
    """Hash one ballot's canonical payload (all fields as text) together with the previous hash."""
    payload = [
        str(vote_id),
        str(seq),
        key,
        channel,
        choice,
        approve,
        "1" if valid else "0",
        proxy_name,
        proxy_mandate,
        paper_serial,
        reference,
        cast_at,
        receipt_hash,
        prev_hash,
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def receipt_hash(code: str) -> str:
    """The public hash of a receipt code, as the bulletin lists it (plain SHA-256, checkable by anyone)."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()
