"""Ballots through every channel, voids, paper serials and voting codes."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import next_id_sql
from core.errors import ApplicationError, Conflict, NotPermitted
from core.hashing import chain_digest_parts
from core.inserts import insert_select, insert_together
from elections import chain
from elections.chain import approve_text, area_text, ballot_body, link_hash, receipt_hash, text, timestamp
from elections.events import ElectionsEvent
from elections.law import cents
from elections.models import (
    CHAIN_TIP_FIELDS,
    PAPER_CHANNELS,
    STAFF_CHANNELS,
    Ballot,
    BallotApproval,
    BallotBox,
    BallotVoid,
    Candidate,
    Channel,
    Choice,
    InvalidReason,
    PaperSerial,
    Proxy,
    PublishedHead,
    RefusedBallot,
    RollEntry,
    RollOwner,
    RollSplit,
    RollUnit,
    TallyState,
    Vote,
    VoteStatus,
)
from elections.rights import require_enter_ballots
from elections.selectors import unit_labels
from elections.services.codes import TooManyAttempts, code_use
from elections.services.common import BallotRefused, lock
from elections.services.links import advance, append_link, chain_tip, link_hash_sql
from elections.services.proxies import accepted_proxy, is_accepted_proxy_in
from elections.services.roll import held_units, owner_entry, roll_units_of_owner, settle_transfers, unit_entry
from governance.audit import apply_changes, audit_event, audit_record
from governance.models import AuditEvent
from governance.scoping import SYSTEM, Action, acting_user, can, require
from residents.models import Owner, OwnerKind, Ownership


def _resolve_entry(
    vote: Vote, *, owner_id, unit_id, code_holder: RollEntry | None, day, now
) -> tuple[RollEntry, int | None, dict]:
    """Find the counted owner a ballot is for (by voting code, unit, or owner) and the units it holds now.

    Transfers since the roll froze are recorded first (``roll.settle_transfers``): a buyer's
    ballot covers the units they acquired, the seller's the units still held.
    """
    if code_holder is not None:
        entry = code_holder
    elif unit_id is not None:
        settle_transfers(vote=vote, unit_ids=[unit_id], day=day, now=now)
        entry = unit_entry(vote, unit_id)
        if entry is None:
            raise BallotRefused(_("该房屋不在本次投票的业主名册上。"), code="not_on_roll")
    elif owner_id is None:
        raise ApplicationError(_("请指明业主或房屋。"), code="owner_or_unit_required")
    else:
        acquired = roll_units_of_owner(vote, owner_id, day)
        settle_transfers(vote=vote, unit_ids=acquired, day=day, now=now)
        entry = owner_entry(vote, owner_id)
        if entry is None and acquired:
            raise BallotRefused(
                _("该房屋的原业主已在房屋转让前投票，其选票有效，新业主不能再为该房屋投票。"),
                code="previous_owner_voted",
            )
        if entry is None:
            raise BallotRefused(_("该业主不在本次投票的业主名册上。"), code="not_on_roll")
    # Units the entry's owners sold since the roll froze leave it before its ballot is cast.
    settle_transfers(vote=vote, unit_ids=list(held_units(vote, entry)), day=day, now=now)
    held = held_units(vote, entry)
    if not held:
        raise BallotRefused(_("该业主已不再持有本次投票名册上的房屋（房屋已转让）。"), code="not_on_roll")
    return entry, owner_id, held


# What ``_entry_if_settled`` reads, on PostgreSQL as one fixed statement: every online ballot runs it, and
# building the same query with the ORM (three ``Exists`` subqueries) cost more CPU than the query itself.
SETTLED_SQL = """
SELECT u.unit_id, u.area,
    EXISTS (SELECT 1 FROM elections_rollsplit s WHERE s.vote_id = %s AND (s.source_id = %s OR s.target_id = %s)),
    EXISTS (SELECT 1 FROM residents_ownership o WHERE o.unit_id = u.unit_id AND (o.start >= %s OR o."end" >= %s)),
    EXISTS (SELECT 1 FROM elections_ballot b WHERE b.vote_id = %s AND b.entry_id = %s AND NOT b.voided)
