"""A city-scale simulation: 20 districts, 3,000 estates, 3,000,000 units, and a few years of their life.

Everything goes in through the platform's own bulk paths and services: the place trees with
``build_tree_nodes`` and ``bulk_create``, the registers with ``COPY`` (``bench.generate``); each
estate's public-revenue ledger through the committees services (opening balance and a year of
quarterly parking income, each entry with its voucher, hash-chained), the quarterly spot-check
obligations the oversight services raise from that ledger, three years of petitions with
``COPY``, and a resolution vote per estate held last month (``bench.votes``: the roll frozen and the
tally run by the elections services, the ballots chained as the platform chains them). ``scale``
shrinks the city for CI.
"""

from __future__ import annotations

import dataclasses
import datetime
import time
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from bench.generate import CITY_DISTRICT, District, Shape, find_district, generate_district
from bench.votes import vote_in_estates
from committees.services import ledger as ledger_services
from core.bulk import copy_rows
from governance.models import Place, PlaceKind
from governance.scoping import SYSTEM
from oversight.models import Petition
from oversight.models.petitions import PetitionCategory, PetitionChannel, PetitionStatus
from oversight.services.obligations import obligations_for_spot_checks

CITY_DISTRICTS = 20
# The smallest PDF the upload checks accept as a voucher.
VOUCHER = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PETITION_YEARS = 3


def votes_close(today: datetime.date) -> datetime.datetime:
    """When the city's votes closed: at 18:00 on the 15th of last month."""
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(last_month.replace(day=15), datetime.time(18)))


@dataclasses.dataclass
class City:
    prefix: str
    districts: list[District]
    seconds: dict[str, float]

    @property
    def estates(self) -> int:
        return sum(len(d.estate_ids) for d in self.districts)

    @property
    def units(self) -> int:
        return sum(d.units for d in self.districts)


def city_shape(scale: float) -> tuple[int, Shape]:
    """The number of districts and each one's shape at ``scale`` (1: the full city)."""
    if scale >= 1:
        return CITY_DISTRICTS, CITY_DISTRICT
    districts = max(2, round(CITY_DISTRICTS * scale**0.5))
    return districts, CITY_DISTRICT.scaled(scale**0.5)


def _ledgers(estate_ids: list[int], today: datetime.date) -> int:
    """Open each estate's ledger with a balance and post a year of quarterly parking income; return the entries."""
    entries = 0
    start = datetime.date(today.year - 1, 1, 1)
    for estate in Place.objects.filter(pk__in=estate_ids).order_by("pk"):
        with transaction.atomic():
            ledger_services.ledger_open(
                estate=estate,
                actor=SYSTEM,
                opening_balance=Decimal("50000.00"),
                on=start,
                voucher=ContentFile(VOUCHER, name="opening.pdf"),
            )
            for quarter in range(4):
                ledger_services.income_record(
                    estate=estate,
                    source="4002",
                    amount=Decimal(12000 + (estate.pk * 37 + quarter * 911) % 9000),
                    date=datetime.date(start.year, 3 * quarter + 3, 28),
                    memo=f"停车收入 {start.year} 年第 {quarter + 1} 季度",
                    voucher=ContentFile(VOUCHER, name="parking.pdf"),
                    actor=SYSTEM,
                )
            obligations_for_spot_checks(estate=estate, actor=SYSTEM, today=today)
        entries += 5
    return entries


def _petitions(estate_ids: list[int], today: datetime.date) -> int:
    """COPY three years of petitions: a few a year per estate, one in three about property management."""
    categories = list(PetitionCategory.values)
    channels = list(PetitionChannel.values)
    now = timezone.now()
    rows = []
    for n, estate_id in enumerate(estate_ids):
        for k in range(3 * PETITION_YEARS + n % 4):
            received = today - datetime.timedelta(days=(estate_id * 13 + k * 97) % (365 * PETITION_YEARS))
            category = PetitionCategory.PROPERTY if k % 3 == 0 else categories[(estate_id + k) % len(categories)]
            rows.append(
                (
                    received,
                    estate_id,
                    category,
                    channels[k % len(channels)],
                    "模拟信访：物业服务与公共收益" if category == PetitionCategory.PROPERTY else "模拟信访",
                    PetitionStatus.RECEIVED,
                    now,
                )
            )
    return copy_rows(
        Petition, ["received_on", "place_id", "category", "channel", "summary", "status", "created_at"], rows
    )


def generate_city(prefix: str, scale: float = 1.0, *, log=print, votes: bool = True) -> City:
    """Generate (or find, from an earlier run) the city named ``prefix``; return it with the time of each part."""
    count, shape = city_shape(scale)
    today = timezone.localdate()
    seconds = {"register": 0.0, "ledgers": 0.0, "petitions": 0.0, "votes": 0.0}
    districts = []
    for d in range(count):
        name = f"{prefix}·{d + 1:02d}区"
        found = find_district(name)
        if found is not None:
            districts.append(found)
            continue
        started = time.perf_counter()
        district = generate_district(name, shape)
        seconds["register"] += time.perf_counter() - started
        started = time.perf_counter()
        entries = _ledgers(district.estate_ids, today)
        seconds["ledgers"] += time.perf_counter() - started
        started = time.perf_counter()
        petitions = _petitions(district.estate_ids, today)
        seconds["petitions"] += time.perf_counter() - started
        ballots = 0
        if votes:
            started = time.perf_counter()
            ballots = vote_in_estates(district.estate_ids, closes_at=votes_close(today))
            seconds["votes"] += time.perf_counter() - started
        districts.append(district)
        log(
            f"  {name}: {len(district.estate_ids)} estates, {district.units:,} units, {entries:,} ledger entries, "
            f"{petitions:,} petitions, {ballots:,} ballots"
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return City(prefix=prefix, districts=districts, seconds=seconds)


def database_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]


def city_roots(prefix: str) -> list[Place]:
    return list(
        Place.objects.filter(parent__isnull=True, kind=PlaceKind.DISTRICT, name__startswith=prefix).order_by("name")
    )
