"""Factories of the register: units, owners, ownerships, residents, party members, and register files."""

import datetime
import io
from decimal import Decimal

import factory

from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory
from residents import services
from residents.identifiers import make_credit_code, make_resident_id
from residents.models import Owner, OwnerKind, Ownership, PartyMember, PropertyUnit, Resident

LONG_AGO = datetime.date(2020, 1, 1)


class PropertyUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PropertyUnit

    building = None  # pass a building Place
    estate = factory.LazyAttribute(lambda o: o.building.estate)
    stairway = "1"
    room = factory.Sequence(lambda n: f"{n + 101}")
    registered_area = Decimal("100.00")
    surveyed_area = None
    contract_area = None
    area = factory.LazyAttribute(lambda o: o.registered_area or o.surveyed_area or o.contract_area)
    area_source = factory.LazyAttribute(
        lambda o: "registered" if o.registered_area else "surveyed" if o.surveyed_area else "contract"
    )


class PersonOwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Owner

    kind = OwnerKind.PERSON
    person = factory.SubFactory(PersonFactory)
    place = None  # pass an estate


class DeveloperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Owner

    kind = OwnerKind.ORGANIZATION
    org_name = "重庆南方房地产开发有限公司"
    is_developer = True
    credit_code = factory.Sequence(lambda n: make_credit_code(n + 1))
    place = None


class OwnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ownership

    start = LONG_AGO


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    person = factory.SubFactory(PersonFactory)
    relation = "owner"
    start = LONG_AGO


class PartyMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyMember

    person = factory.SubFactory(PersonFactory)
    in_service = True
    registered_on = LONG_AGO


def person_id(n: int) -> str:
    """A valid resident ID number, different for each ``n``."""
    return make_resident_id("500105", datetime.date(1960, 1, 1) + datetime.timedelta(days=n // 1000), n)


HEADER = (
    "building,stairway,room,use,area,area_source,delivered,owner_name,owner_id_number,owner_phone,is_developer,share"
)


def register_csv(rows: list[str], *, encoding: str = "utf-8", header: str = HEADER) -> io.BytesIO:
    """A register file from data lines (without the header)."""
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode(encoding))


def register_row(
    building="1栋",
    stairway="1",
    room="101",
    use="residential",
    area="89.50",
    source="registered",
    delivered="yes",
    name="张三",
    ident=None,
    phone="13800138000",
    developer="no",
    share="",
    n=1,
) -> str:
    ident = ident if ident is not None else person_id(n)
    return ",".join([building, stairway, room, use, area, source, delivered, name, ident, phone, developer, share])


def import_file(estate, fh, name: str = "register.csv", on: datetime.date | None = None):
    """Import a register file now, as a command does (``SYSTEM``); return the report and what changed."""
    return services.register_import_file(estate=estate, file=fh, name=name, on=on, actor=SYSTEM)
