"""The public-revenue ledger: opening it, recording income, reversing entries, checking the chain, vouchers.

Money comes in through direct postings (income, an opening balance) and goes out only as
the payment of an approved spending request (``committees.services.spending``). Every
entry is posted by ``_post_entry``: balanced, vouchered, outside any published period,
never leaving an account that holds money below zero, and chained by hash to the one before.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from committees import selectors
from committees.chain import GENESIS, entry_digest, file_sha256
from committees.events import CommitteesEvent
from committees.models import Account, AccountKind, LedgerLeg, LedgerTransaction, Statement
from committees.models.base import FEN
from committees.signals import ledger_checked
from core.errors import ApplicationError, Conflict
from core.uploads import check_upload
from governance.audit import audit_record
from governance.models import Place
from governance.scoping import Action, acting_user, require

from ._shared import require_estate, send_on_commit

# The chart of accounts every estate's public-revenue ledger starts with.
CHART = (
    ("1001", gettext_lazy("银行存款"), AccountKind.ASSET),
    ("3001", gettext_lazy("期初结余"), AccountKind.EQUITY),
    ("4001", gettext_lazy("广告收入"), AccountKind.INCOME),
    ("4002", gettext_lazy("停车收入"), AccountKind.INCOME),
    ("4003", gettext_lazy("场地租赁收入"), AccountKind.INCOME),
    ("4009", gettext_lazy("其他收入"), AccountKind.INCOME),
    ("5001", gettext_lazy("合理成本"), AccountKind.EXPENSE),
    ("5101", gettext_lazy("设施维修改造"), AccountKind.EXPENSE),
    ("5102", gettext_lazy("公共活动"), AccountKind.EXPENSE),
    ("5103", gettext_lazy("补充维修资金"), AccountKind.EXPENSE),
    ("5109", gettext_lazy("其他经业主决定的支出"), AccountKind.EXPENSE),
)
BANK = "1001"
OPENING = "3001"

Legs = Sequence[tuple[Account, Decimal, Decimal]]


def lock_ledger(estate: Place) -> None:
    """Serialise writes to one estate's ledger: each entry chains to the one before it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('committees.ledger'), %s)", [estate.pk])


def closed_until(estate: Place) -> datetime.date | None:
    """The last day covered by a published statement: nothing may be dated on or before it."""
    return Statement.objects.filter(estate=estate).order_by("-period_end").values_list("period_end", flat=True).first()


def account(estate: Place, code: str) -> Account:
    return Account.objects.get(estate=estate, code=code)


@transaction.atomic
def ledger_open(
    *, estate: Place, actor, opening_balance: Decimal = Decimal("0"), on: datetime.date | None = None, voucher=None
) -> list[Account]:
    """Create the estate's chart of accounts (once) and, optionally, its opening balance entry."""
    require(actor, Action.CHANGE, estate)
    require_estate(estate)
    existing = {a.code for a in Account.objects.filter(estate=estate)}
    created = [
        Account(estate=estate, code=code, name=str(name), kind=kind)
        for code, name, kind in CHART
        if code not in existing
    ]
    Account.objects.bulk_create(created)
    accounts = list(Account.objects.filter(estate=estate))
    if created:
        audit_record(
            actor=actor, action=CommitteesEvent.LEDGER_OPEN, place=estate, data={"accounts": [a.code for a in created]}
        )
    if opening_balance:
        by_code = {a.code: a for a in accounts}
        _post_entry(
            estate=estate,
            date=on or timezone.localdate(),
            memo=_("期初结余"),
            voucher=voucher,
            actor=actor,
            legs=[(by_code[BANK], opening_balance, Decimal("0")), (by_code[OPENING], Decimal("0"), opening_balance)],
        )
    return accounts


def _refuse_payment(legs: Legs) -> None:
    """A direct posting brings money in: it debits accounts that hold money and credits income accounts."""
    for acct, debit, credit in legs:
        paying = Decimal(credit or 0) > 0 and acct.kind != AccountKind.INCOME
        spending = Decimal(debit or 0) > 0 and acct.kind != AccountKind.ASSET
        if paying or spending:
            raise ApplicationError(
                _(
                    "直接记账只能登记收入（借记银行存款等资金科目、贷记收入科目）；"
                    "任何支出都须通过支出申请，经审批并核对余额后支付。"
                ),
                code="payment_needs_request",
            )


@transaction.atomic
def transaction_post(*, estate: Place, date: datetime.date, memo: str, legs: Legs, voucher, actor) -> LedgerTransaction:
    """Post an income entry to the estate's ledger (the API's direct posting).

    ``legs`` are (account, debit, credit). A direct posting may only bring money in: it
    debits accounts that hold money and credits income accounts (the opening balance is
    ``ledger_open``'s).
    Payments go through ``spending_request_create`` → ``spending_approve`` → ``spending_pay``;
    corrections through ``transaction_reverse``.
    """
    require(actor, Action.CHANGE, estate)
    _refuse_payment(legs)
    return _post_entry(estate=estate, date=date, memo=memo, legs=legs, voucher=voucher, actor=actor)


