"""Factories of the committees layer; writes go through the services so their rules hold."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from committees import services
from committees.models import MeetingKind, Stage
from governance.models import PostKind, Role, RoleAssignment, User
from governance.scoping import SYSTEM
from governance.tests.factories import PersonFactory, UserFactory


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


def treasurer(estate) -> User:
    """A committee member of ``estate`` who signs the committee's approvals (an approval needs a person)."""
    user = User.objects.filter(username=f"treasurer-{estate.pk}").first()
    if user is None:
        user = UserFactory(username=f"treasurer-{estate.pk}")
        RoleAssignment.objects.create(user=user, role=Role.COMMITTEE_MEMBER, place=estate)
    return user


def cost(estate, amount, date, *, purpose="5001", actor=SYSTEM, memo="保洁费用", payee="物业公司"):
    """A small payment, the one way money leaves: an assembly decision, the committee's approval, the payment.

    Only for amounts that need no more than the committee's approval (at most the supervision threshold).
    """
    meeting = services.meeting_create(
        estate=estate,
        kind=MeetingKind.ASSEMBLY,
        title=f"业主大会：{memo}",
        held_at=timezone.make_aware(datetime.datetime.combine(date, datetime.time(9))),
        actor=SYSTEM,
    )
    decision = services.decision_record(meeting=meeting, text=f"同意支付{memo}", passed=True, actor=SYSTEM)
    request = services.spending_request_create(
        estate=estate,
        payee=payee,
        purpose=services.account(estate, purpose),
        amount=Decimal(amount),
        requested_on=date,
        description=memo,
        actor=actor,
    )
    assert request.required_stages() == [Stage.COMMITTEE], "cost() pays only what the committee alone approves"
    services.spending_approve(
        request=request, stage=Stage.COMMITTEE, decision=decision, seen="发票", actor=treasurer(estate)
    )
    return services.spending_pay(request=request, date=date, voucher=voucher(), actor=actor)


def aware(year, month, day, hour=19):
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def around_the_guards(sql: str, params=()) -> None:
    """Write as someone with full access to the database could: around the models and the append-only triggers.

    PostgreSQL: a superuser switches triggers off for the transaction (replica mode). SQLite
    has no such switch: the committees tables' triggers are dropped for the one statement and
    put back as they were.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = origin")
            return
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'committees_%'")
        triggers = cursor.fetchall()
        for name, _create in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        try:
            cursor.execute(sql, params)
        finally:
            for _name, create in triggers:
                cursor.execute(create)
