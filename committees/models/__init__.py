"""Owners' committees at work: terms, meetings, property companies, projects and the public-revenue ledger."""

from .base import AppendOnlyError, Matter
from .committee import CommitteeStatus, OwnersCommittee, SupervisionGroup
from .ledger import Account, AccountKind, LedgerLeg, LedgerTransaction, Statement
from .meetings import Decision, Meeting, MeetingAttachment, MeetingKind
from .projects import Project
from .property import PerformanceNote, PropertyCompany, ServiceContract
from .spending import STAGE_ORDER, SpendingApproval, SpendingRequest, SpendingStatus, Stage

__all__ = [
    "STAGE_ORDER",
    "Account",
    "AccountKind",
    "AppendOnlyError",
    "CommitteeStatus",
    "Decision",
    "LedgerLeg",
    "LedgerTransaction",
    "Matter",
    "Meeting",
    "MeetingAttachment",
    "MeetingKind",
    "OwnersCommittee",
    "PerformanceNote",
    "Project",
    "PropertyCompany",
    "ServiceContract",
    "SpendingApproval",
    "SpendingRequest",
    "SpendingStatus",
    "Stage",
    "Statement",
    "SupervisionGroup",
]