@transaction.atomic
def transaction_reverse(
    *, transaction: LedgerTransaction, reason: str, actor, date: datetime.date | None = None, voucher=None
) -> LedgerTransaction:
    """Correct an entry by posting its mirror image, with the reason; the original stays as it was.

    Reversing income that has since been spent is refused: the bank would go below zero.
    """
    original = transaction
    require(actor, Action.CHANGE, original.estate)
    if not reason.strip():
        raise ApplicationError(_("冲销须说明原因。"), code="reason_required")
    if original.reverses_id:
        raise Conflict(_("这是一笔冲销分录，不能再冲销；如需更正请另行记账。"), code="reversal_of_reversal")
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise Conflict(_("这笔记账已被冲销过。"), code="already_reversed")
    legs = [(leg.account, leg.credit, leg.debit) for leg in original.legs.select_related("account")]
    return _post_entry(
        estate=original.estate,
        date=date or timezone.localdate(),
        memo=(_("冲销 #%(seq)d：%(memo)s") % {"seq": original.sequence, "memo": original.memo})[:300],
        legs=legs,
        voucher=voucher,
        actor=actor,
        reverses=original,
        reason=reason,
    )


def income_record(
    *, estate: Place, source: str, amount: Decimal, date: datetime.date, memo: str, voucher, actor
) -> LedgerTransaction:
    """Record public-revenue income from a source account (e.g. ``4002`` parking) into the bank."""
    src = account(estate, source)
    if src.kind != AccountKind.INCOME:
        raise ApplicationError(_("“%(name)s”不是收入科目。") % {"name": src.name}, code="not_income")
    return transaction_post(
        estate=estate,
        date=date,
        memo=memo,
        voucher=voucher,
        actor=actor,
        legs=[(account(estate, BANK), amount, Decimal("0")), (src, Decimal("0"), amount)],
    )


def _clean_legs(estate: Place, legs: Legs) -> list[tuple[Account, Decimal, Decimal]]:
    """Refuse legs that are not one positive side each, in fen, on the estate's accounts, balanced."""
    if len(legs) < 2:
        raise ApplicationError(_("一笔记账至少有一借一贷两条分录。"), code="too_few_legs")
    clean = []
    for acct, debit, credit in legs:
        debit, credit = Decimal(debit or 0), Decimal(credit or 0)
        if debit != debit.quantize(FEN) or credit != credit.quantize(FEN):
            raise ApplicationError(_("金额最小单位为分。"), code="sub_fen_amount")
        if debit < 0 or credit < 0 or (debit > 0) == (credit > 0):
            raise ApplicationError(_("每条分录须且只能在借方或贷方记一个正数。"), code="bad_leg")
        if acct.estate_id != estate.pk:
            raise ApplicationError(
                _("科目“%(name)s”不属于该小区的账簿。") % {"name": acct.name}, code="foreign_account"
            )
        clean.append((acct, debit.quantize(FEN), credit.quantize(FEN)))
    debits = sum((d for _a, d, _c in clean), Decimal("0"))
    credits = sum((c for _a, _d, c in clean), Decimal("0"))
    if debits != credits:
        raise ApplicationError(
            _("借贷不平衡：借方合计%(debits)s元，贷方合计%(credits)s元。") % {"debits": debits, "credits": credits},
            code="unbalanced",
        )
    return clean


def _check_funds(legs: list[tuple[Account, Decimal, Decimal]], date: datetime.date) -> None:
    """Refuse an entry that would take an account holding money below zero on its date or any day after."""
    net: dict[int, Decimal] = {}
    for acct, debit, credit in legs:
        if acct.holds_money:
            net[acct.pk] = net.get(acct.pk, Decimal("0")) + debit - credit
    for acct, _d, _c in legs:
        change = net.pop(acct.pk, None)
        if change is None or change >= 0:
            continue
        available = selectors.lowest_balance_from(acct, date)
        if available + change < 0:
            raise Conflict(
                _("“%(account)s”可用余额（%(balance)s元）不足以支付%(amount)s元。")
                % {"account": acct.name, "balance": available, "amount": -change},
                code="insufficient_funds",
            )


