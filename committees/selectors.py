"""Reads of the committees layer that are more than one queryset call."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum
from django.utils import timezone

from committees.chain import GENESIS, digest_of, file_sha256
from committees.events import CommitteesEvent
from committees.models import (
    Account,
    AccountKind,
    CommitteeStatus,
    LedgerLeg,
    LedgerTransaction,
    Meeting,
    OwnersCommittee,
    SpendingApproval,
    SpendingRequest,
    Statement,
)
from committees.models.base import FEN
from committees.rules import RuleMemo
from core.hashing import digest
from core.numbers import percent
from governance.models import AuditEvent, OrgKind, Place, PlaceKind, Post, PostBody, PostKind
from governance.scoping import Action, subtree_q
from residents.models import PartyMember
from residents.selectors import party_member_person_ids

ZERO = Decimal("0.00")


# Committees -----------------------------------------------------------------------------


def current_committee(estate: Place) -> OwnersCommittee | None:
    return OwnersCommittee.objects.filter(estate=estate, status=CommitteeStatus.CURRENT).first()


@dataclass(frozen=True)
class CommitteeSummary:
    members: int
    party_members: int
    party_member_share: str
    meets_party_target: bool
    chair_id: int | None
    chair_is_secretary: bool
    days_left: int
    lapsed: bool
    filing_overdue: bool


def _held_on(start: datetime.date | None, end: datetime.date | None, day: datetime.date) -> bool:
    """Whether a post running from ``start`` to ``end`` is held on ``day`` (as ``Post.objects.current``)."""
    return (start is None or start <= day) and (end is None or end >= day)


def committee_summary(committee: OwnersCommittee, *, on: datetime.date | None = None, rules=None) -> CommitteeSummary:
    """The summary of one committee: ``committee_summaries`` of a list of one."""
    return committee_summaries([committee], on=on, rules=rules)[committee.pk]


def committee_summaries(
    committees: list[OwnersCommittee], *, on: datetime.date | None = None, rules=None
) -> dict[int, CommitteeSummary]:
    """Party-member share, whether the chair is also the general-branch secretary (一肩挑), days left.

    Each committee is described as it stood on its *reference day*: ``on`` (today by
    default) for a committee in office, the last day of its term for one that has ended. The
    members are the posts held that day; the chair is the general-branch secretary if they
    held both posts that day (a secretary who took over after the term ended does not count,
    nor does one who left before). Party members are the register's
    (``residents.selectors.party_member_person_ids``). A fixed number of queries, whatever
    the number of committees.
    """
    on = on or timezone.localdate()
    rules = rules or RuleMemo()
    if not committees:
        return {}
    post_ids: dict[int, set[int]] = defaultdict(set)
    for committee_id, post_id in OwnersCommittee.posts.through.objects.filter(
        ownerscommittee_id__in=[c.pk for c in committees]
    ).values_list("ownerscommittee_id", "post_id"):
        post_ids[committee_id].add(post_id)
    posts = {
        pk: (person_id, kind, start, end)
        for pk, person_id, kind, start, end in Post.objects.filter(
            pk__in=set().union(*post_ids.values()) if post_ids else set()
        ).values_list("pk", "person_id", "kind", "start", "end")
    }
    party = party_member_person_ids({p[0] for p in posts.values()})
    secretaries = defaultdict(list)
    for place_id, person_id, start, end in Post.objects.filter(
        place_id__in={c.estate_id for c in committees},
        body=PostBody.PARTY,
        kind=PostKind.SECRETARY,
        organization__kind=OrgKind.ESTATE_GENERAL_BRANCH,
    ).values_list("place_id", "person_id", "start", "end"):
        secretaries[place_id].append((person_id, start, end))
    result = {}
    for c in committees:
        ref = min(on, c.ended_on or c.term_end)
        held = [posts[pk] for pk in sorted(post_ids.get(c.pk, ())) if _held_on(posts[pk][2], posts[pk][3], ref)]
        people = {p[0] for p in held}
        n_party = len(people & party)
        chair_id = next((p[0] for p in held if p[1] == PostKind.CHAIR), None)
        secretary_ids = {person for person, start, end in secretaries[c.estate_id] if _held_on(start, end, ref)}
        num, den = rules("PARTY_MEMBER_SHARE_TARGET", c.estate)
        result[c.pk] = CommitteeSummary(
            members=len(people),
            party_members=n_party,
            party_member_share=percent(n_party, len(people)),
            meets_party_target=bool(people) and n_party * den >= num * len(people),
            chair_id=chair_id,
            chair_is_secretary=chair_id is not None and chair_id in secretary_ids,
            days_left=c.days_left(on),
            lapsed=c.lapsed(on),
            filing_overdue=c.filing_overdue(on, rules=rules),
        )
    return result


def estates_with_lapsed_committee(place: Place, *, on: datetime.date | None = None):
    """Estates under ``place`` whose committee's term has ended with no new committee elected."""
    on = on or timezone.localdate()
    lapsed = OwnersCommittee.objects.filter(status=CommitteeStatus.CURRENT, term_end__lt=on).values("estate_id")
    return Place.objects.filter(subtree_q(place), kind=PlaceKind.ESTATE, pk__in=lapsed).order_by("name")


