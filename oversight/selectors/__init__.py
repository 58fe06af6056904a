"""Reads of the oversight layer that are more than one queryset call."""

from .compliance import compliance
from .early_warning import early_warning
from .funds import commissioners, fund_allocations
from .legal import legal_oversight, yearly_revenue
from .petitions import petition_shares
from .queues import UNDECIDED_VOTE, project_accepted_on, supervision_queues
from .selfmanaged import duty_gaps

__all__ = [
    "UNDECIDED_VOTE",
    "commissioners",
    "compliance",
    "duty_gaps",
    "early_warning",
    "fund_allocations",
    "legal_oversight",
    "petition_shares",
    "project_accepted_on",
    "supervision_queues",
    "yearly_revenue",
]