def _check_entry(estate: Place, date: datetime.date, memo: str, voucher, reverses) -> None:
    require_estate(estate)
    if not memo.strip():
        raise ApplicationError(_("请填写摘要。"), code="memo_required")
    if not voucher and reverses is None:
        raise ApplicationError(_("每笔记账都须附凭证（收据、发票或合同）。"), code="voucher_required")
    if voucher:
        check_upload(voucher, "voucher")
    if date > timezone.localdate():
        raise ApplicationError(_("记账日期不能晚于今天。"), code="future_date")


def _post_entry(
    *,
    estate: Place,
    date: datetime.date,
    memo: str,
    legs: Legs,
    voucher,
    actor,
    reverses: LedgerTransaction | None = None,
    reason: str = "",
) -> LedgerTransaction:
    """Post one balanced entry, chained to the previous entry by hash; the callers check the actor's right.

    Every entry carries a voucher (a reversal may instead rest on the reversed entry's),
    checked by content before it is stored. A date inside an already published period is
    refused: a correction belongs to the next period.
    """
    _check_entry(estate, date, memo, voucher, reverses)
    clean = _clean_legs(estate, legs)
    lock_ledger(estate)
    closed = closed_until(estate)
    if closed and date <= closed:
        raise Conflict(
            _("%(date)s 所在期间的收支已于报表中公开（截至%(closed)s），不能再记入；更正请记在之后的日期。")
            % {"date": date, "closed": closed},
            code="period_closed",
        )
    _check_funds(clean, date)
    last = LedgerTransaction.objects.filter(estate=estate).order_by("-sequence").values_list("sequence", "hash").first()
    sequence, previous_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    recorded_by = acting_user(actor)
    tx = LedgerTransaction(
        estate=estate,
        sequence=sequence,
        date=date,
        memo=memo.strip(),
        recorded_by=recorded_by,
        recorded_at=timezone.now(),
        reverses=reverses,
        reason=reason.strip(),
        previous_hash=previous_hash,
        voucher_sha256=file_sha256(voucher) if voucher else (reverses.voucher_sha256 if reverses else ""),
        hash="pending",
    )
    if voucher:
        tx.voucher.save(getattr(voucher, "name", "voucher") or "voucher", voucher, save=False)
    elif reverses is not None and reverses.voucher:
        tx.voucher.name = reverses.voucher.name
    tx.hash = entry_digest(
        estate_id=estate.pk,
        sequence=sequence,
        date=date,
        memo=tx.memo,
        voucher=tx.voucher.name or "",
        voucher_sha256=tx.voucher_sha256,
        recorded_by_id=getattr(recorded_by, "pk", None),
        recorded_at=tx.recorded_at,
        reverses_id=getattr(reverses, "pk", None),
        reason=tx.reason,
        legs=[(a.pk, d, c) for a, d, c in clean],
        previous_hash=previous_hash,
    )
    tx.save()
    LedgerLeg.objects.bulk_create([LedgerLeg(transaction=tx, account=a, debit=d, credit=c) for a, d, c in clean])
    audit_record(
        actor=actor,
        action=CommitteesEvent.LEDGER_POST,
        obj=tx,
        place=estate,
        summary=tx.memo,
        data={
            "sequence": sequence,
            "amount": sum((d for _a, d, _c in clean), Decimal("0")),
            "reverses": getattr(reverses, "pk", None),
        },
    )
    return tx


def ledger_check(*, estate: Place, actor, check_vouchers: bool = False) -> selectors.LedgerCheck:
    """Verify the estate's ledger (``selectors.ledger_verify``), record the outcome, tell oversight.

    A broken chain is an audit finding; ``ledger_checked`` carries the outcome to the layer
    above, where a failure raises an early warning.
    """
    require(actor, Action.VIEW, estate)
    result = selectors.ledger_verify(estate, check_vouchers=check_vouchers)
    audit_record(
        actor=actor,
        action=CommitteesEvent.LEDGER_VERIFY if result.ok else CommitteesEvent.LEDGER_VERIFY_FAILED,
        place=estate,
        summary="" if result.ok else f"#{result.broken_sequence}: {result.problem}",
        data=result.__dict__,
    )
    send_on_commit(ledger_checked, estate=estate, ok=result.ok, problem=result.problem)
    return result


def voucher_open(*, transaction: LedgerTransaction, actor):
    """Let ``actor`` read an entry's voucher, recording that they saw it; return the stored file.

    Only those who may read the estate's ledger (``view``) may; the caller sends the file
    (``committees.files.protected_file_response``).
    """
    require(actor, Action.VIEW, transaction.estate)
    if not transaction.voucher:
        raise ApplicationError(_("这笔记账没有凭证文件。"), code="no_voucher")
    audit_record(
        actor=actor,
        action=CommitteesEvent.LEDGER_VOUCHER_VIEW,
        obj=transaction,
        place=transaction.estate,
        summary=transaction.memo,
        data={"sequence": transaction.sequence},
    )
    return transaction.voucher
