"""Voting codes: one per counted owner (roll entry), delivered sealed to that owner, tried a limited number of times.

A code reads ``<vote id>-XXXX-XXXX-XXXX``: the vote's number, then twelve letters from an
alphabet of 24 (no I or O), about 55 bits of chance. Only a keyed hash is stored; the code is
shown once, on a sheet of slips per building to be sealed and delivered, never posted.
Guessing is limited on the shared cache (``core.throttle``): per client, every attempt; per
vote, every failed attempt (so spreading guesses over many clients gains nothing either).
"""

from __future__ import annotations

import datetime
import re
import secrets

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.crypto import keyed_hash
from core.errors import ApplicationError, Conflict
from core.throttle import hit
from elections.events import ElectionsEvent
from elections.models import RollEntry, Vote, VoteStatus, VotingCode
from elections.rights import require_enter_ballots
from governance.audit import audit_record
from governance.rules import rule

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"
GROUPS, GROUP_LENGTH = 3, 4
WINDOW = 3600  # seconds over which attempts are counted
CODE_FORM = re.compile(rf"^(\d+)([A-Z]{{{GROUPS * GROUP_LENGTH}}})$")


class TooManyAttempts(ApplicationError):
    """Too many voting-code attempts from this client, or against this vote, in the last hour (HTTP 429)."""

    status = 429
    code = "too_many_attempts"


def new_code(vote: Vote) -> str:
    letters = "".join(secrets.choice(ALPHABET) for _i in range(GROUPS * GROUP_LENGTH))
    groups = [letters[i : i + GROUP_LENGTH] for i in range(0, len(letters), GROUP_LENGTH)]
    return "-".join([str(vote.pk), *groups])


def normalized(code: str) -> str:
    """The code as typed, without spaces or dashes, upper-case: the form that is hashed."""
    return re.sub(r"[\s\-－—]+", "", code or "").upper()


def code_vote_id(code: str) -> int | None:
    """The vote a code belongs to (its leading number), or None if it is not a code at all."""
    match = CODE_FORM.match(normalized(code))
    return int(match.group(1)) if match else None


def code_entry(*, code: str, client: str | None, vote: Vote | None = None) -> VotingCode:
    """Find the voting code typed by ``client``, counting the attempt; refuse a wrong or throttled one.

    ``vote``, when given, must be the code's vote. Raises ``TooManyAttempts`` (429) past the
    limits, ``Conflict`` ``code_invalid`` (409) for a wrong code. ``client`` None is the
    platform itself (the demo loader), whose attempts are not counted.
    """

    def find(vote_id: int, code_hash: str) -> VotingCode | None:
        # The caller's vote is the code's: only a code typed without one needs its vote read with it.
        related = ("entry",) if vote is not None else ("vote", "entry")
        row = VotingCode.objects.filter(vote_id=vote_id, code_hash=code_hash).select_related(*related).first()
        if row is not None and vote is not None:
            row.vote = vote
        return row

    return _counted(code, client, vote, find)


def code_use(*, code: str, client: str | None, vote: Vote, now: datetime.datetime) -> VotingCode:
    """Find ``vote``'s voting code typed by ``client`` and mark it used at ``now``; count and refuse as
    ``code_entry`` does. Returns the code with its entry.

    Marking the code locks its row until the ballot's transaction ends, before the vote's lock
    (nothing else writes a code's row): one lock order, and a second ballot with the same code
    waits here until the first commits, then finds it cast. On PostgreSQL one statement marks
    the code and returns it with its entry (the two statements of the ORM cost an online ballot
    more CPU than they take on the database); a wrong code matches no row and writes nothing.
    """

    def find(vote_id: int, code_hash: str) -> VotingCode | None:
        if connection.vendor == "postgresql":
            row = _mark_used(vote_id, code_hash, now)
        else:
            row = _mark_used_orm(vote_id, code_hash, now)
        if row is not None:
            row.vote = vote
        return row

    return _counted(code, client, vote, find)


