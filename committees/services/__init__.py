"""Writes of the committees layer, one module per concern, re-exported here.

Every function is the one way its use case happens: the API, the admin, the web pages, the
management commands, the demo and the signal receivers all call it. Each takes the acting
user (``actor``) and checks the right itself (``governance.scoping.require``); code that no
person drives passes ``SYSTEM``.

- ``committees``: owners' committees, their posts, filing and end; supervision groups;
- ``meetings``: meetings, attendance, minutes, attachments, decisions;
- ``property``: property companies, service contracts, performance notes;
- ``projects``: projects, their start, milestones and acceptance;
- ``ledger``: the chart of accounts, income, reversals, the chain check, vouchers;
- ``spending``: spending requests, their approvals and payment;
- ``statements``: the published statements.
"""

from .committees import (
    COMMITTEE_KINDS,
    committee_assign_post,
    committee_end,
    committee_file,
    committee_record,
    committee_record_from_election,
    supervision_group_create,
)
from .ledger import (
    BANK,
    CHART,
    OPENING,
    account,
    income_record,
    ledger_check,
    ledger_open,
    transaction_post,
    transaction_reverse,
    voucher_open,
)
from .meetings import (
    committee_meeting_outcome,
    decision_record,
    meeting_attach,
    meeting_create,
    meeting_publish_minutes,
    meeting_record_attendance,
    meeting_record_minutes,
)
from .projects import (
    PROJECT_FIELDS,
    project_accept,
    project_create,
    project_milestone_add,
    project_milestone_reach,
    project_start,
    project_update,
)
from .property import (
    COMPANY_FIELDS,
    performance_note_create,
    property_company_create,
    property_company_update,
    service_contract_create,
)
from .spending import spending_approve, spending_object, spending_pay, spending_request_create
from .statements import statement_publish

__all__ = [
    "BANK",
    "CHART",
    "COMMITTEE_KINDS",
    "COMPANY_FIELDS",
    "OPENING",
    "PROJECT_FIELDS",
    "account",
    "committee_assign_post",
    "committee_end",
    "committee_file",
    "committee_meeting_outcome",
    "committee_record",
    "committee_record_from_election",
    "decision_record",
    "income_record",
    "ledger_check",
    "ledger_open",
    "meeting_attach",
    "meeting_create",
    "meeting_publish_minutes",
    "meeting_record_attendance",
    "meeting_record_minutes",
    "performance_note_create",
    "project_accept",
    "project_create",
    "project_milestone_add",
    "project_milestone_reach",
    "project_start",
    "project_update",
    "property_company_create",
    "property_company_update",
    "service_contract_create",
    "spending_approve",
    "spending_object",
    "spending_pay",
    "spending_request_create",
    "statement_publish",
    "supervision_group_create",
    "transaction_post",
    "transaction_reverse",
    "voucher_open",
]
