"""The tally of a closed vote, its recount, the beat job that closes due votes, and the auditor's export."""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import next_id_sql
from core.hashing import digest
from core.inserts import insert_together
from core.queueing import enqueue_on_commit
from elections import selectors
from elections.events import ElectionsEvent
from elections.models import BallotBox, TallyState, Vote, VoteResult, VoteStatus, VoteStep
from elections.services.boxes import boxes_pending
from elections.services.links import chain_tip
from elections.services.roll import settle_at_close
from elections.services.votes import vote_close
from elections.signals import vote_decided
from governance.audit import apply_changes, audit_event, audit_record
from governance.rules import rule
from governance.scoping import SYSTEM, Action, require, require_unrestricted
from residents.selectors import DEVELOPER_KEY

# The stored result's id, read with the vote's lock (PostgreSQL), and the vote's state once it is stored.
NEXT_RESULT_ID = next_id_sql(VoteResult)
NO_JIT = "set_config('jit', 'off', true)"
TALLY_DONE_SQL = 'UPDATE "elections_vote" SET "tally_state" = %s WHERE "id" = %s'
# On PostgreSQL the claim and the lock's read are fixed statements: the ORM took longer to build them (1 and
# 3 ms of Python, at every close) than the database to run them (0.1 ms each; issue 13). Elsewhere the ORM's
# forms below, the same rows. The claim: still pending, closed, and no sealed box's ballots being entered.
CLAIM_SQL = """
UPDATE "elections_vote" SET "tally_state" = %(running)s, "tally_since" = %(now)s
WHERE "id" = %(vote)s AND "status" = %(counting)s AND "tally_state" = %(pending)s
    AND NOT EXISTS (SELECT 1 FROM "elections_ballotbox" b
        WHERE b."vote_id" = "elections_vote"."id" AND b."entry_done_at" IS NULL)
"""
# The vote's row, locked, with its last round, the result's id, no JIT for the rest of the transaction, and
# whether the developer's entry has a live ballot (its units then never move: ``settle_at_close`` reads less).
LOCKED_READ_SQL = f"""
SELECT v.*,
    (SELECT r."round" FROM "elections_voteresult" r WHERE r."vote_id" = v."id" ORDER BY r."round" DESC LIMIT 1)
        AS last_round,
    {NEXT_RESULT_ID} AS result_id, {NO_JIT} AS no_jit,
    EXISTS (SELECT 1 FROM "elections_rollentry" e JOIN "elections_ballot" b ON b."entry_id" = e."id"
        WHERE e."vote_id" = v."id" AND e."key" = %s AND e."is_developer" AND b."vote_id" = v."id" AND NOT b."voided")
        AS developer_voted
FROM "elections_vote" v WHERE v."id" = %s FOR UPDATE OF v
"""


def _claim(vote_id: int) -> bool:
    """Claim the vote's tally (``running``), committed in its own statement; False if there is no work."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        params = {
            "running": TallyState.RUNNING,
            "now": now,
            "vote": vote_id,
            "counting": VoteStatus.COUNTING,
            "pending": TallyState.PENDING,
        }
        with connection.cursor() as cursor:
            cursor.execute(CLAIM_SQL, params)
            return cursor.rowcount == 1
    return _claim_orm(vote_id, now)


def _claim_orm(vote_id: int, now: datetime.datetime) -> bool:
    """``_claim`` through the ORM (other databases; the tests compare the two on PostgreSQL)."""
    boxes_open = BallotBox.objects.filter(vote_id=OuterRef("pk"), entry_done_at__isnull=True)
    return bool(
        Vote.objects.filter(pk=vote_id, status=VoteStatus.COUNTING, tally_state=TallyState.PENDING)
        .filter(~Exists(boxes_open))
        .update(tally_state=TallyState.RUNNING, tally_since=now)
    )


def _locked(vote_id: int) -> Vote:
    """The claimed vote, its row locked until the result is stored, with ``last_round`` (and ``result_id``).

    Only the vote's row is read: the audit rows need only its estate's id.
    """
    if connection.vendor == "postgresql":
        # The result's id, so that it, the vote's state and the audit row go in one statement; and no JIT
        # compiling for the rest of this transaction (``set_config(..., true)`` is local to it): the close's
        # read is planned with the cost of a developer's units estimated from the roll units of every vote
        # ever frozen (a table autovacuum may not have analyzed), which crossed ``jit_above_cost`` as the
        # table grew — 40-80 ms of compiling for a statement that runs in under 1 ms, growing with the
        # database, not the vote (issue 13).
        return Vote.objects.raw(LOCKED_READ_SQL, [DEVELOPER_KEY, vote_id])[0]
    return _locked_orm(vote_id)


def _locked_orm(vote_id: int) -> Vote:
    """``_locked`` through the ORM, without the result's id (other databases; compared in the tests)."""
    last_round = VoteResult.objects.filter(vote=OuterRef("pk")).order_by("-round").values("round")[:1]
    return Vote.objects.select_for_update(of=("self",)).annotate(last_round=Subquery(last_round)).get(pk=vote_id)


