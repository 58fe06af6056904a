import datetime
from decimal import Decimal

import pytest

from committees import selectors, services
from committees.models import MeetingKind, Stage, Statement
from committees.tests.factories import aware, committee, cost, income, voucher
from core.errors import ApplicationError, Conflict
from governance.scoping import SYSTEM

D = Decimal
Q1 = (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))


@pytest.fixture
def history(estate, ledger, cast):
    """Last year's closing cash, then a quarter of income, costs and one large approved spending."""
    services.ledger_open(
        estate=estate, actor=SYSTEM, opening_balance=D("50000.00"), on=datetime.date(2025, 12, 31), voucher=voucher()
    )
    for month in (1, 2, 3):
        income(estate, "3200.00", datetime.date(2026, month, 5), source="4002")
        income(estate, "1500.50", datetime.date(2026, month, 6), source="4001", memo="电梯广告")
    cost(estate, "820.00", datetime.date(2026, 3, 20), purpose="5001", memo="公共收益代收手续费")
    income(estate, "999.00", datetime.date(2026, 4, 2), source="4003")  # next quarter

    board = committee(estate, n=5)
    meeting = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="会议", held_at=aware(2026, 2, 1), actor=SYSTEM
    )
    services.meeting_record_attendance(meeting=meeting, attendees=[p.person for p in board.posts.all()], actor=SYSTEM)
    decision = services.decision_record(meeting=meeting, text="更换单元门禁", votes_for=5, actor=SYSTEM)
    request = services.spending_request_create(
        estate=estate,
        payee="门禁公司",
        purpose=ledger["5101"],
        amount=D("12000"),
        requested_on=datetime.date(2026, 2, 2),
        actor=cast["committee_member"],
    )
    services.spending_approve(
        request=request, stage=Stage.COMMITTEE, decision=decision, seen="纪要", actor=cast["committee_member"]
    )
    from residents.models import Owner

    supervisor = cast["resident"]
    owner = Owner.objects.create(person=supervisor.person, place=estate)
    services.supervision_group_create(
        estate=estate, term_start=datetime.date(2025, 1, 1), members=[owner], actor=SYSTEM
    )
    services.spending_approve(request=request, stage=Stage.SUPERVISION, seen="三家报价", actor=supervisor)
    services.spending_pay(
        request=request, date=datetime.date(2026, 2, 15), voucher=voucher(), actor=cast["committee_member"]
    )
    return request


def test_a_quarterly_statements_figures_match_the_entries(estate, history):
    figures = selectors.statement_figures(estate, *Q1)
    assert figures["opening_balance"] == "50000.00"
    assert {i["code"]: i["amount"] for i in figures["income"]} == {"4001": "4501.50", "4002": "9600.00"}
    assert figures["income_total"] == "14101.50"
    assert {s["code"]: s["amount"] for s in figures["spending"]} == {"5001": "820.00", "5101": "12000.00"}
    assert figures["spending_total"] == "12820.00"
    assert figures["closing_balance"] == "51281.50"
    assert figures["other_movements"] == "0.00"
    assert figures["transactions"] == 8  # six incomes, one cost, one payment
    [item] = figures["large_items"]
    assert (item["payee"], item["amount"]) == ("门禁公司", "12000.00")
    assert [a["stage"] for a in item["approvals"]] == ["committee", "supervision"]


def test_the_closing_balance_is_the_bank_balance_at_the_end_of_the_period(estate, history):
    figures = selectors.statement_figures(estate, *Q1)
    assert D(figures["closing_balance"]) == selectors.account_balances(estate, until=Q1[1])["1001"]


def test_a_published_statement_does_not_change_when_a_correction_is_posted_later(estate, history, cast):
    statement = services.statement_publish(
        estate=estate, period_start=Q1[0], period_end=Q1[1], actor=cast["committee_member"]
    )
    frozen = dict(statement.figures)
    wrong = estate.ledger_transactions.get(sequence=2)  # a parking income of Q1
    correction = services.transaction_reverse(transaction=wrong, reason="重复入账", actor=cast["committee_member"])
    assert correction.date > Q1[1]

    statement = Statement.objects.get(pk=statement.pk)
    assert statement.figures == frozen
    assert statement.figures_hash == selectors.figures_hash(frozen)
    assert selectors.statement_figures(estate, *Q1) == frozen
    later = selectors.statement_figures(estate, datetime.date(2026, 4, 1), correction.date)
    assert {i["code"]: i["amount"] for i in later["income"]}["4002"] == "-3200.00"


def test_a_published_statement_cannot_be_rewritten(estate, history, cast):
    statement = services.statement_publish(
        estate=estate, period_start=Q1[0], period_end=Q1[1], actor=cast["committee_member"]
    )
    with pytest.raises(Conflict):
        services.statement_publish(estate=estate, period_start=Q1[0], period_end=Q1[1], actor=cast["committee_member"])
    statement.figures = {}
    from committees.models import AppendOnlyError

    with pytest.raises(AppendOnlyError):
        statement.save()


def test_a_period_not_yet_over_cannot_be_published(estate, ledger, cast):
    start, end = selectors.quarter_of(datetime.date.today())
    with pytest.raises(ApplicationError) as err:
        services.statement_publish(estate=estate, period_start=start, period_end=end, actor=cast["committee_member"])
    assert err.value.code == "period_not_over"


def test_quarter_of_finds_the_quarter_bounds():
    assert selectors.quarter_of(datetime.date(2026, 11, 29)) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
    )
    assert selectors.previous_quarter(datetime.date(2026, 1, 15)) == (
        datetime.date(2025, 10, 1),
        datetime.date(2025, 12, 31),
    )
