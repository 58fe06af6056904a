"""Oversight: the four musts, party and owners' supervision, legal oversight, petitions, self-management,
funds sent down, the district's reports and the notices that keep people on time."""

from .funds import FundAllocation
from .legal import Audit, AuditAction, AuditState, RevenueRules
from .notices import Notice, NoticeKind, NoticePreference
from .obligations import (
    Evidence,
    EvidenceSource,
    LedgerCheckRecord,
    Obligation,
    ObligationKind,
    ObligationState,
    SupervisionStage,
)
from .petitions import Petition, PetitionCategory, PetitionChannel, PetitionStatus, Satisfaction, mask_name
from .reports import Report, ReportFormat, ReportKind, ReportState
from .selfmanaged import BuildingHead, DutyKind, DutyRecord, DutyRoster, DutyShift, Volunteer
from .supervision import InterventionOpinion

__all__ = [
    "Audit",
    "AuditAction",
    "AuditState",
    "BuildingHead",
    "DutyKind",
    "DutyRecord",
    "DutyRoster",
    "DutyShift",
    "Evidence",
    "EvidenceSource",
    "FundAllocation",
    "InterventionOpinion",
    "LedgerCheckRecord",
    "Notice",
    "NoticeKind",
    "NoticePreference",
    "Obligation",
    "ObligationKind",
    "ObligationState",
    "Petition",
    "PetitionCategory",
    "PetitionChannel",
    "PetitionStatus",
    "Report",
    "ReportFormat",
    "ReportKind",
    "ReportState",
    "RevenueRules",
    "Satisfaction",
    "SupervisionStage",
    "Volunteer",
    "mask_name",
]
