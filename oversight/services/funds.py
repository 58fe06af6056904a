"""Community service funds sent down to estates (下拨), and the property-management commissioner of each estate.

Who may do what: a community allocates its funds (``change`` at the community: its secretary,
the street); the allocation is posted on the estate's public-revenue ledger through the
committees layer's own ledger service, so the ledger's rules (voucher, hash chain, closed
periods) hold for it, and its use goes through the same spending approvals and statements.
The community appoints the commissioner of each of its estates from among its own cadres.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from committees import services as committees_services
from committees.models import Account, AccountKind
from committees.models.base import FEN
from core.errors import ApplicationError
from governance import services as governance_services
from governance.audit import audit_record
from governance.models import Person, Place, PlaceKind, Post, PostBody, PostKind
from governance.scoping import Action, acting_user, require
from oversight.events import OversightEvent
from oversight.models import FundAllocation

DAY = datetime.timedelta(days=1)
# The income account funds sent down are posted to: its own account where the estate's chart has one,
# else "other income" (see docs/oversight.md: the chart of accounts lacks a fund account today).
FUND_INCOME_CODE = "4101"
OTHER_INCOME_CODE = "4009"


def fund_income_account(estate: Place) -> Account:
    """The income account of the estate's ledger that receives funds sent down."""
    accounts = {
        a.code: a
        for a in Account.objects.filter(
            estate=estate, code__in=(FUND_INCOME_CODE, OTHER_INCOME_CODE), kind=AccountKind.INCOME
        )
    }
    found = accounts.get(FUND_INCOME_CODE) or accounts.get(OTHER_INCOME_CODE)
    if found is None:
        raise ApplicationError(
            _("“%(name)s”尚未建立公共收益账簿，请先建账再下拨资金。") % {"name": estate.name}, code="no_ledger"
        )
    return found


@transaction.atomic
def fund_allocate(
    *,
    community: Place,
    estate: Place,
    amount: Decimal,
    purpose: str,
    voucher,
    actor,
    allocated_on: datetime.date | None = None,
) -> FundAllocation:
    """Send part of a community's public-service funds down to one of its estates, posted on the estate's ledger."""
    if community.kind != PlaceKind.COMMUNITY:
        raise ApplicationError(_("下拨资金须由社区下拨。"), code="not_a_community")
    if estate.kind != PlaceKind.ESTATE or estate.parent_id != community.pk:
        raise ApplicationError(
            _("“%(estate)s”不是“%(community)s”的小区。") % {"estate": estate.name, "community": community.name},
            code="foreign_estate",
        )
    require(actor, Action.CHANGE, community, message=_("只有社区和街道的工作人员可以下拨社区资金。"))
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(FEN):
        raise ApplicationError(_("金额须为正数，最小单位为分。"), code="bad_amount")
    if not purpose.strip():
        raise ApplicationError(_("请写明资金用途。"), code="purpose_required")
    allocated_on = allocated_on or timezone.localdate()
    source = fund_income_account(estate)
    posting = committees_services.income_record(
        estate=estate,
        source=source.code,
        amount=amount,
        date=allocated_on,
        memo=(_("社区下拨资金（%(community)s）：%(purpose)s") % {"community": community.name, "purpose": purpose})[
            :300
        ],
        voucher=voucher,
        actor=actor,
    )
    allocation = FundAllocation.objects.create(
        community=community,
        estate=estate,
        amount=amount,
        purpose=purpose.strip(),
        allocated_on=allocated_on,
        posting=posting,
        allocated_by=acting_user(actor),
    )
    audit_record(
        actor=actor,
        action=OversightEvent.FUND_ALLOCATE,
        obj=allocation,
        place=estate,
        summary=str(allocation),
        data={"amount": amount, "ledger_sequence": posting.sequence, "account": source.code},
    )
    return allocation


def _is_community_cadre(person: Person, community: Place, on: datetime.date) -> bool:
    return (
        Post.objects.current(on)
        .filter(person=person)
        .filter(
            Q(place=community, body__in=(PostBody.COMMUNITY_STAFF, PostBody.RESIDENTS_COMMITTEE))
            | Q(body=PostBody.PARTY, organization__place=community)
        )
        .exists()
    )


@transaction.atomic
def commissioner_appoint(*, estate: Place, person: Person, actor, start: datetime.date | None = None) -> Post:
    """Make a community cadre the estate's property-management commissioner (物业管理专员).

    The previous commissioner's post at the estate ends the day before.
    """
    if estate.kind != PlaceKind.ESTATE:
        raise ApplicationError(_("“%(name)s”不是小区。") % {"name": estate.name}, code="not_an_estate")
    community = estate.parent
    require(actor, Action.CHANGE, community, message=_("只有社区和街道的工作人员可以任命物业管理专员。"))
    start = start or timezone.localdate()
    if not _is_community_cadre(person, community, start):
        raise ApplicationError(
            _("%(name)s 不是“%(community)s”的社区干部，不能担任物业管理专员。")
            % {"name": person.name, "community": community.name},
            code="not_a_cadre",
        )
    current = list(
        Post.objects.current(start).filter(place=estate, kind=PostKind.PROPERTY_COMMISSIONER).select_for_update()
    )
    if any(post.person_id == person.pk for post in current):
        raise ApplicationError(_("%(name)s 已是该小区的物业管理专员。") % {"name": person.name}, code="already_holds")
    for post in current:
        governance_services.post_end(post=post, end=max(start - DAY, post.start or start - DAY), actor=actor)
    post = governance_services.post_create(
        person=person,
        kind=PostKind.PROPERTY_COMMISSIONER,
        body=PostBody.COMMUNITY_STAFF,
        place=estate,
        start=start,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action=OversightEvent.COMMISSIONER_APPOINT,
        obj=post,
        place=estate,
        summary=f"{estate.name} · {person.name}",
        data={"previous": [p.person_id for p in current]},
    )
    return post
