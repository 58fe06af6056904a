"""Reads of the committees layer that are more than one queryset call."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from committees.ledger import GENESIS, digest_of
from committees.models import (
    AccountKind,
    CommitteeStatus,
    LedgerLeg,
    LedgerTransaction,
    OwnersCommittee,
    SpendingApproval,
    SpendingRequest,
)
from committees.models.base import FEN
from core.numbers import percent
from governance.models import OrgKind, Place, PlaceKind, Post, PostBody, PostKind
from governance.scoping import subtree_q

ZERO = Decimal("0.00")


# Committees -----------------------------------------------------------------------------


def current_committee(estate: Place) -> OwnersCommittee | None:
    return OwnersCommittee.objects.filter(estate=estate, status=CommitteeStatus.CURRENT).first()


def _party_person_ids(person_ids: set[int]) -> set[int]:
    """The people among ``person_ids`` who are party members (the register's, else party post holders)."""
    try:
        party_member = apps.get_model("residents", "PartyMember")
    except LookupError:
        party_member = None
    if party_member is not None:
        return set(party_member.objects.filter(person_id__in=person_ids).values_list("person_id", flat=True))
    return set(
        Post.objects.current().filter(person_id__in=person_ids, body=PostBody.PARTY).values_list("person_id", flat=True)
    )


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


def committee_summary(committee: OwnersCommittee, *, on: datetime.date | None = None) -> CommitteeSummary:
    """Party-member share, whether the chair is also the general-branch secretary (一肩挑), days left."""
    on = on or timezone.localdate()
    ref = min(on, committee.ended_on or committee.term_end)
    posts = list(Post.objects.current(ref).filter(pk__in=committee.posts.values("pk")).values_list("person_id", "kind"))
    people = {person_id for person_id, _kind in posts}
    party = _party_person_ids(people)
    chair_id = next((person_id for person_id, kind in posts if kind == PostKind.CHAIR), None)
    secretary_ids = set(
        Post.objects.current(ref)
        .filter(
            place=committee.estate,
            body=PostBody.PARTY,
            kind=PostKind.SECRETARY,
            organization__kind=OrgKind.ESTATE_GENERAL_BRANCH,
        )
        .values_list("person_id", flat=True)
    )
    num, den = settings.GONGZHI["PARTY_MEMBER_SHARE_TARGET"]
    return CommitteeSummary(
        members=len(people),
        party_members=len(party),
        party_member_share=percent(len(party), len(people)),
        meets_party_target=bool(people) and len(party) * den >= num * len(people),
        chair_id=chair_id,
        chair_is_secretary=chair_id is not None and chair_id in secretary_ids,
        days_left=committee.days_left(on),
        lapsed=committee.lapsed(on),
        filing_overdue=committee.filing_overdue(on),
    )


def committee_summaries(
    committees: list[OwnersCommittee], *, on: datetime.date | None = None
) -> dict[int, CommitteeSummary]:
    """``committee_summary`` for many committees in a fixed number of queries (for list endpoints)."""
    on = on or timezone.localdate()
    if not committees:
        return {}
    through = OwnersCommittee.posts.through
    post_ids = defaultdict(set)
    for committee_id, post_id in through.objects.filter(ownerscommittee_id__in=[c.pk for c in committees]).values_list(
        "ownerscommittee_id", "post_id"
    ):
        post_ids[committee_id].add(post_id)
    all_post_ids = set().union(*post_ids.values()) if post_ids else set()
    posts = {
        pk: (person_id, kind, start, end)
        for pk, person_id, kind, start, end in Post.objects.filter(pk__in=all_post_ids).values_list(
            "pk", "person_id", "kind", "start", "end"
        )
    }
    party = _party_person_ids({p[0] for p in posts.values()})
    secretaries = set(
        Post.objects.current(on)
        .filter(
            place_id__in={c.estate_id for c in committees},
            body=PostBody.PARTY,
            kind=PostKind.SECRETARY,
            organization__kind=OrgKind.ESTATE_GENERAL_BRANCH,
        )
        .values_list("place_id", "person_id")
    )
    num, den = settings.GONGZHI["PARTY_MEMBER_SHARE_TARGET"]
    result = {}
    for c in committees:
        ref = min(on, c.ended_on or c.term_end)
        held = [
            posts[pk]
            for pk in post_ids.get(c.pk, ())
            if (posts[pk][2] is None or posts[pk][2] <= ref) and (posts[pk][3] is None or posts[pk][3] >= ref)
        ]
        people = {p[0] for p in held}
        n_party = len(people & party)
        chair_id = next((p[0] for p in held if p[1] == PostKind.CHAIR), None)
        result[c.pk] = CommitteeSummary(
            members=len(people),
            party_members=n_party,
            party_member_share=percent(n_party, len(people)),
            meets_party_target=bool(people) and n_party * den >= num * len(people),
            chair_id=chair_id,
            chair_is_secretary=(c.estate_id, chair_id) in secretaries,
            days_left=c.days_left(on),
            lapsed=c.lapsed(on),
            filing_overdue=c.filing_overdue(on),
        )
    return result


def estates_with_lapsed_committee(place: Place, *, on: datetime.date | None = None):
    """Estates under ``place`` whose committee's term has ended with no new committee elected."""
    on = on or timezone.localdate()
    lapsed = OwnersCommittee.objects.filter(status=CommitteeStatus.CURRENT, term_end__lt=on).values("estate_id")
    return Place.objects.filter(subtree_q(place), kind=PlaceKind.ESTATE, pk__in=lapsed).order_by("name")


# The ledger -----------------------------------------------------------------------------


def account_balances(
    estate: Place, *, until: datetime.date | None = None, before: datetime.date | None = None
) -> dict[str, Decimal]:
    """The balance of each account by code (debit-normal accounts: debits minus credits), up to a date."""
    legs = LedgerLeg.objects.filter(account__estate=estate)
    if until is not None:
        legs = legs.filter(transaction__date__lte=until)
    if before is not None:
        legs = legs.filter(transaction__date__lt=before)
    rows = legs.values("account__code", "account__kind").annotate(d=Sum("debit"), c=Sum("credit"))
    balances = {}
    for row in rows:
        d, c = row["d"] or ZERO, row["c"] or ZERO
        debit_normal = row["account__kind"] in (AccountKind.ASSET, AccountKind.EXPENSE)
        balances[row["account__code"]] = (d - c if debit_normal else c - d).quantize(FEN)
    return balances


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


def statement_figures(estate: Place, period_start: datetime.date, period_end: datetime.date) -> dict:
    """Compute the public-revenue statement of a period from the entries, in a fixed number of queries.

    Opening and closing balances are the bank (asset) balance; income is by source account,
    spending by purpose account, each net of reversals; large items are the paid spending
    requests over the threshold with their approvals.
    """
    opening = _asset_balance(estate, before=period_start)
    closing = _asset_balance(estate, before=period_end + datetime.timedelta(days=1))
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
        d, c = row["d"] or ZERO, row["c"] or ZERO
        if row["account__kind"] == AccountKind.INCOME:
            income.append({"code": row["account__code"], "name": row["account__name"], "amount": _money(c - d)})
        elif row["account__kind"] == AccountKind.EXPENSE:
            spending.append({"code": row["account__code"], "name": row["account__name"], "amount": _money(d - c)})
    income_total = sum((Decimal(i["amount"]) for i in income), ZERO)
    spending_total = sum((Decimal(s["amount"]) for s in spending), ZERO)
    in_period = LedgerTransaction.objects.filter(estate=estate, date__gte=period_start, date__lte=period_end)
    last_sequence = (
        LedgerTransaction.objects.filter(estate=estate, date__lte=period_end)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
        or 0
    )
    large_limit = Decimal(settings.GONGZHI["LARGE_ITEM_THRESHOLD"])
    large = list(
        SpendingRequest.objects.filter(
            estate=estate, payment__date__gte=period_start, payment__date__lte=period_end, amount__gt=large_limit
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
        "large_items": [
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
        ],
        "transactions": in_period.count(),
        "last_sequence": last_sequence,
    }


def figures_hash(figures: dict) -> str:
    canonical = json.dumps(figures, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class LedgerCheck:
    ok: bool
    checked: int
    broken_sequence: int | None = None
    problem: str = ""


def ledger_verify(estate: Place, *, batch: int = 2000, check_vouchers: bool = False) -> LedgerCheck:
    """Recompute the hash chain of the estate's ledger; report the first entry that does not match.

    Also checks that sequence numbers run without gaps, that every entry balances, that no
    entry recorded in the audit trail or counted in a published statement has gone from the
    end of the chain, and (``check_vouchers``) that each voucher file still has its digest.
    """
    previous_hash = GENESIS
    expected = 1
    checked = 0
    last_seq = 0
    while True:
        chunk = list(
            LedgerTransaction.objects.filter(estate=estate, sequence__gt=last_seq).order_by("sequence")[:batch]
        )
        if not chunk:
            break
        legs = defaultdict(list)
        for leg in LedgerLeg.objects.filter(transaction__in=[t.pk for t in chunk]).order_by("pk"):
            legs[leg.transaction_id].append(leg)
        for tx in chunk:
            if tx.sequence != expected:
                return LedgerCheck(False, checked, expected, f"sequence {expected} is missing")
            if tx.previous_hash != previous_hash:
                return LedgerCheck(False, checked, tx.sequence, "previous hash does not match the entry before it")
            tx_legs = legs[tx.pk]
            if (
                sum((leg.debit for leg in tx_legs), ZERO) != sum((leg.credit for leg in tx_legs), ZERO)
                or len(tx_legs) < 2
            ):
                return LedgerCheck(False, checked, tx.sequence, "debits do not equal credits")
            if digest_of(tx, tx_legs) != tx.hash:
                return LedgerCheck(False, checked, tx.sequence, "content does not match its hash")
            if check_vouchers and tx.voucher and _voucher_digest(tx) != tx.voucher_sha256:
                return LedgerCheck(False, checked, tx.sequence, "voucher file does not match its digest")
            previous_hash = tx.hash
            expected += 1
            checked += 1
        last_seq = chunk[-1].sequence
    # Entries cut from the end leave an intact chain: compare with the records that counted them.
    from committees.models import Statement
    from governance.models import AuditEvent

    published = (
        Statement.objects.filter(estate=estate)
        .order_by("-last_sequence")
        .values_list("last_sequence", flat=True)
        .first()
        or 0
    )
    if published > checked:
        return LedgerCheck(False, checked, checked + 1, "entries counted in a published statement are missing")
    posted = AuditEvent.objects.filter(place=estate, action="ledger.post").count()
    if posted > checked:
        return LedgerCheck(False, checked, checked + 1, "entries recorded in the audit trail are missing")
    return LedgerCheck(True, checked)


def _voucher_digest(tx) -> str:
    from committees.ledger import file_sha256

    try:
        with tx.voucher.open("rb") as handle:
            return file_sha256(handle)
    except OSError:
        return "missing"


def balances_by_account(account_ids: list[int]) -> dict[int, Decimal]:
    """The balance of each account by id, in one query (debit-normal accounts: debits minus credits)."""
    rows = (
        LedgerLeg.objects.filter(account_id__in=account_ids)
        .values("account_id", "account__kind")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    )
    result = {}
    for row in rows:
        d, c = row["d"] or ZERO, row["c"] or ZERO
        debit_normal = row["account__kind"] in (AccountKind.ASSET, AccountKind.EXPENSE)
        result[row["account_id"]] = (d - c if debit_normal else c - d).quantize(FEN)
    return result


def ledger_accounts(estate: Place) -> list:
    """The estate's chart of accounts, by code."""
    from committees.models import Account

    return list(Account.objects.filter(estate=estate).order_by("code"))


def expert_candidates(estate: Place, skill_codes: list[str] | None = None):
    """Party members of the estate's organizations with any of the given skills, for a project's expert team."""
    from residents.models import PartyMember

    members = PartyMember.objects.filter(organization__place__estate=estate)
    if skill_codes:
        members = members.filter(skills__code__in=skill_codes)
    return members.distinct().select_related("person").prefetch_related("skills").order_by("person__name", "pk")
