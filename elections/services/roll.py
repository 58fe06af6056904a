"""The roll frozen when voting opens: every counted owner, its units and its area."""

from __future__ import annotations

import datetime

from django.utils import timezone

from elections import chain
from elections.chain import roll_digest, roll_entry_row, text, timestamp, units_text
from elections.models import Candidate, RollEntry, RollOwner, RollUnit, Vote
from elections.services.links import append_link
from residents.models import PropertyUnit
from residents.selectors import party_member_person_ids, voting_roll


def _freeze_party_membership(vote: Vote) -> None:
    """Read each candidate's party membership from the register as voting opens; it is fixed from then on."""
    rows = list(Candidate.objects.filter(vote=vote).values_list("pk", "owner__person_id", "is_party_member"))
    members = party_member_person_ids([person for _pk, person, _m in rows if person])
    for pk, person, was in rows:
        now_member = person in members
        if now_member != was:
            Candidate.objects.filter(pk=pk).update(is_party_member=now_member)


def freeze_roll(*, vote: Vote, now: datetime.datetime) -> dict:
    """Store the voting roll as it stands now; every count of this vote reads only this snapshot.

    Called by ``vote_transition`` (under the vote's lock) as voting opens; returns the
    vote's fields it sets, for the transition to save and audit.
    """
    roll = voting_roll(vote.estate, on=timezone.localdate(now))
    entries = RollEntry.objects.bulk_create(
        [RollEntry(vote=vote, key=e.key, area=e.area, is_developer=e.is_developer) for e in roll.entries],
        batch_size=5000,
    )
    if not entries or entries[0].pk is None:  # backends that do not return ids
        ids = dict(RollEntry.objects.filter(vote=vote).values_list("key", "pk"))
        for entry in entries:
            entry.pk = ids[entry.key]
    area_of = dict(PropertyUnit.objects.filter(estate=vote.estate).values_list("pk", "area"))
    RollUnit.objects.bulk_create(
        [
            RollUnit(vote=vote, entry_id=entry.pk, unit_id=u, area=area_of[u])
            for entry, e in zip(entries, roll.entries, strict=True)
            for u in e.unit_ids
        ],
        batch_size=5000,
    )
    RollOwner.objects.bulk_create(
        [
            RollOwner(vote=vote, entry_id=entry.pk, owner_id=o)
            for entry, e in zip(entries, roll.entries, strict=True)
            for o in e.owner_ids
        ],
        batch_size=5000,
    )
    _freeze_party_membership(vote)
    digest = roll_digest(
        roll_entry_row(
            key=e.key,
            area=e.area,
            is_developer=e.is_developer,
            owners=len(e.owner_ids),
            units=units_text((u, area_of[u]) for u in e.unit_ids),
        )
        for e in roll.entries
    )
    append_link(
        vote,
        chain.ROLL,
        {
            "vote_kind": vote.kind,
            "matter": vote.matter,
            "seats": vote.seats,
            "threshold": vote.threshold,
            "frozen_at": timestamp(now),
            "total_area": f"{roll.total_area:.2f}",
            "total_owners": roll.total_owners,
            "entries": digest,
        },
        now,
    )
    for candidate in Candidate.objects.filter(vote=vote).order_by("pk"):
        append_link(vote, chain.CANDIDATE, candidate_link_fields(candidate), now)
    return {"roll_frozen_at": now, "roll_total_area": roll.total_area, "roll_total_owners": roll.total_owners}


def candidate_link_fields(candidate: Candidate) -> dict:
    """A candidate's eligibility decision as the chain records it when voting opens."""
    return {
        "candidate": candidate.pk,
        "owner": candidate.owner_id,
        "eligible": candidate.eligible,
        "reason": text(candidate.review_reason),
        "party_member": candidate.is_party_member,
    }
