"""Legal oversight figures: which estates lack public-revenue rules, whose revenue calls for an audit."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Max, Q, Sum
from django.utils import timezone

from committees.models import AccountKind, LedgerLeg
from governance.models import Place, PlaceKind
from governance.rules import rule
from governance.scoping import subtree_q
from oversight.models import Audit, FundAllocation, RevenueRules

ZERO = Decimal("0.00")


def revenue_by_estate(place: Place, start: datetime.date, end: datetime.date) -> dict[int, dict[str, Decimal]]:
    """Public revenue (income net of reversals), funds received and spending of each estate under ``place``.

    Funds the community sends down are posted as income but are not revenue from the common
    parts: they are counted apart (``funds``) and left out of ``revenue``. Two queries.
    """
    legs = (
        LedgerLeg.objects.filter(
            subtree_q(place, "account__estate__"),
            transaction__date__gte=start,
            transaction__date__lte=end,
            account__kind__in=(AccountKind.INCOME, AccountKind.EXPENSE),
        )
        .values("account__estate_id")
        .annotate(
            income_c=Sum("credit", filter=Q(account__kind=AccountKind.INCOME)),
            income_d=Sum("debit", filter=Q(account__kind=AccountKind.INCOME)),
            spend_d=Sum("debit", filter=Q(account__kind=AccountKind.EXPENSE)),
            spend_c=Sum("credit", filter=Q(account__kind=AccountKind.EXPENSE)),
        )
        .order_by()
    )
    funds = dict(
        FundAllocation.objects.filter(subtree_q(place, "estate__"), posting__date__gte=start, posting__date__lte=end)
        .values("estate_id")
        .annotate(total=Sum("amount"))
        .values_list("estate_id", "total")
        .order_by()
    )
    figures = {}
    for row in legs:
        estate_id = row["account__estate_id"]
        received = funds.get(estate_id, ZERO)
        income = (row["income_c"] or ZERO) - (row["income_d"] or ZERO)
        figures[estate_id] = {
            "revenue": (income - received).quantize(ZERO),
            "funds": Decimal(received).quantize(ZERO),
            "spending": ((row["spend_d"] or ZERO) - (row["spend_c"] or ZERO)).quantize(ZERO),
        }
    return figures


def yearly_revenue(place: Place, year: int) -> dict[int, Decimal]:
    """Each estate's public revenue in calendar ``year``, from the ledger."""
    figures = revenue_by_estate(place, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    return {estate_id: f["revenue"] for estate_id, f in figures.items()}


def legal_oversight(place: Place, year: int) -> dict:
    """Per estate under ``place``: its rules in force (or none), its revenue in ``year``, whether an audit is due.

    An audit is required when the year's revenue exceeds ``AUDIT_REVENUE_THRESHOLD``, and due
    once the year is over if no audit covers the whole year. Five queries whatever the number of
    estates.
    """
    today = timezone.localdate()
    threshold = rule("AUDIT_REVENUE_THRESHOLD", place)
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    estates = list(Place.objects.filter(subtree_q(place), kind=PlaceKind.ESTATE).order_by("lft").values("id", "name"))
    latest_rules = dict(
        RevenueRules.objects.filter(subtree_q(place, "estate__"))
        .values("estate_id")
        .annotate(adopted=Max("adopted_on"))
        .values_list("estate_id", "adopted")
        .order_by()
    )
    revenue = yearly_revenue(place, year)
    audited = set(
        Audit.objects.filter(subtree_q(place, "estate__"), period_start__lte=first, period_end__gte=last).values_list(
            "estate_id", flat=True
        )
    )
    rows = []
    for estate in estates:
        income = revenue.get(estate["id"], ZERO)
        required = income > threshold
        # An audit of a year falls due once the year is over.
        due = required and year < today.year and estate["id"] not in audited
        rows.append(
            {
                "estate": estate,
                "rules_adopted_on": latest_rules[estate["id"]].isoformat() if estate["id"] in latest_rules else None,
                "has_rules": estate["id"] in latest_rules,
                "revenue": str(income),
                "audit_required": required,
                "audited": estate["id"] in audited,
                "audit_due": due,
            }
        )
    return {
        "place": {"id": place.pk, "name": place.name},
        "year": year,
        "audit_threshold": str(threshold),
        "estates": rows,
        "without_rules": [r["estate"] for r in rows if not r["has_rules"]],
        "audits_due": [r["estate"] for r in rows if r["audit_due"]],
    }