def result_hash(data: dict) -> str:
    """The hash of a result's data in the one canonical serialisation (``core.hashing``)."""
    return digest(data)


def vote_tally(*, vote_id: int) -> VoteResult | None:
    """Count a closed vote once and store its immutable result; a second run finds no work and returns None.

    A failed quorum leaves the vote in counting when one extension is still possible;
    otherwise the vote fails. Only the platform counts (a task, or a command for it). While a
    sealed box's ballots are being entered, there is no work yet.
    """
    # Paper ballots from a sealed box still being entered: no work yet (finishing the last box
    # enqueues the tally). Checked in the claim's own statement, one round trip.
    if not _claim(vote_id):
        return None
    try:
        with transaction.atomic():
            # The lock is held until the result is stored: tallies_recover skips a vote whose row a
            # live tally holds, so a slow tally is never sent twice. Only the vote's row is locked;
            # its last round comes along, for the result.
            vote = _locked(vote_id)
            splits = settle_at_close(vote=vote, now=timezone.now())
            # No split since the freeze (the locked row's count) and none at close: the tally need not read them.
            data = selectors.tally(vote, splits=[] if not (splits or vote.split_count) else None)
            # The locked read holds the chain's tip, unless the close's splits have moved it since.
            head = chain_tip(vote)[1] if splits else vote.chain_head
            round_no = (vote.last_round or 0) + 1
            result = VoteResult(
                id=getattr(vote, "result_id", None),
                vote=vote,
                round=round_no,
                data=data,
                hash=result_hash(data),
                chain_head=head,
                computed_at=timezone.now(),
            )
            written = [result]
            if result.pk is None:  # no sequence read with the lock (SQLite): the result first, for its id
                result.save(force_insert=True)
                written = []
            vote.tally_state = TallyState.DONE
            event = audit_event(
                actor=SYSTEM, action=ElectionsEvent.VOTE_TALLY, obj=vote, data={"round": round_no, "hash": result.hash}
            )
            event.place_id = vote.estate_id  # the estate's id is all the row needs: the estate is not read
            # The result, its audit row and the vote's state: one statement on PostgreSQL (one round trip
            # under the lock), the same rows as saving each.
            insert_together([*written, event], then=(TALLY_DONE_SQL, [TallyState.DONE, vote.pk]))
            transaction.on_commit(lambda: vote_decided.send(sender=Vote, vote=vote, result=result))
            if not data["quorum"]["met"] and (not vote.extension_allowed or vote.extended):
                now = timezone.now()
                changes = apply_changes(vote, {"status": VoteStatus.FAILED})
                vote.save(update_fields=list(changes))
                audit_record(
                    actor=SYSTEM,
                    action=ElectionsEvent.VOTE_TRANSITION,
                    obj=vote,
                    place=vote.estate,
                    summary=f"{VoteStatus.COUNTING} → {VoteStatus.FAILED}",
                    data={"reason": "quorum not met"},
                    changes=changes,
                )
                VoteStep.objects.create(
                    vote=vote,
                    from_status=VoteStatus.COUNTING,
                    to_status=VoteStatus.FAILED,
                    actor=None,
                    at=now,
                    reason=_("未达法定人数"),
                )
            return result
    except Exception:
        Vote.objects.filter(pk=vote_id, tally_state=TallyState.RUNNING).update(tally_state=TallyState.PENDING)
        raise