def _counted(code: str, client: str | None, vote: Vote | None, find) -> VotingCode:
    """``find(vote id, code hash)``'s code, the attempt counted; refuse a wrong or throttled one."""
    vote_id = code_vote_id(code)
    counted = client is not None
    if counted and not hit(f"voting-code:client:{client}", rule("VOTING_CODE_CLIENT_ATTEMPTS"), WINDOW):
        raise TooManyAttempts(_("投票码尝试次数过多，请一小时后再试，或到现场投票。"))
    row = None
    if vote_id is not None and (vote is None or vote.pk == vote_id):
        row = find(vote_id, keyed_hash(normalized(code)))
    if row is None:
        failed_vote = vote.pk if vote is not None else vote_id
        if (
            counted
            and failed_vote is not None
            and not hit(f"voting-code:vote:{failed_vote}", rule("VOTING_CODE_VOTE_FAILURES"), WINDOW)
        ):
            raise TooManyAttempts(_("本次投票的投票码错误尝试过多，已暂停一小时，请到现场投票。"))
        raise Conflict(_("投票码不正确，请核对密封送达您的投票码。"), code="code_invalid")
    return row


ENTRY_FIELDS = list(RollEntry._meta.concrete_fields)  # the entry's columns, in the order ``MARK_USED_SQL`` returns
# Mark the code used; return its id, entry and issue time, then its entry's columns.
MARK_USED_SQL = """WITH used AS (
    UPDATE "elections_votingcode" SET "used_at" = %s WHERE "vote_id" = %s AND "code_hash" = %s
    RETURNING "id", "entry_id", "issued_at"
)
SELECT used."id", used."entry_id", used."issued_at", {entry_columns}
FROM used JOIN "elections_rollentry" e ON e."id" = used."entry_id"
""".format(entry_columns=", ".join(f'e."{f.column}"' for f in ENTRY_FIELDS))


def _mark_used(vote_id: int, code_hash: str, now: datetime.datetime) -> VotingCode | None:
    """Mark the code with ``code_hash`` of vote ``vote_id`` used at ``now``, in one statement (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(MARK_USED_SQL, [now, vote_id, code_hash])
        found = cursor.fetchone()
    if found is None:
        return None
    code_id, entry_id, issued_at, *entry = found
    row = VotingCode.from_db(
        connection.alias,
        ["id", "vote_id", "entry_id", "code_hash", "issued_at", "used_at"],
        [code_id, vote_id, entry_id, code_hash, issued_at, now],
    )
    row.entry = RollEntry.from_db(connection.alias, [f.attname for f in ENTRY_FIELDS], entry)
    return row


def _mark_used_orm(vote_id: int, code_hash: str, now: datetime.datetime) -> VotingCode | None:
    """``_mark_used`` through the ORM (other databases; the tests compare the two on PostgreSQL)."""
    row = VotingCode.objects.filter(vote_id=vote_id, code_hash=code_hash).select_related("entry").first()
    if row is not None:
        VotingCode.objects.filter(pk=row.pk).update(used_at=now)
        row.used_at = now
    return row


@transaction.atomic
def voting_codes_issue(*, vote: Vote, actor) -> list[tuple[int, str]]:
    """Issue a voting code for every counted owner of the roll that has none yet; return (entry id, code) once."""
    require_enter_ballots(actor, vote.estate, message=_("投票码由工作人员（录入员或组织投票的人员）发放。"))
    if vote.status != VoteStatus.VOTING:
        raise Conflict(_("投票码在投票开始、名册冻结后按业主（计票单位）发放。"), code="wrong_status")
    have = VotingCode.objects.filter(vote=vote).values("entry_id")
    entries = list(RollEntry.objects.filter(vote=vote).exclude(pk__in=have).order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    issued = [(entry_id, new_code(vote)) for entry_id in entries]
    VotingCode.objects.bulk_create(
        VotingCode(vote=vote, entry_id=entry_id, code_hash=keyed_hash(normalized(code)), issued_at=now)
        for entry_id, code in issued
    )
    audit_record(
        actor=actor, action=ElectionsEvent.VOTING_CODE_ISSUE, obj=vote, place=vote.estate, data={"count": len(issued)}
    )
    return issued