# Meetings -------------------------------------------------------------------------------


def meetings_readable_by(user):
    """The meetings ``user`` may read: all of them in their scope, published minutes where they are residents."""
    return Meeting.objects.restrict(user, Action.VIEW) | Meeting.objects.restrict(user, Action.VIEW_PUBLIC).filter(
        minutes_published_at__isnull=False
    )


# The ledger -----------------------------------------------------------------------------


def _signed(row_kind: str, debits: Decimal, credits: Decimal) -> Decimal:
    """A balance as people read it: debits minus credits for asset and expense accounts, else the reverse."""
    debit_normal = row_kind in (AccountKind.ASSET, AccountKind.EXPENSE)
    return (debits - credits if debit_normal else credits - debits).quantize(FEN)


def account_balances(
    estate: Place, *, until: datetime.date | None = None, before: datetime.date | None = None
) -> dict[str, Decimal]:
    """The balance of each account by code, up to a date."""
    legs = LedgerLeg.objects.filter(account__estate=estate)
    if until is not None:
        legs = legs.filter(transaction__date__lte=until)
    if before is not None:
        legs = legs.filter(transaction__date__lt=before)
    rows = legs.values("account__code", "account__kind").annotate(d=Sum("debit"), c=Sum("credit"))
    return {row["account__code"]: _signed(row["account__kind"], row["d"] or ZERO, row["c"] or ZERO) for row in rows}


def balances_by_account(account_ids: list[int]) -> dict[int, Decimal]:
    """The balance of each account by id, in one query."""
    rows = (
        LedgerLeg.objects.filter(account_id__in=account_ids)
        .values("account_id", "account__kind")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    )
    return {row["account_id"]: _signed(row["account__kind"], row["d"] or ZERO, row["c"] or ZERO) for row in rows}


def lowest_balance_from(account: Account, day: datetime.date) -> Decimal:
    """The lowest end-of-day balance of a money-holding account on ``day`` or any later day with entries.

    An entry dated ``day`` changes every balance from ``day`` on: a payment is covered only if
    this lowest balance covers it (the database's funds trigger checks the same, per day).
    """
    rows = (
        LedgerLeg.objects.filter(account=account)
        .values_list("transaction__date")
        .annotate(net=Sum("debit") - Sum("credit"))
        .order_by("transaction__date")
    )
    running, lowest = ZERO, None
    for date, net in rows:
        if date > day and lowest is None:
            lowest = running  # the balance at the end of ``day``, which had no entries
        running += net
        if date >= day:
            lowest = running if lowest is None else min(lowest, running)
    return (running if lowest is None else lowest).quantize(FEN)


def _asset_balance(estate: Place, *, before: datetime.date) -> Decimal:
    totals = LedgerLeg.objects.filter(
        account__estate=estate, account__kind=AccountKind.ASSET, transaction__date__lt=before
    ).aggregate(d=Sum("debit"), c=Sum("credit"))
    return ((totals["d"] or ZERO) - (totals["c"] or ZERO)).quantize(FEN)


def quarter_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the quarter ``day`` falls in."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = day.replace(month=first_month, day=1)
    next_start = (
        start.replace(year=start.year + 1, month=1) if first_month == 10 else start.replace(month=first_month + 3)
    )
    return start, next_start - datetime.timedelta(days=1)


def previous_quarter(day: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    start, _end = quarter_of(day or timezone.localdate())
    return quarter_of(start - datetime.timedelta(days=1))


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(FEN))


def _movements(estate: Place, period_start: datetime.date, period_end: datetime.date) -> tuple[list, list]:
    """Income by source account and spending by purpose account over a period, each net of reversals."""
    rows = (
        LedgerLeg.objects.filter(
            account__estate=estate, transaction__date__gte=period_start, transaction__date__lte=period_end
        )
        .values("account__code", "account__name", "account__kind")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by("account__code")
    )
    income, spending = [], []
    for row in rows:
        line = {"code": row["account__code"], "name": row["account__name"]}
        amount = _signed(row["account__kind"], row["d"] or ZERO, row["c"] or ZERO)
        if row["account__kind"] == AccountKind.INCOME:
            income.append({**line, "amount": _money(amount)})
        elif row["account__kind"] == AccountKind.EXPENSE:
            spending.append({**line, "amount": _money(amount)})
    return income, spending


