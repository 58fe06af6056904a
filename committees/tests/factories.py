"""Factories of the committees layer; writes go through the services so their rules hold."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from committees import services
from governance.models import PostKind
from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory


def voucher(name: str = "receipt.pdf", content: bytes = b"%PDF-1.4 receipt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def people(n: int, place=None):
    return [PersonFactory(place=place) for _ in range(n)]


def committee(estate, *, n: int = 7, term_start=datetime.date(2024, 1, 1), actor=SYSTEM, members=None, **extra):
    members = members or people(n, estate)
    kinds = [PostKind.CHAIR] + [PostKind.MEMBER] * (len(members) - 1)
    return services.committee_record(
        estate=estate, term_start=term_start, members=list(zip(members, kinds, strict=True)), actor=actor, **extra
    )


def income(estate, amount, date, *, source="4002", actor=SYSTEM, memo="停车收入"):
    return services.income_record(
        estate=estate, source=source, amount=Decimal(amount), date=date, memo=memo, voucher=voucher(), actor=actor
    )


def cost(estate, amount, date, *, purpose="5001", actor=SYSTEM, memo="保洁费用"):
    return services.cost_record(
        estate=estate, purpose=purpose, amount=Decimal(amount), date=date, memo=memo, voucher=voucher(), actor=actor
    )


def aware(year, month, day, hour=19):
    return timezone.make_aware(datetime.datetime(year, month, day, hour))
