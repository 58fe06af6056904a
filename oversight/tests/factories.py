"""Factories of the oversight layer: files, meetings and ledgers built through the lower layers' services."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from committees import services as committees_services
from committees.models import MeetingKind
from governance.scoping import SYSTEM

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf(name: str = "document.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 oversight test document", content_type="application/pdf")


def photo(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def aware(day: datetime.date, hour: int = 19) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def assembly(estate, day: datetime.date, title: str = "业主大会"):
    """An owners' assembly meeting (needs no committee) held on ``day``."""
    return committees_services.meeting_create(
        estate=estate, kind=MeetingKind.ASSEMBLY, title=title, held_at=aware(day), actor=SYSTEM
    )


def ledger(estate, *, entries: list[tuple[datetime.date, str]] = ()):
    """Open the estate's ledger and record parking income on the given days."""
    committees_services.ledger_open(estate=estate, actor=SYSTEM)
    return [
        committees_services.income_record(
            estate=estate,
            source="4002",
            amount=Decimal(amount),
            date=day,
            memo="停车收入",
            voucher=pdf("receipt.pdf"),
            actor=SYSTEM,
        )
        for day, amount in entries
    ]


def fresh(place):
    """The place as stored now: tree bounds held in memory go stale as the tree grows."""
    place.refresh_from_db()
    return place
