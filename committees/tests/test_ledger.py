import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from committees import selectors, services
from committees.models import AppendOnlyError, LedgerLeg, LedgerTransaction
from committees.tests.factories import around_the_guards, cost, income, voucher
from core.errors import ApplicationError, Conflict
from governance.scoping import SYSTEM

D = Decimal
DAY = datetime.date(2026, 2, 10)


def test_every_posted_transaction_has_debits_equal_to_credits(estate, ledger, cast):
    income(estate, "1200.50", DAY)
    cost(estate, "300.25", DAY)
    services.transaction_post(
        estate=estate,
        date=DAY,
        memo="广告与场地收入一并到账",
        voucher=voucher(),
        actor=cast["committee_member"],
        legs=[
            (ledger["1001"], D("1000"), D("0")),
            (ledger["4001"], D("0"), D("900")),
            (ledger["4003"], D("0"), D("100")),
        ],
    )
    for tx in LedgerTransaction.objects.filter(estate=estate):
        legs = list(tx.legs.all())
        assert sum(leg.debit for leg in legs) == sum(leg.credit for leg in legs) > 0


def test_an_unbalanced_transaction_is_refused_and_nothing_is_written(estate, ledger, cast):
    with pytest.raises(ApplicationError) as err:
        services.transaction_post(
            estate=estate,
            date=DAY,
            memo="错账",
            voucher=voucher(),
            actor=cast["committee_member"],
            legs=[(ledger["1001"], D("100.00"), D("0")), (ledger["4002"], D("0"), D("99.99"))],
        )
    assert err.value.code == "unbalanced"
    assert not LedgerTransaction.objects.exists()


def test_amounts_below_one_fen_are_refused(estate, ledger, cast):
    with pytest.raises(ApplicationError) as err:
        services.transaction_post(
            estate=estate,
            date=DAY,
            memo="分以下",
            voucher=voucher(),
            actor=cast["committee_member"],
            legs=[(ledger["1001"], D("1.005"), D("0")), (ledger["4002"], D("0"), D("1.005"))],
        )
    assert err.value.code == "sub_fen_amount"


def test_an_entry_without_a_voucher_is_refused(estate, ledger, cast):
    with pytest.raises(ApplicationError) as err:
        services.income_record(
            estate=estate,
            source="4002",
            amount=D("10"),
            date=DAY,
            memo="无凭证",
            voucher=None,
            actor=cast["committee_member"],
        )
    assert err.value.code == "voucher_required"


def test_the_orm_refuses_to_update_a_recorded_transaction(estate, ledger):
    tx = income(estate, "500", DAY)
    tx.memo = "改过的摘要"
    with pytest.raises(AppendOnlyError):
        tx.save()
    with pytest.raises(AppendOnlyError):
        LedgerTransaction.objects.filter(pk=tx.pk).update(memo="改过的摘要")
    with pytest.raises(AppendOnlyError):
        LedgerLeg.objects.filter(transaction=tx).update(debit=D("1"))


def test_the_orm_refuses_to_delete_a_transaction_or_a_leg(estate, ledger):
    tx = income(estate, "500", DAY)
    with pytest.raises(AppendOnlyError):
        tx.delete()
    with pytest.raises(AppendOnlyError):
        LedgerTransaction.objects.filter(pk=tx.pk).delete()
    with pytest.raises(AppendOnlyError):
        tx.legs.first().delete()
    assert LedgerTransaction.objects.filter(pk=tx.pk).exists()


@pytest.mark.postgres
def test_postgresql_refuses_a_raw_update_of_a_transaction(estate, ledger):
    tx = income(estate, "500", DAY)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE committees_ledgertransaction SET memo = 'tampered' WHERE id = %s", [tx.pk])


@pytest.mark.postgres
def test_postgresql_refuses_a_raw_update_or_delete_of_a_leg(estate, ledger):
    tx = income(estate, "500", DAY)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE committees_ledgerleg SET debit = 1 WHERE transaction_id = %s AND debit > 0", [tx.pk])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM committees_ledgerleg WHERE transaction_id = %s", [tx.pk])


