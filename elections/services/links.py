"""Appending to a vote's hash chain (see ``elections.chain``); callers hold the vote's lock.

Ballots are links themselves (``Ballot.seq``, ``prev_hash``, ``hash``); the other links are
``ChainLink`` rows. Both share one sequence per vote. After every link the new head is
published (``PublishedHead``): the bulletin shows it, and ``verify_vote`` compares the chain
with that history.
"""

from __future__ import annotations

import datetime

from django.db import connection

from elections.chain import GENESIS, link_hash
from elections.models import Ballot, ChainLink, PublishedHead, Vote

TIP_SQL = (
    "(SELECT seq, hash FROM elections_ballot WHERE vote_id = %s ORDER BY seq DESC LIMIT 1) UNION ALL "
    "(SELECT seq, hash FROM elections_chainlink WHERE vote_id = %s ORDER BY seq DESC LIMIT 1)"
)


def chain_tip(vote: Vote) -> tuple[int, str]:
    """Return the sequence number and hash of the vote's last link (``(0, GENESIS)`` before the first).

    On PostgreSQL one round trip for both kinds of link (it runs under the vote's lock, on every ballot).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(TIP_SQL, [vote.pk, vote.pk])
            tips = [tuple(row) for row in cursor.fetchall()]
    else:
        tips = [
            tip
            for tip in (
                Ballot.objects.filter(vote=vote).order_by("-seq").values_list("seq", "hash").first(),
                ChainLink.objects.filter(vote=vote).order_by("-seq").values_list("seq", "hash").first(),
            )
            if tip
        ]
    return max(tips) if tips else (0, GENESIS)


def publish_head(vote: Vote, seq: int, head: str, at: datetime.datetime) -> None:
    """Record the chain's new head as the bulletin publishes it."""
    PublishedHead.objects.create(vote=vote, seq=seq, head=head, at=at)


def append_link(vote: Vote, kind: str, fields: dict, at: datetime.datetime) -> ChainLink:
    """Append a link of ``kind`` with ``fields`` (canonical values only) to the vote's chain."""
    last, previous = chain_tip(vote)
    seq = last + 1
    body = {"kind": kind, "vote": vote.pk, "seq": seq, **fields}
    link = ChainLink.objects.create(
        vote=vote, seq=seq, kind=kind, body=body, prev_hash=previous, hash=link_hash(body, previous), at=at
    )
    publish_head(vote, seq, link.hash, at)
    return link