def _large_items(estate: Place, period_start: datetime.date, period_end: datetime.date, limit: Decimal) -> list:
    """The paid spending requests over ``limit`` in the period, with who approved them and what they saw."""
    large = list(
        SpendingRequest.objects.filter(
            estate=estate, payment__date__gte=period_start, payment__date__lte=period_end, amount__gt=limit
        )
        .select_related("purpose", "payment")
        .order_by("payment__date", "pk")
    )
    approvals = defaultdict(list)
    for a in (
        SpendingApproval.objects.filter(request__in=large)
        .select_related("approver", "approver__person")
        .order_by("approved_at", "pk")
    ):
        approvals[a.request_id].append(
            {
                "stage": a.stage,
                "stage_display": str(a.get_stage_display()),
                "approver": a.approver.person.name if a.approver.person_id else a.approver.username,
                "approved_at": timezone.localtime(a.approved_at).isoformat(timespec="minutes"),
                "seen": a.seen,
            }
        )
    return [
        {
            "request": r.pk,
            "date": r.payment.date.isoformat(),
            "sequence": r.payment.sequence,
            "payee": r.payee,
            "purpose": r.purpose.name,
            "description": r.description,
            "amount": _money(r.amount),
            "split_flagged": r.split_flagged,
            "approvals": approvals[r.pk],
        }
        for r in large
    ]


def statement_figures(estate: Place, period_start: datetime.date, period_end: datetime.date, rules=None) -> dict:
    """Compute the public-revenue statement of a period from the entries, in a fixed number of queries.

    Opening and closing balances are the bank (asset) balance; income is by source account,
    spending by purpose account, each net of reversals; large items are the paid spending
    requests over ``LARGE_ITEM_THRESHOLD`` with their approvals.
    """
    rules = rules or RuleMemo()
    opening = _asset_balance(estate, before=period_start)
    closing = _asset_balance(estate, before=period_end + datetime.timedelta(days=1))
    income, spending = _movements(estate, period_start, period_end)
    income_total = sum((Decimal(i["amount"]) for i in income), ZERO)
    spending_total = sum((Decimal(s["amount"]) for s in spending), ZERO)
    last_sequence = (
        LedgerTransaction.objects.filter(estate=estate, date__lte=period_end)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
        or 0
    )
    return {
        "estate": {"id": estate.pk, "name": estate.name},
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        "opening_balance": _money(opening),
        "income": income,
        "income_total": _money(income_total),
        "spending": spending,
        "spending_total": _money(spending_total),
        "other_movements": _money(closing - opening - income_total + spending_total),
        "closing_balance": _money(closing),
        "large_items": _large_items(estate, period_start, period_end, rules("LARGE_ITEM_THRESHOLD", estate)),
        "transactions": LedgerTransaction.objects.filter(
            estate=estate, date__gte=period_start, date__lte=period_end
        ).count(),
        "last_sequence": last_sequence,
    }


def figures_hash(figures: dict) -> str:
    """The hash of a statement's figures (the project's one canonical serialisation)."""
    return digest(figures)


# What a published statement froze and the ledger must still show.
PINNED_FIGURES = (
    "opening_balance",
    "income_total",
    "spending_total",
    "closing_balance",
    "transactions",
    "last_sequence",
)


@dataclass(frozen=True)
class LedgerCheck:
    ok: bool
    checked: int
    broken_sequence: int | None = None
    problem: str = ""


def _walk_chain(estate: Place, *, batch: int, check_vouchers: bool, pinned: set[int]) -> tuple[LedgerCheck, dict]:
    """Recompute the chain entry by entry; return the outcome and the hashes of the ``pinned`` sequences."""
    previous_hash, expected, checked, last_seq = GENESIS, 1, 0, 0
    heads = {0: GENESIS}
    while True:
        chunk = list(
            LedgerTransaction.objects.filter(estate=estate, sequence__gt=last_seq).order_by("sequence")[:batch]
        )
        if not chunk:
            return LedgerCheck(True, checked), heads
        legs = defaultdict(list)
        for leg in LedgerLeg.objects.filter(transaction__in=[t.pk for t in chunk]).order_by("pk"):
            legs[leg.transaction_id].append(leg)
        for tx in chunk:
            tx_legs = legs[tx.pk]
            problem = None
            if tx.sequence != expected:
                return LedgerCheck(False, checked, expected, f"sequence {expected} is missing"), heads
            if tx.previous_hash != previous_hash:
                problem = "previous hash does not match the entry before it"
            elif len(tx_legs) < 2 or sum((g.debit for g in tx_legs), ZERO) != sum((g.credit for g in tx_legs), ZERO):
                problem = "debits do not equal credits"
            elif digest_of(tx, tx_legs) != tx.hash:
                problem = "content does not match its hash"
            elif check_vouchers and tx.voucher and _voucher_digest(tx) != tx.voucher_sha256:
                problem = "voucher file does not match its digest"
            if problem:
                return LedgerCheck(False, checked, tx.sequence, problem), heads
            if tx.sequence in pinned:
                heads[tx.sequence] = tx.hash
            previous_hash, expected, checked = tx.hash, expected + 1, checked + 1
        last_seq = chunk[-1].sequence