@pytest.mark.postgres
def test_postgresql_refuses_an_unbalanced_transaction_written_by_raw_sql(estate, ledger):
    tx = income(estate, "500", DAY)
    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO committees_ledgerleg (transaction_id, account_id, debit, credit) VALUES (%s, %s, 10, 0)",
            [tx.pk, ledger["1001"].pk],
        )
        # The balance trigger is deferred to commit; make it fire now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_reversing_entry_restores_the_balances(estate, ledger, cast):
    income(estate, "800", DAY)
    wrong = cost(estate, "250", DAY)
    before = selectors.account_balances(estate)
    reversal = services.transaction_reverse(transaction=wrong, reason="重复记账", actor=cast["committee_member"])
    after = selectors.account_balances(estate)
    assert reversal.reverses == wrong
    assert reversal.reason == "重复记账"
    assert after["1001"] == before["1001"] + D("250") == D("800.00")
    assert after["5001"] == D("0.00")
    assert LedgerTransaction.objects.get(pk=wrong.pk).memo == wrong.memo


def test_a_reversal_needs_a_reason_and_happens_once(estate, ledger, cast):
    tx = income(estate, "100", DAY)
    with pytest.raises(ApplicationError):
        services.transaction_reverse(transaction=tx, reason="  ", actor=cast["committee_member"])
    services.transaction_reverse(transaction=tx, reason="收款退回", actor=cast["committee_member"])
    with pytest.raises(Conflict):
        services.transaction_reverse(transaction=tx, reason="再退一次", actor=cast["committee_member"])


def test_entries_are_numbered_and_chained_by_hash(estate, ledger):
    first = income(estate, "100", DAY)
    second = income(estate, "200", DAY)
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.previous_hash == first.hash
    assert selectors.ledger_verify(estate).ok


def test_verify_ledger_passes_on_an_intact_ledger(estate, ledger, capsys):
    income(estate, "100", DAY)
    call_command("verify_ledger", str(estate.pk))
    assert "intact" in capsys.readouterr().out


def test_verify_ledger_finds_an_entry_altered_in_the_database(estate, ledger):
    income(estate, "100", DAY)
    tampered = income(estate, "200", DAY)
    income(estate, "300", DAY)
    # Go around the model and the triggers, as an attacker with database access would: the chain still tells.
    around_the_guards(
        "UPDATE committees_ledgerleg SET credit = 20 WHERE transaction_id = %s AND credit > 0", [tampered.pk]
    )
    around_the_guards(
        "UPDATE committees_ledgerleg SET debit = 20 WHERE transaction_id = %s AND debit > 0", [tampered.pk]
    )
    result = selectors.ledger_verify(estate)
    assert (result.ok, result.broken_sequence, result.checked) == (False, 2, 1)
    with pytest.raises(CommandError, match="#2"):
        call_command("verify_ledger", str(estate.pk))


def test_a_date_in_a_published_period_is_refused(estate, ledger, cast):
    income(estate, "100", datetime.date(2026, 1, 5))
    services.statement_publish(
        estate=estate,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        actor=cast["committee_member"],
    )
    with pytest.raises(Conflict) as err:
        income(estate, "50", datetime.date(2026, 3, 30))
    assert err.value.code == "period_closed"


def test_verify_ledger_finds_entries_cut_from_the_end_of_the_chain(estate, ledger):
    income(estate, "100", DAY)
    last = income(estate, "200", DAY)
    around_the_guards("DELETE FROM committees_ledgerleg WHERE transaction_id = %s", [last.pk])
    around_the_guards("DELETE FROM committees_ledgertransaction WHERE id = %s", [last.pk])
    result = selectors.ledger_verify(estate)
    assert (result.ok, result.broken_sequence) == (False, 2)
    assert "audit trail" in result.problem


def test_verify_ledger_finds_a_voucher_file_replaced_on_disk(estate, ledger):
    tx = income(estate, "100", DAY)
    with open(tx.voucher.path, "wb") as handle:
        handle.write(b"a different receipt")
    assert selectors.ledger_verify(estate).ok  # the chain alone does not read files
    result = selectors.ledger_verify(estate, check_vouchers=True)
    assert (result.ok, result.broken_sequence, result.problem) == (False, 1, "voucher file does not match its digest")
    with pytest.raises(CommandError, match="voucher"):
        call_command("verify_ledger", str(estate.pk), "--vouchers")


@pytest.mark.postgres
def test_postgresql_refuses_a_raw_update_of_a_published_statement(estate, ledger, cast):
    income(estate, "100", datetime.date(2026, 1, 5))
    statement = services.statement_publish(
        estate=estate, period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 3, 31), actor=SYSTEM
    )
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE committees_statement SET figures = '{}' WHERE id = %s", [statement.pk])
