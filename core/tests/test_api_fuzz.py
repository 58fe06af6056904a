"""Schema-driven fuzzing of the whole API (issue 10): every operation of ``/api/schema/``, as a superuser and as a
resident, with a bounded number of generated requests, answers no 5xx, only documented status codes, and bodies of
the declared content type that conform to the declared schema.

The schema is loaded from the application itself (WSGI, in-process, real PostgreSQL) and the requests go through
the same WSGI handler, inside the test's transaction. A small world is built once for the module (places, a unit
owned by the resident, a vote, a committee and its ledger): generated path ids are drawn partly from the rows that
exist, so that reads and writes reach real objects and not only 404s.

Bounded for CI (about two and a half minutes on the loaded 2-core machine): ``MAX_EXAMPLES`` requests per
operation and user, both valid and invalid by the schema (schemathesis' positive and negative modes), derandomized
(the same requests on every run), no example database, no network. ``GONGZHI_FUZZ_EXAMPLES=50`` digs deeper by
hand. Path ids are drawn from rows ordered by id, so a fresh database (CI) gets the same requests every time.

Every operation is run: none is excluded. A failure prints the request as a ``curl`` command.
"""

from __future__ import annotations

import datetime
import decimal
import os

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = int(os.environ.get("GONGZHI_FUZZ_EXAMPLES", "4"))

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

# The ids of the rows that exist, per collection path (``/api/v1/votes/``), filled when the world is built.
KNOWN_IDS: dict[str, list[int]] = {}


def _collection(path: str) -> str:
    return path.split("{", 1)[0]


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half of the generated ``id``s name a row that exists (when the collection has any), the rest are random."""
    ids = KNOWN_IDS.get(_collection(context.operation.path))
    if not ids or not isinstance(path_parameters, dict) or "id" not in path_parameters:
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters), st.sampled_from(ids).map(lambda pk: {**path_parameters, "id": pk}))


def _known_ids() -> dict[str, list[int]]:
    """The rows each collection's viewset can reach, read through its queryset's model."""
    known = {}
    for raw in schema.raw_schema["paths"]:
        collection = _collection(raw)
        if collection in known or collection == raw:
            continue
        try:
            view = resolve(collection).func
        except Resolver404:
            continue
        queryset = getattr(getattr(view, "cls", None), "queryset", None)
        if queryset is not None:
            known[collection] = list(queryset.model._default_manager.order_by("pk").values_list("pk", flat=True)[:20])
    return known


def _build_world() -> dict[str, str]:
    """A small district with an object of the main kinds; the admin's and the resident's API tokens."""
    from rest_framework.authtoken.models import Token

    from committees.tests.factories import committee, income
    from elections.tests.factories import OwnerFactory, make_vote, open_resolution, own, register
    from governance.models import Place, RoleAssignment
    from governance.tests.factories import PersonFactory, UserFactory, district_world

    world = district_world()
    admin = UserFactory(username="fuzz-admin", is_superuser=True, is_staff=True)
    resident = UserFactory(username="fuzz-resident")
    RoleAssignment.objects.create(user=resident, role="resident", place=world["estate_a"])
    home = register(world["building_a1"], ["90.00"])[0][0]
    owner = OwnerFactory(place=world["estate_a"], person=resident.person)
    own(home, owner)
    register(world["building_a2"], ["80.00", "120.00", "95.50"])
    estate = Place.objects.get(pk=world["estate_a"].pk)  # read afresh: the tree numbers moved as places were added
    make_vote(estate, title="更换物业")
    open_resolution(estate, title="使用维修资金")
    members = [PersonFactory(place=estate) for _ in range(5)]
    committee(estate, members=members)
    _committees_and_residents(estate, members, home, owner, resident)
    income(estate, "15000.00", datetime.date.today() - datetime.timedelta(days=3))
    return {"admin": Token.objects.create(user=admin).key, "resident": Token.objects.create(user=resident).key}


def _committees_and_residents(estate, members, home, owner, resident) -> None:
    """A meeting with its minutes, decision and attachment, the supervision group, a property company and its
    contract, a project, a spending request, a party organization and member, and the resident living at home."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from committees import services as committees
    from committees.models import MeetingKind
    from governance.models import OrgKind
    from governance.scoping import SYSTEM
    from governance.tests.factories import PersonFactory, org
    from residents import services as residents

    today = timezone.localdate()
    accounts = {account.code: account for account in committees.ledger_open(estate=estate, actor=SYSTEM)}
    held = timezone.now() - datetime.timedelta(days=10)
    meeting = committees.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="例会", held_at=held, agenda=["支出"], actor=SYSTEM
    )
    committees.meeting_record_attendance(meeting=meeting, attendees=members, actor=SYSTEM)
    committees.meeting_record_minutes(meeting=meeting, minutes="会议纪要", actor=SYSTEM)
    committees.decision_record(meeting=meeting, text="同意支付保洁费", votes_for=5, actor=SYSTEM)
    pdf = SimpleUploadedFile("sign.pdf", b"%PDF-1.4 sign-in sheet", content_type="application/pdf")
    committees.meeting_attach(meeting=meeting, title="签到表", file=pdf, actor=SYSTEM)
    committees.supervision_group_create(
        estate=estate, term_start=datetime.date(2024, 1, 1), members=[owner], actor=SYSTEM
    )
    company = committees.property_company_create(name="某物业公司", place=estate.parent, actor=SYSTEM)
    committees.service_contract_create(
        estate=estate,
        company=company,
        start=datetime.date(2024, 1, 1),
        end=datetime.date(2028, 12, 31),
        fee_per_m2_month=decimal.Decimal("2.00"),
        actor=SYSTEM,
    )
    committees.project_create(estate=estate, title="消防主管改造", budget=decimal.Decimal("30000"), actor=SYSTEM)
    committees.spending_request_create(
        estate=estate, payee="保洁公司", purpose=accounts["5101"], amount=decimal.Decimal("500.00"), actor=SYSTEM
    )
    community = org(OrgKind.COMMUNITY_COMMITTEE, "社区党委", estate.parent)
    estate.refresh_from_db()
    branch = org(OrgKind.ESTATE_GENERAL_BRANCH, "党总支", estate, community)
    residents.party_member_register(
        person=PersonFactory(place=estate), organization=branch, registered_on=today, actor=SYSTEM
    )
    residents.resident_move_in(unit=home, person=resident.person, relation="owner", on=today, actor=SYSTEM)


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module inside a transaction rolled back at its end; uploads (the world's
    and the generated requests') go to a directory of the module's own, never the project's media/."""
    # The WSGI handler closes the database connection after each request (as in production); the test's
    # transaction lives on that connection, so, as Django's test client does, keep it open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("fuzz-media")))
    with media, django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            keys = _build_world()
            KNOWN_IDS.update(_known_ids())
            yield keys
        finally:
            KNOWN_IDS.clear()
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@pytest.mark.postgres
@pytest.mark.parametrize("who", ["admin", "resident"])
@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[hypothesis.Phase.generate],
)
def test_every_operation_answers_as_its_schema_says(case, who, tokens, db):
    case.call_and_validate(headers={"Authorization": f"Token {tokens[who]}"}, checks=CHECKS)