def _check_statements(estate: Place, statements: list[Statement], checked: int, heads: dict) -> LedgerCheck | None:
    """Compare the intact chain with what every published statement froze; return the first mismatch."""
    rules = RuleMemo()
    for statement in statements:
        where = f"the published statement of {statement.period_start}–{statement.period_end}"
        if statement.last_sequence > checked:
            return LedgerCheck(False, checked, checked + 1, f"entries counted in {where} are missing")
        if figures_hash(statement.figures) != statement.figures_hash:
            return LedgerCheck(False, checked, statement.last_sequence, f"{where} no longer matches its hash")
        if statement.chain_head and heads.get(statement.last_sequence) != statement.chain_head:
            return LedgerCheck(
                False,
                checked,
                statement.last_sequence,
                f"the chain no longer leads to the entry hash frozen by {where}",
            )
        now = statement_figures(estate, statement.period_start, statement.period_end, rules=rules)
        changed = [key for key in PINNED_FIGURES if now[key] != statement.figures.get(key)]
        if changed:
            return LedgerCheck(
                False,
                checked,
                statement.last_sequence,
                f"the ledger no longer gives the figures of {where}: {', '.join(changed)}",
            )
    return None


def ledger_verify(estate: Place, *, batch: int = 2000, check_vouchers: bool = False) -> LedgerCheck:
    """Check the estate's ledger; report the first entry that does not hold.

    1. The hash chain: sequence numbers without gaps, every entry balanced, every hash
       recomputed from the entry's content and the hash before it (``check_vouchers``: each
       voucher file still has its digest).
    2. Against every published statement: the entries it counted are all there, the chain
       still leads to the entry hash it froze (``chain_head``), and the ledger still gives its
       frozen totals. An entry changed and the whole chain re-hashed after it passes step 1
       but not this.
    3. Against the audit trail: no recorded posting has gone from the end of the chain.
    """
    statements = list(Statement.objects.filter(estate=estate).order_by("last_sequence", "period_start"))
    result, heads = _walk_chain(
        estate, batch=batch, check_vouchers=check_vouchers, pinned={s.last_sequence for s in statements}
    )
    if not result.ok:
        return result
    checked = result.checked
    mismatch = _check_statements(estate, statements, checked, heads)
    if mismatch is not None:
        return mismatch
    posted = AuditEvent.objects.filter(place=estate, action=CommitteesEvent.LEDGER_POST.value).count()
    if posted > checked:
        return LedgerCheck(False, checked, checked + 1, "entries recorded in the audit trail are missing")
    return LedgerCheck(True, checked)


def _voucher_digest(tx) -> str:
    try:
        with tx.voucher.open("rb") as handle:
            return file_sha256(handle)
    except OSError:
        return "missing"


def ledger_accounts(estate: Place) -> list[Account]:
    """The estate's chart of accounts, by code."""
    return list(Account.objects.filter(estate=estate).order_by("code"))


def spending_objections(request: SpendingRequest) -> list[dict]:
    """The objections recorded against a spending request (``services.spending_object``), oldest first."""
    rows = (
        AuditEvent.objects.filter(
            action=CommitteesEvent.SPENDING_OBJECT.value,
            content_type=ContentType.objects.get_for_model(SpendingRequest),
            object_id=str(request.pk),
        )
        .select_related("actor__person")
        .order_by("created_at", "pk")
    )
    return [
        {
            "stage": row.data.get("stage", ""),
            "reason": row.data.get("reason", row.summary),
            "by": (row.actor.person.name if row.actor and row.actor.person_id else getattr(row.actor, "username", "")),
            "at": row.created_at,
        }
        for row in rows
    ]


# Projects -------------------------------------------------------------------------------


def expert_candidates(estate: Place, skill_codes: list[str] | None = None):
    """Party members of the estate's organizations with any of the given skills, for a project's expert team."""
    members = PartyMember.objects.filter(organization__place__estate=estate)
    if skill_codes:
        members = members.filter(skills__code__in=skill_codes)
    return members.distinct().select_related("person").prefetch_related("skills").order_by("person__name", "pk")
