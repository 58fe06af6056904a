"""Votes in the simulated city: one resolution per estate, its roll frozen, its ballots cast, closed and tallied.

The vote's life goes through the platform's services: created, put on notice, opened (which freezes the
roll by ``COPY``, ``elections.services.roll``), closed, and tallied by the task a closed vote runs. A
ballot has no bulk path in the platform — each is one owner's act, checked and appended to the vote's
hash chain under its lock — so the generator writes the ballots with ``COPY`` exactly as the platform
chains them (``ballot_rows``): the same canonical bodies and link hashes, a published head per link,
the ``ballot.cast`` audit row, and the tip on the vote's row. ``verify_vote`` accepts the result (the
bench tests check it).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import random

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from config.celery import app
from core.bulk import copy_rows, reserve_ids
from elections import services
from elections.chain import approve_text, area_text, ballot_body, link_hash, receipt_hash, text, timestamp
from elections.events import ElectionsEvent
from elections.law import cents
from elections.models import Ballot, PublishedHead, RollEntry, Vote, VoteKind, VoteStatus
from elections.services.links import advance, chain_tip
from governance.models import AuditEvent, Place
from governance.scoping import SYSTEM

# The channels a generated ballot comes through. Paper ballots would need their serials issued and their boxes
# sealed; the city's votes are cast online, by WeChat and by phone.
CITY_CHANNELS = ("online", "wechat", "phone")
CHOICES = (("for", "against", "abstain"), (6, 3, 1))
BALLOT_COLUMNS = [
    "id",
    "vote_id",
    "seq",
    "entry_id",
    "channel",
    "choice",
    "approve",
    "valid",
    "invalid_reason",
    "area_cents",
    "paper_serial",
    "reference",
    "cast_at",
    "receipt_hash",
    "prev_hash",
    "hash",
    "proxy_name",
    "voided",
]


@dataclasses.dataclass
class Ballots:
    """Ballots made for a vote, as rows of ``BALLOT_COLUMNS``, their published heads and audit rows."""

    ballots: list[tuple]
    heads: list[tuple]
    events: list[tuple]


def ballot_rows(
    vote: Vote,
    entries: list[tuple[int, str, object]],
    *,
    start: datetime.datetime,
    end: datetime.datetime,
    rng: random.Random,
    channels=CITY_CHANNELS,
) -> Ballots:
    """One ballot for each of ``entries`` (roll entry id, key, area) cast between ``start`` and ``end``, chained
    after the vote's tip as ``elections.services.ballots`` chains them."""
    first, prev = chain_tip(vote)
    ids = reserve_ids(Ballot, len(entries))
    made = Ballots([], [], [])
    step = (end - start) / (len(entries) + 1)
    for n, ((entry_id, key, area), ballot_id) in enumerate(zip(entries, ids, strict=True)):
        seq = first + 1 + n
        channel = channels[seq % len(channels)]
        choice = rng.choices(*CHOICES)[0]
        cast_at = start + step * (n + 1)
        r_hash = receipt_hash(f"B{vote.pk}-{seq:08d}")
        serial = f"S{seq:08d}" if channel in ("central", "mobile_box") else ""
        reference = f"R{seq}" if channel in ("phone", "wechat") else ""
        area_cents = cents(area)
        body = ballot_body(
            vote_id=vote.pk,
            seq=seq,
            key=key,
            channel=channel,
            choice=choice,
            approve=approve_text([]),
            valid=True,
            invalid_reason="",
            area=area_text(area_cents),
            proxy="",
            proxy_id=None,
            paper_serial=text(serial),
            box="",
            reference=text(reference),
            cast_at=timestamp(cast_at),
            receipt_hash=r_hash,
        )
        digest = link_hash(body, prev)
        made.ballots.append(
            (
                *(ballot_id, vote.pk, seq, entry_id, channel, choice, "[]", True, "", area_cents, serial, reference),
                *(cast_at, r_hash, prev, digest, "", False),
            )
        )
        made.heads.append((vote.pk, seq, digest, cast_at))
        data = {"channel": channel, "seq": seq, "valid": True, "late": False, "hash": digest}
        made.events.append((str(ballot_id), json.dumps(data), cast_at))
        prev = digest
    return made


def copy_ballots(vote: Vote, made: Ballots) -> int:
    """Write ``made`` in one transaction (``COPY``), and move the vote's tip to its last link."""
    ballot_type = ContentType.objects.get_for_model(Ballot)
    with transaction.atomic():
        copy_rows(Ballot, BALLOT_COLUMNS, made.ballots)
        copy_rows(PublishedHead, ["vote_id", "seq", "head", "at"], made.heads)
        copy_rows(
            AuditEvent,
            ["action", "content_type_id", "object_id", "place_id", "data", "created_at"],
            (
                (ElectionsEvent.BALLOT_CAST.value, ballot_type.pk, object_id, vote.estate_id, data, at)
                for object_id, data, at in made.events
            ),
        )
        if made.heads:
            with connection.cursor() as cursor:
                cursor.execute(*advance(vote, made.heads[-1][1], made.heads[-1][2]))
    return len(made.ballots)


def hold_vote(estate: Place, *, closes_at: datetime.datetime, rng: random.Random) -> tuple[Vote, int]:
    """A resolution on the estate's public revenue, voted for ten days until ``closes_at`` and tallied."""
    opens_at = closes_at - datetime.timedelta(days=10)
    vote = services.vote_create(
        estate=estate,
        kind=VoteKind.RESOLUTION,
        title=f"关于{opens_at.year}年度公共收益使用方案的表决",
        matter=9,
        opens_at=opens_at,
        closes_at=closes_at,
        actor=SYSTEM,
    )
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=SYSTEM, now=opens_at - datetime.timedelta(days=20))
    services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=SYSTEM, now=opens_at)
    vote = Vote.objects.get(pk=vote.pk)
    entries = list(RollEntry.objects.filter(vote=vote).values_list("pk", "key", "area"))
    rng.shuffle(entries)
    voters = entries[: round(len(entries) * rng.uniform(0.70, 0.90))]
    made = ballot_rows(vote, voters, start=opens_at, end=closes_at, rng=rng)
    cast = copy_ballots(vote, made)
    services.vote_close(vote=vote, actor=SYSTEM, now=closes_at + datetime.timedelta(seconds=1))
    return vote, cast


def vote_in_estates(estate_ids: list[int], *, closes_at: datetime.datetime) -> int:
    """Hold one resolution vote in each estate (closed at ``closes_at``, tallied); return the ballots cast."""
    rng = random.Random(min(estate_ids, default=0))  # each district's own turnouts, the same on every run
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the tally task runs in this process when each close commits
    try:
        return sum(
            hold_vote(estate, closes_at=closes_at, rng=rng)[1] for estate in Place.objects.filter(pk__in=estate_ids)
        )
    finally:
        app.conf.task_always_eager = eager
