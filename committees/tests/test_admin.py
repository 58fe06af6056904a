import datetime

import pytest
from django.test import Client
from django.urls import reverse

from committees.models import LedgerTransaction
from committees.tests.factories import income


@pytest.fixture
def admin_client_(cast):
    client = Client()
    client.force_login(cast["admin"])
    return client


def test_the_admin_shows_a_ledger_entry_but_offers_no_change_or_delete(admin_client_, estate, ledger):
    tx = income(estate, "100", datetime.date(2026, 1, 5))
    page = admin_client_.get(reverse("admin:committees_ledgertransaction_change", args=[tx.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert admin_client_.get(reverse("admin:committees_ledgertransaction_add")).status_code == 403
    assert admin_client_.get(reverse("admin:committees_ledgertransaction_delete", args=[tx.pk])).status_code == 403


def test_the_admin_refuses_a_posted_change_to_a_ledger_entry(admin_client_, estate, ledger):
    tx = income(estate, "100", datetime.date(2026, 1, 5))
    response = admin_client_.post(
        reverse("admin:committees_ledgertransaction_change", args=[tx.pk]), {"memo": "tampered"}
    )
    assert response.status_code == 403
    assert LedgerTransaction.objects.get(pk=tx.pk).memo == tx.memo


def test_the_admin_has_no_bulk_delete_for_ledger_entries(admin_client_, estate, ledger):
    tx = income(estate, "100", datetime.date(2026, 1, 5))
    response = admin_client_.post(
        reverse("admin:committees_ledgertransaction_changelist"),
        {"action": "delete_selected", "_selected_action": [tx.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert LedgerTransaction.objects.filter(pk=tx.pk).exists()


@pytest.mark.parametrize(
    "model", ["account", "ledgertransaction", "spendingrequest", "statement", "meeting", "ownerscommittee", "project"]
)
def test_every_committees_admin_page_lists(admin_client_, estate, ledger, model):
    assert admin_client_.get(reverse(f"admin:committees_{model}_changelist")).status_code == 200


def test_a_meeting_added_in_the_admin_goes_through_the_service(admin_client_, estate):
    from committees.models import Meeting
    from governance.models import AuditEvent

    response = admin_client_.post(
        reverse("admin:committees_meeting_add"),
        {
            "estate": estate.pk,
            "kind": "deliberation",
            "title": "议事会：充电桩",
            "held_at_0": "2026-03-01",
            "held_at_1": "19:00:00",
            "location": "党群服务站",
            "agenda": '["充电桩选址"]',
            "party_org_attended": "on",
            "minutes": "",
            "decisions-TOTAL_FORMS": "0",
            "decisions-INITIAL_FORMS": "0",
            "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get()
    assert meeting.party_org_attended and meeting.agenda == ["充电桩选址"]
    assert AuditEvent.objects.filter(action="meeting.create").exists()


def test_a_change_in_the_admin_is_saved_by_the_service_with_old_and_new_values(admin_client_, world):
    from committees import services
    from committees.models import PropertyCompany
    from governance.models import AuditEvent
    from governance.scoping import SYSTEM

    company = services.property_company_create(
        name="某物业", place=world["community_a"], contact="张经理", actor=SYSTEM
    )
    response = admin_client_.post(
        reverse("admin:committees_propertycompany_change", args=[company.pk]),
        {"credit_code": "", "contact": "李经理", "party_branch": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert PropertyCompany.objects.get(pk=company.pk).contact == "李经理"
    event = AuditEvent.objects.filter(action="property_company.update").latest("pk")
    assert event.data["changes"] == {"contact": {"old": "张经理", "new": "李经理"}}


def test_the_admin_links_a_voucher_through_the_scoped_view_not_media(admin_client_, estate, ledger):
    tx = income(estate, "100", datetime.date(2026, 1, 5))
    page = admin_client_.get(reverse("admin:committees_ledgertransaction_change", args=[tx.pk])).content.decode()
    assert reverse("ledger-transaction-voucher", args=[tx.pk]) in page
    assert "/media/" not in page
