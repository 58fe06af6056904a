"""Money leaves the ledger only through approved spending, and history cannot be rewritten unseen."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse

from committees import selectors, services
from committees.chain import digest_of
from committees.models import LedgerLeg, LedgerTransaction, Statement
from committees.services import ledger as ledger_services
from committees.tests.factories import around_the_guards, income, voucher
from core.errors import ApplicationError, Conflict
from governance.scoping import SYSTEM

D = Decimal
DAY = datetime.date(2026, 2, 10)


# Direct postings record income only ------------------------------------------------------


def test_a_committee_member_cannot_take_money_out_with_a_direct_posting(api, cast, estate, ledger):
    income(estate, "380000.00", datetime.date(2026, 1, 5))
    legs = [
        {"account": ledger["5109"].pk, "debit": "10000000.00", "credit": "0"},
        {"account": ledger["1001"].pk, "debit": "0", "credit": "10000000.00"},
    ]
    response = api.as_user(cast["committee_member"]).post(
        reverse("ledger-transaction-list"),
        {"estate": estate.pk, "date": "2026-02-01", "memo": "提现", "voucher": voucher(), "legs": json.dumps(legs)},
        format="multipart",
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "payment_needs_request"
    assert LedgerTransaction.objects.count() == 1
    assert selectors.account_balances(estate)["1001"] == D("380000.00")


def test_a_direct_posting_that_credits_the_bank_is_refused_even_when_covered(estate, ledger, cast):
    income(estate, "5000.00", DAY)
    with pytest.raises(ApplicationError) as err:
        services.transaction_post(
            estate=estate,
            date=DAY,
            memo="支付保洁费",
            voucher=voucher(),
            actor=cast["committee_member"],
            legs=[(ledger["5001"], D("100"), D("0")), (ledger["1001"], D("0"), D("100"))],
        )
    assert err.value.code == "payment_needs_request"
    assert LedgerTransaction.objects.count() == 1


def test_a_direct_posting_that_records_an_expense_is_refused(estate, ledger, cast):
    with pytest.raises(ApplicationError) as err:
        services.transaction_post(
            estate=estate,
            date=DAY,
            memo="广告收入与代扣税费",
            voucher=voucher(),
            actor=cast["committee_member"],
            legs=[
                (ledger["1001"], D("900"), D("0")),
                (ledger["5001"], D("100"), D("0")),
                (ledger["4001"], D("0"), D("1000")),
            ],
        )
    assert err.value.code == "payment_needs_request"
    assert not LedgerTransaction.objects.exists()


def test_a_direct_posting_of_income_into_the_bank_is_accepted(estate, ledger, cast):
    tx = services.transaction_post(
        estate=estate,
        date=DAY,
        memo="电梯广告收入",
        voucher=voucher(),
        actor=cast["committee_member"],
        legs=[(ledger["1001"], D("1000"), D("0")), (ledger["4001"], D("0"), D("1000"))],
    )
    assert tx.sequence == 1
    assert selectors.account_balances(estate)["1001"] == D("1000.00")


def test_reversing_income_that_has_since_been_spent_is_refused(estate, ledger, cast):
    first = income(estate, "1000.00", datetime.date(2026, 1, 5))
    # The only way money leaves: here, a reversal of a later income would be fine, but
    # reversing the first one after the bank dropped below it would overdraw.
    income(estate, "100.00", datetime.date(2026, 1, 6))
    services.transaction_reverse(
        transaction=estate.ledger_transactions.get(sequence=2), reason="录错", actor=cast["committee_member"]
    )
    _spend_directly(estate, ledger, D("950.00"))
    with pytest.raises(Conflict) as err:
        services.transaction_reverse(transaction=first, reason="退款", actor=cast["committee_member"])
    assert err.value.code == "insufficient_funds"
    assert selectors.account_balances(estate)["1001"] == D("50.00")


def _spend_directly(estate, ledger, amount):
    """A payment as the spending service posts it (the approvals are tested elsewhere)."""
    return ledger_services._post_entry(
        estate=estate,
        date=datetime.date(2026, 1, 7),
        memo="支付",
        voucher=voucher(),
        actor=SYSTEM,
        legs=[(ledger["5101"], amount, D("0")), (ledger["1001"], D("0"), amount)],
    )


@pytest.mark.postgres
def test_postgresql_refuses_a_raw_insert_that_would_overdraw_the_bank(estate, ledger):
    income(estate, "100.00", DAY)
    with pytest.raises(IntegrityError, match="negative"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO committees_ledgertransaction (estate_id, sequence, date, memo, voucher, voucher_sha256,"
            " recorded_at, reason, previous_hash, hash) VALUES (%s, 2, %s, 'x', '', '', now(), '', 'p', 'h')"
            " RETURNING id",
            [estate.pk, DAY],
        )
        (tx_id,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO committees_ledgerleg (transaction_id, account_id, debit, credit) VALUES"
            " (%s, %s, 500, 0), (%s, %s, 0, 500)",
            [tx_id, ledger["5101"].pk, tx_id, ledger["1001"].pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert LedgerTransaction.objects.count() == 1


@pytest.mark.postgres
def test_postgresql_refuses_a_payment_dated_before_the_money_came_in(estate, ledger):
    income(estate, "1000.00", DAY)
    with pytest.raises(IntegrityError, match="negative"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO committees_ledgertransaction (estate_id, sequence, date, memo, voucher, voucher_sha256,"
            " recorded_at, reason, previous_hash, hash) VALUES (%s, 2, %s, 'x', '', '', now(), '', 'p', 'h')"
            " RETURNING id",
            [estate.pk, DAY - datetime.timedelta(days=3)],
        )
        (tx_id,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO committees_ledgerleg (transaction_id, account_id, debit, credit) VALUES"
            " (%s, %s, 500, 0), (%s, %s, 0, 500)",
            [tx_id, ledger["5101"].pk, tx_id, ledger["1001"].pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


# Published statements pin the chain -----------------------------------------------------


@pytest.fixture
def published(estate, ledger, cast):
    income(estate, "3000.00", datetime.date(2026, 1, 5))
    big = income(estate, "15000.00", datetime.date(2026, 1, 20))
    income(estate, "800.00", datetime.date(2026, 2, 3))
    statement = services.statement_publish(
        estate=estate,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        actor=cast["committee_member"],
    )
    income(estate, "500.00", datetime.date(2026, 4, 2))
    return statement, big


def test_a_published_statement_records_the_chain_head_and_totals_it_covers(published):
    statement, _big = published
    last = LedgerTransaction.objects.get(estate=statement.estate, sequence=statement.last_sequence)
    assert statement.chain_head == last.hash
    assert statement.figures["income_total"] == "18800.00"


def test_verify_ledger_is_not_fooled_by_an_entry_changed_and_the_chain_re_hashed(estate, published):
    statement, big = published
    around_the_guards("UPDATE committees_ledgerleg SET debit = 1500 WHERE transaction_id = %s AND debit > 0", [big.pk])
    around_the_guards(
        "UPDATE committees_ledgerleg SET credit = 1500 WHERE transaction_id = %s AND credit > 0", [big.pk]
    )
    # Re-hash every entry from the changed one on, as an attacker who knows the digest would.
    previous = LedgerTransaction.objects.get(estate=estate, sequence=big.sequence - 1).hash
    for tx in LedgerTransaction.objects.filter(estate=estate, sequence__gte=big.sequence).order_by("sequence"):
        tx.previous_hash = previous
        legs = list(LedgerLeg.objects.filter(transaction=tx).order_by("pk"))
        new_hash = digest_of(tx, legs)
        around_the_guards(
            "UPDATE committees_ledgertransaction SET previous_hash = %s, hash = %s WHERE id = %s",
            [previous, new_hash, tx.pk],
        )
        previous = new_hash
    result = selectors.ledger_verify(estate)
    assert not result.ok
    assert "published statement" in result.problem
    assert result.broken_sequence == statement.last_sequence


def test_verify_ledger_passes_with_published_statements_on_an_intact_ledger(estate, published):
    assert selectors.ledger_verify(estate).ok


@pytest.mark.postgres
@pytest.mark.parametrize(
    "table",
    ["committees_ledgertransaction", "committees_ledgerleg", "committees_statement", "committees_spendingapproval"],
)
def test_postgresql_refuses_truncate_of_the_ledger_tables(estate, published, table):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        # Fire the deferred balance and funds checks of the fixture's entries first: PostgreSQL
        # refuses to truncate a table with pending trigger events, which would hide the answer.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL gongzhi.allow_truncate = 'off'")
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert Statement.objects.count() == 1 and LedgerTransaction.objects.count() == 4


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE committees_ledgerleg SET debit = debit + 1 WHERE transaction_id = %s AND debit > 0",
        "UPDATE committees_ledgertransaction SET memo = 'tampered' WHERE id = %s",
    ],
)
def test_the_database_itself_refuses_to_change_ledger_rows_on_any_engine(estate, ledger, cast, sql):
    tx = income(estate, "100.00", DAY)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [tx.pk])
    assert LedgerTransaction.objects.get(pk=tx.pk).memo == tx.memo
    assert {leg.debit for leg in tx.legs.all()} == {D("100.00"), D("0.00")}
