"""Publishing the quarterly statement of an estate's public revenue to its owners."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from committees import selectors
from committees.chain import GENESIS
from committees.events import CommitteesEvent
from committees.models import LedgerTransaction, Statement
from core.errors import ApplicationError, Conflict
from governance.audit import audit_record
from governance.models import Place
from governance.scoping import Action, acting_user, require

from ._shared import require_estate
from .ledger import closed_until, lock_ledger


@transaction.atomic
def statement_publish(*, estate: Place, period_start: datetime.date, period_end: datetime.date, actor) -> Statement:
    """Publish the statement of a period that has ended; its figures are frozen from then on.

    The statement records the totals it shows and the hash of the last entry it covers
    (``chain_head``): ``verify_ledger`` checks the ledger against both for ever after, and
    nothing may be dated inside the period any more.
    """
    require(actor, Action.CHANGE, estate)
    require_estate(estate)
    if period_end < period_start:
        raise ApplicationError(_("期间结束日期不能早于开始日期。"), code="bad_period")
    if period_end >= timezone.localdate():
        raise ApplicationError(_("只能公开已经结束的期间。"), code="period_not_over")
    lock_ledger(estate)
    closed = closed_until(estate)
    if closed and period_start <= closed:
        raise Conflict(
            _("%(closed)s 以前的收支已公开；新的报表须从其后一天开始。") % {"closed": closed}, code="overlapping_period"
        )
    figures = selectors.statement_figures(estate, period_start, period_end)
    last_sequence = figures["last_sequence"]
    chain_head = (
        LedgerTransaction.objects.filter(estate=estate, sequence=last_sequence).values_list("hash", flat=True).first()
        if last_sequence
        else GENESIS
    )
    statement = Statement.objects.create(
        estate=estate,
        period_start=period_start,
        period_end=period_end,
        figures=figures,
        figures_hash=selectors.figures_hash(figures),
        last_sequence=last_sequence,
        chain_head=chain_head,
        published_at=timezone.now(),
        published_by=acting_user(actor),
    )
    audit_record(
        actor=actor,
        action=CommitteesEvent.STATEMENT_PUBLISH,
        obj=statement,
        place=estate,
        summary=str(statement),
        data={"hash": statement.figures_hash, "chain_head": chain_head, "last_sequence": last_sequence},
    )
    return statement