def tallies_recover(*, actor, now: datetime.datetime | None = None) -> list[int]:
    """Send again every tally left pending or running too long (``TALLY_STALL_MINUTES``); return the votes.

    A tally is claimed (``running``) in its own statement, then counted in one transaction. A
    worker killed in between leaves the claim and nothing else (its transaction rolled back):
    the vote goes back to ``pending``, unless a live tally still holds its row (``SKIP LOCKED``),
    and the tally is sent again. A tally ``pending`` that long lost its message (the broker was
    down when the vote closed): it is sent again. The count is a pure function of the frozen
    roll and the ballots, so the retried tally gives the same result. Idempotent: a recovered
    vote's clock restarts, and a vote counted meanwhile is left alone. The beat job runs this
    as ``SYSTEM`` every five minutes; each recovery is audited.
    """
    # elections.tasks imports this package: importing it at the top would be circular.
    from elections.tasks import vote_tally_task

    # Every estate's votes at once: the platform (or a superuser) only.
    require_unrestricted(actor, _("只有平台或超级管理员能恢复中断的计票。"))
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=rule("TALLY_STALL_MINUTES"))
    stale = (Q(tally_since__lt=cutoff) | Q(tally_since__isnull=True)) & Q(status=VoteStatus.COUNTING)
    stalled = Q(tally_state=TallyState.RUNNING) | Q(tally_state=TallyState.PENDING)
    recovered = []
    for vote_id in Vote.objects.filter(stale & stalled).order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            vote = Vote.objects.select_for_update(skip_locked=True).filter(stale & stalled, pk=vote_id).first()
            if vote is None or (vote.tally_state == TallyState.PENDING and boxes_pending(vote)):
                continue  # counted meanwhile, a live tally holds it, or its boxes are still being entered
            previous = vote.tally_state
            changes = apply_changes(vote, {"tally_state": TallyState.PENDING, "tally_since": now})
            vote.save(update_fields=list(changes))
            audit_record(
                actor=actor,
                action=ElectionsEvent.VOTE_TALLY_RECOVER,
                obj=vote,
                place=vote.estate,
                summary=f"{previous} → {TallyState.PENDING}",
                data={"was": previous},
                changes=changes,
            )
            enqueue_on_commit(vote_tally_task, vote.pk)
            recovered.append(vote.pk)
    return recovered


def vote_recount(*, vote: Vote) -> tuple[dict, bool]:
    """Count again from the same snapshot and ballots; return the data and whether it equals the stored result."""
    result = vote.latest_result
    data = selectors.tally(vote)
    return data, result is not None and result_hash(data) == result.hash


def close_due_votes(*, now: datetime.datetime | None = None) -> list[int]:
    """Close every vote whose voting time has ended (beat calls this every minute)."""
    now = now or timezone.now()
    closed = []
    for vote in Vote.objects.filter(status=VoteStatus.VOTING, closes_at__lte=now):
        vote_close(vote=vote, actor=SYSTEM, now=now)
        closed.append(vote.pk)
    return closed


def vote_export(*, vote: Vote, actor) -> str:
    """Return the auditor's CSV export of a vote (roll, candidates, ballots), and record who took it."""
    require(actor, Action.AUDIT, vote.estate)
    text = selectors.export_csv(vote)
    audit_record(actor=actor, action=ElectionsEvent.VOTE_EXPORT, obj=vote, place=vote.estate)
    return text
