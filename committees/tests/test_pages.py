import datetime

import pytest
from django.test import Client
from django.urls import reverse

from committees import services
from committees.models import MeetingKind
from committees.tests.factories import aware, committee, income
from governance.scoping import SYSTEM

pytestmark = pytest.mark.urls("committees.tests.urls")


@pytest.fixture
def published(estate, ledger, cast):
    board = committee(estate, n=5)
    income(estate, "3200.00", datetime.date(2026, 1, 5))
    statement = services.statement_publish(
        estate=estate, period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 3, 31), actor=SYSTEM
    )
    meeting = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="一月例会", held_at=aware(2026, 1, 8), actor=SYSTEM
    )
    services.meeting_record_attendance(meeting=meeting, attendees=[p.person for p in board.posts.all()], actor=SYSTEM)
    services.meeting_record_minutes(meeting=meeting, minutes="审议停车收费方案。", actor=SYSTEM)
    services.meeting_publish_minutes(meeting=meeting, actor=SYSTEM)
    draft = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="二月例会（未公开）", held_at=aware(2026, 2, 8), actor=SYSTEM
    )
    return statement, meeting, draft


def login(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_resident_sees_the_estate_page_with_published_items_only(cast, estate, published):
    page = login(cast["resident"]).get(reverse("committees:estate-public", args=[estate.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "一月例会" in text and "二月例会" not in text and "3,200.00" in text


def test_a_resident_reads_the_published_statement_page(cast, published):
    statement, _meeting, _draft = published
    page = login(cast["resident"]).get(reverse("committees:statement-detail", args=[statement.pk]))
    assert page.status_code == 200 and "¥3,200.00" in page.content.decode()


def test_a_resident_downloads_the_statement_as_pdf_and_xlsx(cast, published):
    statement, _meeting, _draft = published
    client = login(cast["resident"])
    assert client.get(reverse("committees:statement-pdf", args=[statement.pk])).content.startswith(b"%PDF")
    assert client.get(reverse("committees:statement-xlsx", args=[statement.pk])).content.startswith(b"PK")


def test_a_resident_cannot_open_unpublished_minutes(cast, published):
    _statement, meeting, draft = published
    client = login(cast["resident"])
    assert client.get(reverse("committees:meeting-detail", args=[meeting.pk])).status_code == 200
    assert client.get(reverse("committees:meeting-detail", args=[draft.pk])).status_code == 404


def test_residents_of_another_estate_do_not_see_the_page(cast, estate, published):
    assert login(cast["secretary_b"]).get(reverse("committees:estate-public", args=[estate.pk])).status_code == 404


def test_the_overview_shows_committees_and_flagged_spending_in_a_fixed_number_of_queries(
    cast, world, estate, ledger, django_assert_max_num_queries
):
    from decimal import Decimal

    committee(world["estate_b"], n=5, term_start=datetime.date(2019, 1, 1), term_end=datetime.date(2023, 12, 31))
    committee(estate, n=7, term_start=datetime.date(2024, 1, 1))
    for day in (1, 9):
        services.spending_request_create(
            estate=estate,
            payee="绿化公司",
            purpose=ledger["5109"],
            amount=Decimal("9900"),
            requested_on=datetime.date(2026, 3, day),
            actor=SYSTEM,
        )
    client = login(cast["auditor"])
    # The page's own reads, plus the navigation's fixed cost (the user's rights: own units, supervision group).
    with django_assert_max_num_queries(16):
        page = client.get(reverse("committees:overview"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "已届满未换届" in text and "疑似拆分采购" in text and "南方上格林" in text
