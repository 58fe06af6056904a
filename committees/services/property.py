"""Property-service companies, their contracts with estates, and notes on how they served."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from committees.events import CommitteesEvent
from committees.models import PerformanceNote, PropertyCompany, ServiceContract
from core.errors import ApplicationError, Conflict
from governance.audit import apply_changes, audit_record
from governance.models import Organization, OrgFunction, OrgKind, Place
from governance.scoping import Action, acting_user, require

from ._shared import require_estate

COMPANY_FIELDS = ("contact", "credit_code", "party_branch")


def _check_company_branch(branch: Organization | None) -> None:
    if branch is not None and (
        branch.kind != OrgKind.FUNCTIONAL_BRANCH or branch.function != OrgFunction.PROPERTY_COMPANY
    ):
        raise ApplicationError(_("“%(name)s”不是物业党支部。") % {"name": branch.name}, code="wrong_branch")


@transaction.atomic
def property_company_create(
    *,
    name: str,
    place: Place,
    actor,
    credit_code: str = "",
    contact: str = "",
    party_branch: Organization | None = None,
) -> PropertyCompany:
    """Register a property-service company where it is registered (a street or community) and its party branch."""
    require(actor, Action.CHANGE, place)
    if PropertyCompany.objects.filter(name=name.strip()).exists():
        raise Conflict(_("已登记名为“%(name)s”的物业企业。") % {"name": name}, code="duplicate_name")
    _check_company_branch(party_branch)
    company = PropertyCompany.objects.create(
        name=name.strip(),
        place=place,
        credit_code=credit_code.strip().upper(),
        contact=contact,
        party_branch=party_branch,
    )
    audit_record(
        actor=actor, action=CommitteesEvent.PROPERTY_COMPANY_CREATE, obj=company, place=place, summary=company.name
    )
    return company


@transaction.atomic
def property_company_update(*, company: PropertyCompany, actor, **fields) -> PropertyCompany:
    """Change a company's contact, credit code or party branch (by those who may change where it is registered)."""
    require(actor, Action.CHANGE, company.place)
    unknown = set(fields) - set(COMPANY_FIELDS)
    if unknown:
        raise ApplicationError(
            _("不能修改：%(fields)s。") % {"fields": "、".join(sorted(unknown))}, code="read_only_field"
        )
    _check_company_branch(fields.get("party_branch"))
    if "credit_code" in fields:
        fields["credit_code"] = (fields["credit_code"] or "").strip().upper()
    changes = apply_changes(company, fields)
    company.save(update_fields=list(changes))
    audit_record(
        actor=actor,
        action=CommitteesEvent.PROPERTY_COMPANY_UPDATE,
        obj=company,
        place=company.place,
        summary=company.name,
        changes=changes,
    )
    return company


@transaction.atomic
def service_contract_create(
    *,
    estate: Place,
    company: PropertyCompany,
    start: datetime.date,
    end: datetime.date,
    fee_per_m2_month: Decimal,
    actor,
    notes: str = "",
) -> ServiceContract:
    """Record the estate's service contract with a property company."""
    require(actor, Action.CHANGE, estate)
    require_estate(estate)
    if end <= start:
        raise ApplicationError(_("合同结束日期须晚于开始日期。"), code="end_before_start")
    if fee_per_m2_month < 0:
        raise ApplicationError(_("物业费不能为负。"), code="negative_fee")
    overlapping = ServiceContract.objects.filter(estate=estate, start__lt=end, end__gt=start)
    if overlapping.exists():
        raise Conflict(_("该小区在这段时间已有物业服务合同。"), code="overlapping_contract")
    contract = ServiceContract.objects.create(
        estate=estate, company=company, start=start, end=end, fee_per_m2_month=fee_per_m2_month, notes=notes
    )
    audit_record(
        actor=actor, action=CommitteesEvent.SERVICE_CONTRACT_CREATE, obj=contract, place=estate, summary=str(contract)
    )
    return contract


@transaction.atomic
def performance_note_create(
    *, contract: ServiceContract, noted_on: datetime.date, text: str, actor, rating: int | None = None
) -> PerformanceNote:
    """Note how the property company served the estate."""
    require(actor, Action.CHANGE, contract.estate)
    if rating is not None and not 1 <= rating <= 5:
        raise ApplicationError(_("评分应在1到5之间。"), code="bad_rating")
    note = PerformanceNote.objects.create(
        contract=contract,
        noted_on=noted_on,
        text=text.strip(),
        rating=rating,
        author=acting_user(actor),
    )
    audit_record(actor=actor, action=CommitteesEvent.PERFORMANCE_NOTE_CREATE, obj=note, place=contract.estate)
    return note
