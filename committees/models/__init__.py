"""Owners' committees at work: terms, meetings, property companies, projects and the public-revenue ledger."""

from .base import AppendOnlyError
from .committee import CommitteeStatus, OwnersCommittee, SupervisionGroup
from .ledger import Account, AccountKind, LedgerLeg, LedgerTransaction, Statement
from .meetings import ROUTINE_LABEL, Decision, Meeting, MeetingAttachment, MeetingKind
from .projects import Project, ProjectMilestone
from .property import PerformanceNote, PropertyCompany, ServiceContract
from .spending import STAGE_ORDER, SpendingApproval, SpendingRequest, SpendingStatus, Stage

__all__ = [
    "ROUTINE_LABEL",
    "STAGE_ORDER",
    "Account",
    "AccountKind",
    "AppendOnlyError",
    "CommitteeStatus",
    "Decision",
    "LedgerLeg",
    "LedgerTransaction",
    "Meeting",
    "MeetingAttachment",
    "MeetingKind",
    "OwnersCommittee",
    "PerformanceNote",
    "Project",
    "ProjectMilestone",
    "PropertyCompany",
    "ServiceContract",
    "SpendingApproval",
    "SpendingRequest",
    "SpendingStatus",
    "Stage",
    "Statement",
    "SupervisionGroup",
]
