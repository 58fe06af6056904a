"""Appending to a vote's hash chain (see ``elections.chain``); callers hold the vote's lock.

Ballots are links themselves (``Ballot.seq``, ``prev_hash``, ``hash``); the other links are
``ChainLink`` rows. Both share one sequence per vote. After every link the new head is
published (``PublishedHead``): the bulletin shows it, and ``verify_vote`` compares the chain
with that history. The tip (the last link's sequence number and hash) is kept on the vote's
row (``Vote.chain_seq``, ``chain_head``), moved by the statement that appends each link, so
that the lock's own read returns it.
"""

from __future__ import annotations

import datetime

from django.db.models import F

from elections.chain import GENESIS, link_hash
from elections.models import Ballot, ChainLink, PublishedHead, Vote

# Move the tip on the vote's row (the trigger of migration 0016 refuses a move backwards).
ADVANCE_SQL = 'UPDATE "elections_vote" SET "chain_seq" = %s, "chain_head" = %s WHERE "id" = %s'


def chain_tip(vote: Vote) -> tuple[int, str]:
    """Return the sequence number and hash of the vote's last link (``(0, GENESIS)`` before the first).

    Read from the vote's row, where every append moves it (callers hold the vote's lock).
    """
    seq, head = Vote.objects.filter(pk=vote.pk).values_list("chain_seq", "chain_head").get()
    return seq, head


def chain_end(vote: Vote) -> tuple[int, str]:
    """The last link as the chain's tables hold it (what the tip on the vote's row must equal)."""
    tips = [
        tip
        for tip in (
            Ballot.objects.filter(vote=vote).order_by("-seq").values_list("seq", "hash").first(),
            ChainLink.objects.filter(vote=vote).order_by("-seq").values_list("seq", "hash").first(),
        )
        if tip
    ]
    return max(tips) if tips else (0, GENESIS)


def advance(vote: Vote, seq: int, head: str) -> tuple[str, list]:
    """The statement that moves the vote's tip to link ``seq`` with hash ``head``, as ``(sql, params)``."""
    return ADVANCE_SQL, [seq, head, vote.pk]


def link_hash_sql(parts: list[bytes | str], slots: dict[str, str]) -> tuple[str, list]:
    """``chain.link_hash`` as a PostgreSQL expression, ``(sql, params)``: the SHA-256 (hex) of the canonical
    bytes ``parts`` (``core.hashing.chain_digest_parts``), each slot filled with its SQL text expression from
    ``slots`` (e.g. the previous hash as the statement reads it from the vote's row)."""
    pieces, params = [], []
    for part in parts:
        if isinstance(part, bytes):
            pieces.append("%s::bytea")
            params.append(part)
        else:
            pieces.append(f"convert_to(({slots[part]})::text, 'UTF8')")
    return f"encode(sha256({' || '.join(pieces)}), 'hex')", params


def publish_head(vote: Vote, seq: int, head: str, at: datetime.datetime) -> None:
    """Record the chain's new head as the bulletin publishes it."""
    PublishedHead.objects.create(vote=vote, seq=seq, head=head, at=at)


def append_link(vote: Vote, kind: str, fields: dict, at: datetime.datetime, *, split: bool = False) -> ChainLink:
    """Append a link of ``kind`` with ``fields`` (canonical values only) to the vote's chain.

    ``split`` counts the link as a split of the roll (``Vote.split_count``): a ballot checked
    before the vote's lock checks its units again only when that count moved meanwhile.
    """
    last, previous = chain_tip(vote)
    seq = last + 1
    body = {"kind": kind, "vote": vote.pk, "seq": seq, **fields}
    link = ChainLink.objects.create(
        vote=vote, seq=seq, kind=kind, body=body, prev_hash=previous, hash=link_hash(body, previous), at=at
    )
    publish_head(vote, seq, link.hash, at)
    moved = {"chain_seq": seq, "chain_head": link.hash}
    if split:
        moved["split_count"] = F("split_count") + 1
    Vote.objects.filter(pk=vote.pk).update(**moved)
    return link