FROM elections_rollunit u WHERE u.vote_id = %s AND u.entry_id = %s
"""


def _settled_rows(vote: Vote, entry: RollEntry, frozen_day) -> list[tuple]:
    """The entry's units and areas, each with: a split touched the entry; the unit changed hands since
    ``frozen_day``; the entry has a live ballot."""
    if connection.vendor == "postgresql":
        v, e = vote.pk, entry.pk
        with connection.cursor() as cursor:
            cursor.execute(SETTLED_SQL, [v, e, e, frozen_day, frozen_day, v, e, v, e])
            return cursor.fetchall()
    return _settled_rows_orm(vote, entry, frozen_day)


def _settled_rows_orm(vote: Vote, entry: RollEntry, frozen_day) -> list[tuple]:
    """``_settled_rows`` through the ORM (other databases; the tests compare the two on PostgreSQL)."""
    changed = Ownership.objects.filter(unit_id=OuterRef("unit_id")).filter(
        Q(start__gte=frozen_day) | Q(end__gte=frozen_day)
    )
    return list(
        RollUnit.objects.filter(vote=vote, entry=entry)
        .annotate(
            split=Exists(RollSplit.objects.filter(vote=vote).filter(Q(source=entry) | Q(target=entry))),
            changed=Exists(changed),
            voted=Exists(Ballot.objects.filter(vote=vote, entry=entry, voided=False)),
        )
        .values_list("unit_id", "area", "split", "changed", "voted")
    )


def _entry_if_settled(
    vote: Vote, *, owner_id, unit_id, code_holder: RollEntry | None, day
) -> tuple[RollEntry, dict, bool] | None:
    """Find the ballot's counted owner, its units and whether it has voted, without the vote's lock, when no
    transfer can move them.

    The common case: the entry is on the frozen roll, took part in no split, and none of its units
    (nor the owner's, for a ballot by owner) has an ownership that started or ended since the day
    the roll froze. ``settle_transfers`` would then record nothing, and the units are the frozen
    ones. Any doubt returns None, and the ballot takes the path under the lock (``_resolve_entry``).
    The entry's units, the split, the ownership changes and a live ballot are read in one query.
    """
    if code_holder is not None:
        entry = code_holder
    elif unit_id is not None:
        entry = unit_entry(vote, unit_id)
    elif owner_id is not None:
        entry = owner_entry(vote, owner_id)
    else:
        return None
    if entry is None or entry.is_developer or not entry.frozen:
        return None
    rows = _settled_rows(vote, entry, timezone.localdate(vote.roll_frozen_at))
    if not rows or rows[0][2] or any(row[3] for row in rows):
        return None
    held = {unit: area for unit, area, *_flags in rows}
    if unit_id is not None and code_holder is None and unit_id not in held:
        return None
    by_owner = owner_id is not None and code_holder is None and unit_id is None
    # Units the owner acquired since the freeze belong to no frozen entry of theirs: settle under the lock.
    if by_owner and not set(roll_units_of_owner(vote, owner_id, day)) <= set(held):
        return None
    return entry, held, rows[0][4]


# The next ballot id, read with the vote's lock so that the ballot, its published head and its
# audit row can be written in one statement (``_append``); PostgreSQL only.
NEXT_BALLOT_ID = next_id_sql(Ballot)


# The columns of the vote, and of its estate (rights, refusals, the audit row), that casting a ballot reads: a
# caller reading the vote for ``ballot_cast(vote_read_now=True)`` may read only these (the API does; issue 13).
BALLOT_VOTE_FIELDS = (
    "kind",
    "seats",
    "status",
    "opens_at",
    "closes_at",
    "roll_frozen_at",
    "tally_state",
    "split_count",
    "estate__name",
    "estate__tree_id",
    "estate__lft",
    "estate__rght",
)


def _lock_for_cast(vote: Vote, channel: str, now) -> Vote:
    """Lock the vote's row (its ballots are appended one at a time), check its window again, and return the
    locked row: ``late``, the chain's tip, the splits so far and (PostgreSQL) the ballot's id, in one query."""
    rows = Vote.objects.select_for_update().filter(pk=vote.pk)
    if connection.vendor == "postgresql":
        rows = rows.annotate(ballot_id=RawSQL(NEXT_BALLOT_ID, ()))
    locked = rows.only("status", "opens_at", "closes_at", "tally_state", *CHAIN_TIP_FIELDS).get()
    locked.late = _check_window(locked, channel, now)
    return locked


def _units_named(vote: Vote, entry: RollEntry) -> str:
    """The units a roll entry holds, as notices write them (``1栋-1单元-101``): a refusal names no internal key."""
    return "、".join(unit_labels(vote, [entry.pk]).get(entry.pk, [])) or _("该房屋")


def _check_proxy(vote: Vote, entry: RollEntry, channel: str, actor, *, voting_code, proxy_id, name) -> Proxy | None:
    """Return the accepted proxy casting this ballot, None for the owner's own, or refuse.

    Online: the owner logged in casts their own entry; anyone else only as the accepted proxy
    of one of its owners (403 otherwise). Staff entry naming a proxy needs that proxy
    registered and accepted (409 ``proxy_not_registered``); so does any ballot of an entry
    held only by organizations, such as the developer, which vote through a representative.
    A voting code stands for the owner it was delivered to.
    """
    if voting_code:
        return None
    owner_ids = list(RollOwner.objects.filter(vote=vote, entry=entry).values_list("owner_id", flat=True))
    wants_proxy = proxy_id is not None or bool(name.strip())
    if channel == Channel.ONLINE:
        own = Owner.objects.filter(person__user=actor, pk__in=owner_ids).exists()
        if own and not wants_proxy:
            return None
        proxy = accepted_proxy(vote, owner_ids, user=actor, proxy_id=proxy_id)
        if proxy is None:
            raise NotPermitted(
                _("您只能为自己投票；代他人投票须先登记书面委托，并经投票工作人员接受。"), code="proxy_not_registered"
            )
        return proxy
    if wants_proxy:
        proxy = accepted_proxy(vote, owner_ids, name=name, proxy_id=proxy_id)
        if proxy is None:
            raise Conflict(
                _("受托人“%(name)s”没有登记并经接受的该业主的书面委托，不能代为投票。") % {"name": name.strip()},
                code="proxy_not_registered",
            )
        return proxy
    if not Owner.objects.filter(pk__in=owner_ids).exclude(kind=OwnerKind.ORGANIZATION).exists():
        raise Conflict(
            _("单位业主（含建设单位）须由登记并经接受的受托人代为投票。"),
            code="proxy_not_registered",
        )
    return None


def _check_channel(vote: Vote, channel: str, actor, *, voting_code, reference, paper_serial) -> None:
    if channel not in Channel.values:
        raise ApplicationError(_("投票渠道须为：%(c)s。") % {"c": "、".join(Channel.values)}, code="channel_invalid")
    if channel == Channel.ONLINE:
        if voting_code:
            return
        if actor is None or not (can(actor, Action.VOTE, vote.estate) or is_accepted_proxy_in(vote, actor)):
            raise NotPermitted(_("网上投票须由业主本人或经接受的受托人登录，或使用投票码。"))
        return
    require_enter_ballots(actor, vote.estate)
    if channel in PAPER_CHANNELS and not paper_serial.strip():
        raise ApplicationError(_("纸质选票须先录入选票编号。"), code="serial_required")
    if channel in STAFF_CHANNELS and not reference.strip():
        raise ApplicationError(_("电话和微信投票须记录通话或消息的凭证号。"), code="reference_required")


def _check_content(vote: Vote, channel: str, approve, choice, spoiled: bool, write_in: bool):
    """Return (approved candidate ids, choice, valid, why invalid).

    DOMAIN.md §4: an invalid ballot takes part and approves nothing. A paper ballot returned
    blank or spoiled (``spoiled``), an election ballot naming someone who is not a candidate
    (an unknown id, or a name written in: ``write_in``), or one approving more than the seats,
    is stored invalid; malformed input (a choice on an election ballot, a candidate twice) is
    refused as before.
    """
    if spoiled:
        if channel not in PAPER_CHANNELS:
            raise ApplicationError(_("只有纸质选票可以登记为空白票或废票。"), code="spoiled_paper_only")
        if approve or choice or write_in:
            raise ApplicationError(_("空白票或废票不能同时记录所选内容。"), code="spoiled_with_marks")
        return [], "", False, InvalidReason.SPOILED
    if vote.is_election:
        if choice:
            raise ApplicationError(_("选举选票只能勾选候选人。"), code="choice_not_allowed")
        ids = [int(i) for i in (approve or [])]
        if len(set(ids)) != len(ids):
            raise ApplicationError(_("同一候选人不能重复勾选。"), code="duplicate_approval")
        eligible = set(Candidate.objects.filter(vote=vote, eligible=True, pk__in=ids).values_list("pk", flat=True))
        if write_in or any(i not in eligible for i in ids):
            return sorted(ids), "", False, InvalidReason.NOT_CANDIDATE
        if len(ids) > (vote.seats or 0):
            return sorted(ids), "", False, InvalidReason.OVER_SEATS
        return sorted(ids), "", True, ""
    if approve or write_in:
        raise ApplicationError(_("表决选票只能选择同意、反对或弃权。"), code="approve_not_allowed")
    if choice not in Choice.values:
        raise ApplicationError(_("请选择同意、反对或弃权；空白票或废票请登记为废票。"), code="choice_required")
    return [], choice, True, ""


def _check_paper(vote: Vote, channel: str, serial: str, box_label: str, late: bool) -> tuple[str, BallotBox | None]:
    """Check a paper ballot's serial (issued, not void, not entered) and its box; return both.

    After voting closed (``late``), the ballot must come from a box sealed before closing whose
    entry is not finished, and carry a serial issued before closing.
    """
    if channel not in PAPER_CHANNELS:
        if box_label.strip():
            raise ApplicationError(_("只有纸质选票来自票箱。"), code="box_not_paper")
        return "", None
    serial = serial.strip()
    paper = PaperSerial.objects.filter(vote=vote, serial=serial).first()
    if paper is None:
        raise BallotRefused(_("选票编号 %(s)s 未登记发放。") % {"s": serial}, code="serial_unknown")
    if paper.voided_at is not None:
        raise BallotRefused(_("选票编号 %(s)s 已作废。") % {"s": serial}, code="serial_void")
    if Ballot.objects.filter(vote=vote, paper_serial=serial, voided=False).exists():
        raise BallotRefused(_("选票编号 %(s)s 已录入过。") % {"s": serial}, code="serial_used")
    box = None
    if box_label.strip():
        box = BallotBox.objects.filter(vote=vote, label=box_label.strip()).first()
        if box is None:
            raise BallotRefused(_("票箱“%(b)s”没有封箱记录。") % {"b": box_label.strip()}, code="box_unknown")
        if box.entry_done_at is not None:
            raise BallotRefused(_("票箱“%(b)s”已录入完毕。") % {"b": box.label}, code="box_finished")
    if late:
        if box is None:
            raise BallotRefused(_("投票截止后录入的纸质选票须注明其封存的票箱。"), code="box_required")
        if box.sealed_at >= vote.closes_at:
            raise BallotRefused(
                _("票箱“%(b)s”在投票截止后才封箱，其中的选票不能计入。") % {"b": box.label}, code="box_sealed_late"
            )
        if paper.issued_at >= vote.closes_at:
            raise BallotRefused(_("选票编号 %(s)s 在投票截止后才发放，不能计入。") % {"s": serial}, code="serial_late")
    return serial, box


def _check_window(vote: Vote, channel: str, now) -> bool:
    """Refuse a ballot outside voting; return whether it is a paper ballot entered after closing."""
    if vote.status == VoteStatus.VOTING and vote.opens_at <= now < vote.closes_at:
        return False
    if (
        channel in PAPER_CHANNELS
        and vote.status == VoteStatus.COUNTING
        and vote.tally_state == TallyState.PENDING
        and now >= vote.closes_at
    ):
        # Cast in time, in a box sealed before closing: entered until the tally runs (item 5).
        return True
    raise BallotRefused(
        _("不在投票时间内（%(opens)s 至 %(closes)s），选票不予接受。")
        % {"opens": timezone.localtime(vote.opens_at), "closes": timezone.localtime(vote.closes_at)},
        code="outside_window",
    )


def _split_touches(vote: Vote, entry: RollEntry) -> bool:
    """Whether a split moved units off or onto ``entry`` (its units are then no longer the frozen ones)."""
    return RollSplit.objects.filter(vote=vote).filter(Q(source=entry) | Q(target=entry)).exists()


def _check_ballot(vote: Vote, resolved: tuple, *, channel, actor, ballot: dict, late: bool, voted=None) -> dict:
    """Every check of the ballot once its counted owner is known: proxy, content, paper, a second ballot.

    ``resolved`` is (entry, owner id, units held); ``voted``, whether the entry has a live ballot
    when the caller read it already. Returns what the chain link and the row need.
    """
    entry, owner_id, held = resolved
    proxy = _check_proxy(
        vote,
        entry,
        channel,
        actor,
        voting_code=ballot["voting_code"],
        proxy_id=ballot["proxy_id"],
        name=ballot["proxy_name"],
    )
    approved, choice, valid, invalid_reason = _check_content(
        vote, channel, ballot["approve"], ballot["choice"], ballot["spoiled"], ballot["write_in"]
    )
    serial, box_row = _check_paper(vote, channel, ballot["paper_serial"], ballot["box"], late)
    if voted is None:
        voted = Ballot.objects.filter(vote=vote, entry=entry, voided=False).exists()
    if voted:
        raise BallotRefused(
            _("%(units)s 的业主已经投过票，每位业主只能投一票。") % {"units": _units_named(vote, entry)},
            code="duplicate",
        )
    return {
        "entry": entry,
        "owner_id": owner_id,
        "area_cents": sum(cents(area) for area in held.values()),
        "proxy": proxy,
        "approved": approved,
        "choice": choice,
        "valid": valid,
        "invalid_reason": invalid_reason,
        "serial": serial,
        "box": box_row,
    }


def _cast(*, vote, channel, actor, owner_id, unit_id, ballot: dict, client, now, context, vote_read_now) -> Ballot:
    """Check and append one ballot; ``ballot`` holds what was entered (see ``ballot_cast``).

    Everything that decides whether and how the ballot is cast is read before the vote's row is
    locked; the lock, which gives the vote's hash chain its one order, is held only to append the
    link: the chain's tip, the ballot, its published head and the audit row (issue 13: it was held
    through some twenty queries per ballot). What can change meanwhile is checked again under the
    lock: the vote's state and window, a split moving units off or onto the entry (another
    ballot's settled transfer), and a paper ballot's serial and box (entered or finished
    meanwhile); the unique constraint on (vote, entry) stays the last word on a second ballot. A
    ballot whose units may have changed hands since the roll froze takes the lock first, as
    before: settling the transfers appends links of its own.
    """
    # Read afresh whatever copy the caller holds: every refusal before the lock is decided on the vote's
    # state now (a copy from before the tally ran would refuse a late paper ballot for its box, not its window).
    # A copy the caller read for this ballot (``vote_read_now``) is as fresh as that read: both come before
    # the lock, under which everything that can change meanwhile is checked again (state, window, tally,
    # splits, a paper ballot's serial and box) whichever copy was checked before it.
    if not vote_read_now:
        vote = Vote.objects.select_related("estate").get(pk=vote.pk)
    voting_code = ballot["voting_code"]
    late = _check_window(vote, channel, now)
    # Ownership as it stood when the ballot was cast: at the latest when voting closed.
    day = timezone.localdate(min(now, vote.closes_at - datetime.timedelta(microseconds=1)))
    _check_channel(
        vote,
        channel,
        actor,
        voting_code=voting_code,
        reference=ballot["reference"],
        paper_serial=ballot["paper_serial"],
    )
    if channel == Channel.ONLINE and not voting_code and owner_id is None and unit_id is None:
        owner_id = Owner.objects.filter(person__user=actor).values_list("pk", flat=True).first()
        if owner_id is None:
            raise NotPermitted(_("您的账号未关联业主身份，请使用投票码或到现场投票。"))
    code_holder = None
    if voting_code:
        # Marked used before the vote's lock, everywhere: ``code_use`` says why.
        code_holder = code_use(code=voting_code, client=client, vote=vote, now=now).entry
    where = {"owner_id": owner_id, "unit_id": unit_id, "code_holder": code_holder, "day": day}
    settled = _entry_if_settled(vote, **where)
    if settled is None:
        locked = _lock_for_cast(vote, channel, now)
        late = locked.late
        resolved = _resolve_entry(vote, **where, now=now)
        tip = chain_tip(vote)  # settling a transfer may have appended links under the lock
        voted = None
    else:
        resolved, voted = (settled[0], owner_id, settled[1]), settled[2]
    context["entry"] = resolved[0]
    checked = _check_ballot(vote, resolved, channel=channel, actor=actor, ballot=ballot, late=late, voted=voted)
    if settled is not None:
        if connection.vendor == "postgresql" and channel not in PAPER_CHANNELS:
            facts = {"channel": channel, "actor": actor, "checked": checked, "reference": ballot["reference"]}
            appended = _append_at_once(vote, **facts, now=now)
            if appended is not None:
                return appended
            # The vote's row changed since it was read: lock it, and check what can have changed, as below.
        locked = _lock_for_cast(vote, channel, now)
        tip = (locked.chain_seq, locked.chain_head)
        # ``vote`` was read before anything else: a split recorded since moved its count.
        if locked.split_count != vote.split_count and _split_touches(vote, resolved[0]):
            # Another ballot's transfer moved units off or onto this owner meanwhile: resolve under the lock.
            resolved = _resolve_entry(vote, **where, now=now)
            tip = chain_tip(vote)
            context["entry"] = resolved[0]
            checked = _check_ballot(vote, resolved, channel=channel, actor=actor, ballot=ballot, late=locked.late)
        elif channel in PAPER_CHANNELS:
            # The serial entered, or the box finished, by another clerk meanwhile; or voting closed.
            checked["serial"], checked["box"] = _check_paper(
                vote, channel, ballot["paper_serial"], ballot["box"], locked.late
            )
    return _append(
        vote, locked, tip, channel=channel, actor=actor, checked=checked, reference=ballot["reference"], now=now
    )


def _link_body(vote: Vote, seq: int, *, channel, checked: dict, reference, now, r_hash: str) -> dict:
    proxy, box_row = checked["proxy"], checked["box"]
    return ballot_body(
        vote_id=vote.pk,
        seq=seq,
        key=checked["entry"].key,
        channel=channel,
        choice=checked["choice"],
        approve=approve_text(checked["approved"]),
        valid=checked["valid"],
        invalid_reason=checked["invalid_reason"],
        area=area_text(checked["area_cents"]),
        proxy=text(proxy.name if proxy else ""),
        proxy_id=proxy.pk if proxy else None,
        paper_serial=text(checked["serial"]),
        box=text(box_row.label if box_row else ""),
        reference=text(reference),
        cast_at=timestamp(now),
        receipt_hash=r_hash,
    )


def _ballot_rows(vote: Vote, ballot: Ballot, *, channel, actor, checked: dict, late: bool, now) -> list:
    """The rows written with a ballot, after the ballot itself: its published head, approvals and audit row."""
    rows: list = [PublishedHead(vote=vote, seq=ballot.seq, head=ballot.hash, at=now)]
    if checked["valid"] and checked["approved"]:
        rows.extend(BallotApproval(ballot=ballot, candidate_id=c) for c in checked["approved"])
    rows.append(
        audit_event(
            actor=actor,
            action=ElectionsEvent.BALLOT_CAST,
            obj=ballot,
            place=vote.estate,
            data={"channel": channel, "seq": ballot.seq, "valid": checked["valid"], "late": late, "hash": ballot.hash},
        )
    )
    return rows


def _ballot_row(vote: Vote, *, seq, prev, digest, ballot_id, channel, actor, checked: dict, reference, now, r_hash):
    proxy = checked["proxy"]
    # A second live ballot of the entry breaks the unique constraint: ``ballot_cast`` refuses it as a duplicate.
    return Ballot(
        id=ballot_id,
        vote=vote,
        seq=seq,
        entry=checked["entry"],
        channel=channel,
        choice=checked["choice"],
        approve=checked["approved"],
        valid=checked["valid"],
        invalid_reason=checked["invalid_reason"],
        area_cents=checked["area_cents"],
        cast_by_owner_id=checked["owner_id"],
        proxy=proxy,
        proxy_name=proxy.name if proxy else "",
        paper_serial=checked["serial"],
        box=checked["box"],
        reference=reference.strip(),
        entered_by=acting_user(actor),
        cast_at=now,
        receipt_hash=r_hash,
        prev_hash=prev,
        hash=digest,
    )


def _append(vote: Vote, locked: Vote, tip: tuple[int, str], *, channel, actor, checked: dict, reference, now) -> Ballot:
    """Append the checked ballot to the vote's chain after ``tip`` (the caller holds the vote's lock, ``locked``).

    The ballot, its approvals, its published head, its audit row and the vote's new tip are written
    in one statement (``core.inserts.insert_together``): the lock is held for that round trip and
    the commit, beside the lock's own read.
    """
    receipt = secrets.token_hex(6).upper()
    r_hash = receipt_hash(receipt)
    last, prev = tip
    seq = last + 1
    facts = {"channel": channel, "checked": checked, "reference": reference, "now": now}
    digest = link_hash(_link_body(vote, seq, **facts, r_hash=r_hash), prev)
    ballot = _ballot_row(
        vote,
        seq=seq,
        prev=prev,
        digest=digest,
        ballot_id=getattr(locked, "ballot_id", None),
        actor=actor,
        r_hash=r_hash,
        **facts,
    )
    if ballot.pk is None:  # no sequence to read the id from (SQLite): the ballot first, to point at it
        ballot.save(force_insert=True)
        rows = []
    else:
        rows = [ballot]
    rows.extend(_ballot_rows(vote, ballot, channel=channel, actor=actor, checked=checked, late=locked.late, now=now))
    insert_together(rows, then=advance(vote, seq, digest))
    ballot.receipt = receipt
    return ballot


# Lock the vote's row if it is still as the caller read it (``lk``; no row otherwise: voting closed or the roll
# split meanwhile), and make the ballot's link from the tip it holds (``nx``): sequence number, previous and new
# hash (``link_hash_sql``), the ballot's id. Every row of the ballot is then written ``FROM nx``, and the tip moved.
LOCK_AND_LINK = """WITH lk AS MATERIALIZED (
    SELECT "chain_seq", "chain_head" FROM "elections_vote"
    WHERE "id" = %s AND "status" = %s AND "tally_state" = %s AND "split_count" = %s AND "opens_at" = %s
        AND "closes_at" = %s
    FOR UPDATE
), nx AS MATERIALIZED (
    SELECT lk."chain_seq" + 1 AS seq, lk."chain_head" AS prev, {head} AS head, {ballot_id} AS ballot_id FROM lk
)"""
MOVE_TIP = (
    'UPDATE "elections_vote" SET "chain_seq" = nx.seq, "chain_head" = nx.head FROM nx '
    'WHERE "elections_vote"."id" = %s RETURNING nx.ballot_id, nx.seq, nx.prev, nx.head'
)
# The ballot's columns that come from the link the statement makes.
FROM_LINK = {"id": "nx.ballot_id", "seq": "nx.seq", "prev_hash": "nx.prev", "hash": "nx.head"}


def _append_at_once(vote: Vote, *, channel, actor, checked: dict, reference, now) -> Ballot | None:
    """Append the checked ballot in one statement that also takes the vote's lock (PostgreSQL, issue 13).

    The vote's row is locked only if it is as ``vote`` holds it (state, window, tally, splits): then
    nothing checked before the lock can have changed (paper ballots, whose serial and box can, take
    the locked path). The link's hash is computed by the statement from the tip the lock returns
    (``core.hashing.chain_digest_parts``: the same canonical bytes ``link_hash`` hashes), so the lock
    is held for this one statement and the commit. Returns ``None``, having written nothing, when the
    row changed meanwhile (or a typed text could be taken for a slot of the hash): the caller then
    locks, checks again and appends as before.
    """
    receipt = secrets.token_hex(6).upper()
    r_hash = receipt_hash(receipt)
    facts = {"channel": channel, "checked": checked, "reference": reference, "now": now}
    parts = chain_digest_parts(_link_body(vote, 0, **facts, r_hash=r_hash), {"previous": "text", "seq": "number"})
    if parts is None:
        return None
    head, head_params = link_hash_sql(parts, {"previous": 'lk."chain_head"', "seq": 'lk."chain_seq" + 1'})
    ballot = _ballot_row(vote, seq=0, prev="", digest="", ballot_id=None, actor=actor, r_hash=r_hash, **facts)
    clauses = [insert_select(ballot, "nx", FROM_LINK)]
    for row in _ballot_rows(vote, ballot, channel=channel, actor=actor, checked=checked, late=False, now=now):
        exprs = {
            PublishedHead: {"seq": "nx.seq", "head": "nx.head"},
            BallotApproval: {"ballot_id": "nx.ballot_id"},
            # The audit row records the link as the statement made it.
            AuditEvent: {
                "object_id": "nx.ballot_id::text",
                "data": "{value}::jsonb || jsonb_build_object('seq', nx.seq, 'hash', nx.head)",
            },
        }[type(row)]
        clauses.append(insert_select(row, "nx", exprs))
    sql = LOCK_AND_LINK.format(head=head, ballot_id=NEXT_BALLOT_ID)
    sql += "".join(f", w{n} AS ({clause})" for n, (clause, _params) in enumerate(clauses)) + " " + MOVE_TIP
    params = [vote.pk, vote.status, vote.tally_state, vote.split_count, vote.opens_at, vote.closes_at, *head_params]
    params += [p for _clause, clause_params in clauses for p in clause_params] + [vote.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        made = cursor.fetchone()
    if made is None:
        return None
    ballot.id, ballot.seq, ballot.prev_hash, ballot.hash = made
    ballot._state.adding, ballot._state.db = False, connection.alias
    ballot.receipt = receipt
    return ballot


def _is_second_ballot(exc: IntegrityError) -> bool:
    """Whether ``exc`` is the (vote, entry) unique constraint refusing a second live ballot."""
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name is None or name == "ballot_one_live_per_owner"  # SQLite names no constraint


def ballot_cast(
    *,
    vote: Vote,
    channel: str,
    actor,
    owner_id: int | None = None,
    unit_id: int | None = None,
    approve: Iterable[int] | None = None,
    choice: str = "",
    proxy_id: int | None = None,
    proxy_name: str = "",
    paper_serial: str = "",
    box: str = "",
    spoiled: bool = False,
    write_in: bool = False,
    reference: str = "",
    voting_code: str | None = None,
    client: str | None = "",
    now: datetime.datetime | None = None,
    vote_read_now: bool = False,
) -> Ballot:
    """Cast one ballot for a counted owner of the frozen roll, or refuse it and log the refusal.

    A paper ballot may be ``spoiled`` (returned blank or spoiled) or name someone who is not a
    candidate (``write_in``): it is stored invalid and takes part. ``box`` names the sealed box a
    paper ballot came from; after closing, paper ballots are entered only from such boxes.

    ``client`` names who typed a voting code (an address, or a user), for the attempt limits.
    ``vote_read_now`` says that ``vote`` (with its estate, at least ``BALLOT_VOTE_FIELDS``) was read
    from the database for this ballot, in the same request and just before the call, as the API's
    ballot action does: it is then used as read, not read a second time. Otherwise the vote is read
    afresh first.
    Returns the ballot with ``receipt`` set (shown to the voter once; only its hash is kept).
    """
    now = now or timezone.now()
    context: dict = {}
    try:
        try:
            with transaction.atomic():
                return _cast(
                    vote=vote,
                    channel=channel,
                    actor=actor,
                    owner_id=owner_id,
                    unit_id=unit_id,
                    ballot={
                        "approve": list(approve or []),
                        "choice": choice or "",
                        "proxy_id": proxy_id,
                        "proxy_name": proxy_name or "",
                        "paper_serial": paper_serial or "",
                        "box": box or "",
                        "spoiled": bool(spoiled),
                        "write_in": bool(write_in),
                        "reference": reference or "",
                        "voting_code": voting_code,
                    },
                    # The platform entering codes itself (the demo, an import) guesses nothing: not counted.
                    client=client or (None if actor is SYSTEM else f"user:{getattr(actor, 'pk', None)}"),
                    now=now,
                    context=context,
                    vote_read_now=vote_read_now,
                )
        except IntegrityError as exc:
            if not _is_second_ballot(exc):
                raise
            raise BallotRefused(_("该业主已经投过票，每位业主只能投一票。"), code="duplicate") from exc
    except (NotPermitted, TooManyAttempts):
        raise
    except ApplicationError as exc:
        payload = {"owner": owner_id, "unit": unit_id, "paper_serial": paper_serial, "reference": reference}
        _log_refusal(
            vote, channel, context.get("entry"), exc, {**payload, "proxy": proxy_id, "proxy_name": proxy_name}, actor
        )
        raise


def _log_refusal(vote: Vote, channel: str, entry, exc: ApplicationError, payload: dict, actor) -> None:
    """Keep a refused ballot (outside the refused transaction): the returning officer sees every refusal."""
    RefusedBallot.objects.create(
        vote=vote,
        entry=entry,
        channel=channel or "",
        reason=exc.code,
        message=exc.message,
        payload=payload,
        actor=acting_user(actor),
        at=timezone.now(),
    )


@transaction.atomic
def ballot_void(*, ballot: Ballot, reason: str, actor) -> BallotVoid:
    """Void a wrongly entered ballot (a supervisor, with a reason); the ballot stays, and may be re-entered."""
    vote = ballot.vote
    require(actor, Action.RUN_VOTE, vote.estate)
    lock(vote)
    if not (
        vote.status == VoteStatus.VOTING
        or (vote.status == VoteStatus.COUNTING and vote.tally_state == TallyState.PENDING)
    ):
        raise Conflict(_("只有在投票进行中或计票开始前才能作废录入错误的选票。"), code="wrong_status")
    if not (reason or "").strip():
        raise ApplicationError(_("作废选票须写明原因。"), code="reason_required")
    if BallotVoid.objects.filter(ballot=ballot).exists():
        raise Conflict(_("该选票已作废。"), code="already_void")
    now = timezone.now()
    void = BallotVoid.objects.create(ballot=ballot, reason=reason.strip(), actor=acting_user(actor), at=now)
    # The one column of a ballot that changes, so that its owner may be entered again;
    # the database refuses the change unless the void record exists.
    Ballot.objects.filter(pk=ballot.pk).update(voided=True)
    link = append_link(vote, chain.VOID, {"ballot": ballot.seq, "reason": text(reason), "at": timestamp(now)}, now)
    audit_record(
        actor=actor,
        action=ElectionsEvent.BALLOT_VOID,
        obj=ballot,
        place=vote.estate,
        data={"reason": reason, "seq": link.seq, "hash": link.hash},
    )
    return void


# Paper serials and voting codes --------------------------------------------------------------


@transaction.atomic
def paper_serials_issue(*, vote: Vote, serials: list[str], actor, now: datetime.datetime | None = None) -> int:
    """Record paper ballots issued with these serial numbers (a serial issued after closing counts for nothing)."""
    require_enter_ballots(actor, vote.estate, message=_("选票编号由工作人员（录入员或组织投票的人员）发放。"))
    serials = [s.strip() for s in serials if s and s.strip()]
    if len(set(serials)) != len(serials):
        raise ApplicationError(_("选票编号有重复。"), code="serial_duplicate")
    existing = set(PaperSerial.objects.filter(vote=vote, serial__in=serials).values_list("serial", flat=True))
    if existing:
        raise Conflict(_("这些选票编号已发放：%(s)s。") % {"s": "、".join(sorted(existing)[:10])}, code="serial_exists")
    now = now or timezone.now()
    PaperSerial.objects.bulk_create(PaperSerial(vote=vote, serial=s, issued_at=now) for s in serials)
    audit_record(
        actor=actor, action=ElectionsEvent.PAPER_SERIAL_ISSUE, obj=vote, place=vote.estate, data={"count": len(serials)}
    )
    return len(serials)


@transaction.atomic
def paper_serial_void(*, vote: Vote, serial: str, reason: str, actor) -> PaperSerial:
    """Record an issued paper ballot as void (spoiled or not returned for counting)."""
    require(actor, Action.RUN_VOTE, vote.estate)
    paper = PaperSerial.objects.select_for_update().filter(vote=vote, serial=serial.strip()).first()
    if paper is None:
        raise ApplicationError(_("选票编号 %(s)s 未登记发放。") % {"s": serial}, code="serial_unknown")
    if Ballot.objects.filter(vote=vote, paper_serial=paper.serial, voided=False).exists():
        raise Conflict(_("选票编号 %(s)s 已录入为有效选票，须先作废该选票。") % {"s": serial}, code="serial_used")
    if not (reason or "").strip():
        raise ApplicationError(_("作废选票编号须写明原因。"), code="reason_required")
    if paper.voided_at is not None:
        raise Conflict(_("选票编号 %(s)s 已作废。") % {"s": serial}, code="serial_void")
    changes = apply_changes(paper, {"voided_at": timezone.now(), "void_reason": reason.strip()})
    paper.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action=ElectionsEvent.PAPER_SERIAL_VOID,
        obj=vote,
        place=vote.estate,
        data={"serial": paper.serial},
        changes=changes,
    )
    return paper
