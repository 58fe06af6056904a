import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from committees import services
from committees.models import Decision, LedgerTransaction, MeetingKind, Stage, Statement
from committees.tests.factories import aware, committee, income, voucher
from governance.models import AuditEvent
from governance.scoping import SYSTEM
from residents.models import Owner

D = Decimal
Q1 = (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))


@pytest.fixture
def entries(estate, ledger):
    return [income(estate, f"{100 * (i + 1)}.00", datetime.date(2026, 1, 5 + i)) for i in range(5)]


@pytest.fixture
def published_meeting(estate, cast):
    board = committee(estate, n=5)
    meeting = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="三月例会", held_at=aware(2026, 3, 5), actor=SYSTEM
    )
    services.meeting_record_attendance(meeting=meeting, attendees=[p.person for p in board.posts.all()], actor=SYSTEM)
    services.meeting_record_minutes(meeting=meeting, minutes="审议停车收费。", actor=SYSTEM)
    services.meeting_publish_minutes(meeting=meeting, actor=SYSTEM)
    draft = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="四月例会", held_at=aware(2026, 4, 5), actor=SYSTEM
    )
    return meeting, draft


# The ledger through the API -------------------------------------------------------------


def test_the_api_has_no_update_or_delete_for_ledger_entries(api, cast, entries):
    client = api.as_user(cast["admin"])
    url = reverse("ledger-transaction-detail", args=[entries[0].pk])
    assert client.put(url, {"memo": "x"}, format="json").status_code == 405
    assert client.patch(url, {"memo": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert LedgerTransaction.objects.get(pk=entries[0].pk).memo == entries[0].memo


def test_a_committee_member_posts_a_balanced_entry_with_its_voucher(api, cast, estate, ledger):
    client = api.as_user(cast["committee_member"])
    legs = [
        {"account": ledger["1001"].pk, "debit": "300.00", "credit": "0"},
        {"account": ledger["4001"].pk, "debit": "0", "credit": "300.00"},
    ]
    response = client.post(
        reverse("ledger-transaction-list"),
        {
            "estate": estate.pk,
            "date": "2026-02-01",
            "memo": "电梯广告二月",
            "voucher": voucher(),
            "legs": json.dumps(legs),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["sequence"] == 1 and response.json()["voucher"]


def test_an_unbalanced_entry_is_refused_by_the_api(api, cast, estate, ledger):
    client = api.as_user(cast["committee_member"])
    legs = [
        {"account": ledger["1001"].pk, "debit": "300.00", "credit": "0"},
        {"account": ledger["4001"].pk, "debit": "0", "credit": "299.00"},
    ]
    response = client.post(
        reverse("ledger-transaction-list"),
        {"estate": estate.pk, "date": "2026-02-01", "memo": "错", "voucher": voucher(), "legs": json.dumps(legs)},
        format="multipart",
    )
    assert response.status_code == 400 and response.json()["code"] == "unbalanced"
    assert not LedgerTransaction.objects.filter(memo="错").exists()


def test_a_resident_cannot_read_or_post_ledger_entries(api, cast, estate, ledger, entries):
    client = api.as_user(cast["resident"])
    assert client.get(reverse("ledger-transaction-list")).json()["count"] == 0
    response = client.post(
        reverse("ledger-transaction-list"),
        {"estate": estate.pk, "date": "2026-02-01", "memo": "x", "voucher": voucher(), "legs": "[]"},
        format="multipart",
    )
    assert response.status_code in (400, 403)
    assert LedgerTransaction.objects.count() == 5


def test_a_discipline_reviewer_cannot_post_entries(api, cast, estate, ledger):
    client = api.as_user(cast["reviewer"])
    legs = [
        {"account": ledger["1001"].pk, "debit": "1.00", "credit": "0"},
        {"account": ledger["4001"].pk, "debit": "0", "credit": "1.00"},
    ]
    response = client.post(
        reverse("ledger-transaction-list"),
        {"estate": estate.pk, "date": "2026-02-01", "memo": "x", "voucher": voucher(), "legs": json.dumps(legs)},
        format="multipart",
    )
    assert response.status_code == 403
    assert not LedgerTransaction.objects.exists()


def test_an_auditor_reads_every_entry_with_its_voucher_in_a_fixed_number_of_queries(
    api, cast, entries, django_assert_max_num_queries
):
    client = api.as_user(cast["auditor"])
    with django_assert_max_num_queries(8):
        body = client.get(reverse("ledger-transaction-list")).json()
    assert body["count"] == 5
    assert all(row["voucher"] and row["hash"] and len(row["legs"]) == 2 for row in body["results"])


def test_an_auditor_cannot_post_entries(api, cast, estate, ledger):
    legs = [
        {"account": ledger["1001"].pk, "debit": "1.00", "credit": "0"},
        {"account": ledger["4001"].pk, "debit": "0", "credit": "1.00"},
    ]
    response = api.as_user(cast["auditor"]).post(
        reverse("ledger-transaction-list"),
        {"estate": estate.pk, "date": "2026-02-01", "memo": "x", "voucher": voucher(), "legs": json.dumps(legs)},
        format="multipart",
    )
    assert response.status_code == 403
    assert not LedgerTransaction.objects.exists()


def test_an_entry_is_reversed_through_the_api_with_a_reason(api, cast, entries):
    client = api.as_user(cast["committee_member"])
    response = client.post(
        reverse("ledger-transaction-reverse", args=[entries[0].pk]), {"reason": "重复入账"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["reverses"] == entries[0].pk


def test_the_ledger_verifies_through_the_api(api, cast, estate, entries):
    body = api.as_user(cast["auditor"]).get(reverse("ledger-transaction-verify"), {"estate": estate.pk}).json()
    assert body["ok"] and body["checked"] == 5


def test_accounts_list_their_balances(api, cast, estate, entries, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        body = api.as_user(cast["auditor"]).get(reverse("ledger-account-list"), {"estate": estate.pk}).json()
    balances = {row["code"]: row["balance"] for row in body["results"]}
    assert balances["1001"] == "1500.00" and balances["4002"] == "1500.00"


def test_staff_outside_the_estate_do_not_see_its_ledger(api, cast, entries):
    assert api.as_user(cast["secretary_b"]).get(reverse("ledger-transaction-list")).json()["count"] == 0
    response = api.as_user(cast["secretary_b"]).get(reverse("ledger-transaction-detail", args=[entries[0].pk]))
    assert response.status_code == 404


# Meetings -------------------------------------------------------------------------------


def test_a_resident_reads_published_minutes_only(api, cast, published_meeting):
    published, draft = published_meeting
    body = api.as_user(cast["resident"]).get(reverse("meeting-list")).json()
    assert [row["id"] for row in body["results"]] == [published.pk]
    assert api.as_user(cast["resident"]).get(reverse("meeting-detail", args=[draft.pk])).status_code == 404


def test_a_committee_member_sees_drafts_and_publishes_minutes_in_one_action(api, cast, published_meeting):
    _published, draft = published_meeting
    client = api.as_user(cast["committee_member"])
    assert client.get(reverse("meeting-list")).json()["count"] == 2
    client.post(reverse("meeting-minutes", args=[draft.pk]), {"minutes": "审议物业续聘。"}, format="json")
    response = client.post(reverse("meeting-publish-minutes", args=[draft.pk]))
    assert response.status_code == 200 and response.json()["minutes_published_at"]


def test_a_resident_cannot_publish_minutes(api, cast, published_meeting):
    published, draft = published_meeting
    services.meeting_record_minutes(meeting=draft, minutes="草稿", actor=SYSTEM)
    published.refresh_from_db()
    published_at = published.minutes_published_at
    response = api.as_user(cast["resident"]).post(reverse("meeting-publish-minutes", args=[draft.pk]))
    assert response.status_code == 404  # a draft is out of a resident's sight
    response = api.as_user(cast["resident"]).post(reverse("meeting-publish-minutes", args=[published.pk]))
    assert response.status_code == 403
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.minutes_published_at is None and published.minutes_published_at == published_at


def test_meeting_list_runs_a_fixed_number_of_queries(api, cast, published_meeting, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        api.as_user(cast["auditor"]).get(reverse("meeting-list"))


def test_a_committee_decision_is_counted_through_the_api(api, cast, estate):
    board = committee(estate, n=7)
    members = [p.person for p in board.posts.all()]
    client = api.as_user(cast["committee_member"])
    meeting = client.post(
        reverse("meeting-list"),
        {"estate": estate.pk, "kind": "committee", "title": "会议", "held_at": "2026-03-01T19:00:00+08:00"},
        format="json",
    ).json()
    client.post(
        reverse("meeting-attendance", args=[meeting["id"]]),
        {"attendees": [p.pk for p in members[:4]], "party_org": True},
        format="json",
    )
    response = client.post(
        reverse("meeting-decisions", args=[meeting["id"]]),
        {"text": "同意", "votes_for": 3, "votes_against": 1},
        format="json",
    )
    assert response.status_code == 201 and response.json()["passed"] is False
    stored = Decision.objects.get(pk=response.json()["id"])
    assert (stored.votes_for, stored.votes_against, stored.passed) == (3, 1, False)


# Spending -------------------------------------------------------------------------------


def test_the_api_approves_in_order_and_pays_only_when_complete(api, cast, estate, ledger):
    income(estate, "100000", datetime.date(2026, 1, 10))
    board = committee(estate, n=5)
    meeting = services.meeting_create(
        estate=estate, kind=MeetingKind.COMMITTEE, title="会", held_at=aware(2026, 2, 1), actor=SYSTEM
    )
    services.meeting_record_attendance(meeting=meeting, attendees=[p.person for p in board.posts.all()], actor=SYSTEM)
    decision = services.decision_record(meeting=meeting, text="同意", votes_for=5, actor=SYSTEM)
    supervisor = cast["resident"]
    owner = Owner.objects.create(person=supervisor.person, place=estate)
    services.supervision_group_create(
        estate=estate, term_start=datetime.date(2025, 1, 1), members=[owner], actor=SYSTEM
    )

    member = api.as_user(cast["committee_member"])
    created = member.post(
        reverse("spending-request-list"),
        {
            "estate": estate.pk,
            "payee": "消防公司",
            "purpose": ledger["5101"].pk,
            "amount": "60000.00",
            "requested_on": "2026-02-02",
        },
        format="json",
    ).json()
    pay_url = reverse("spending-request-pay", args=[created["id"]])
    approve_url = reverse("spending-request-approve", args=[created["id"]])
    assert created["required_stages"] == [Stage.COMMITTEE, Stage.SUPERVISION, Stage.DISCIPLINE]
    assert member.post(pay_url, {"date": "2026-02-20", "voucher": voucher()}, format="multipart").status_code == 409

    assert (
        member.post(
            approve_url, {"stage": "committee", "decision": decision.pk, "seen": "纪要"}, format="json"
        ).status_code
        == 200
    )
    resp = api.as_user(supervisor).post(approve_url, {"stage": "supervision", "seen": "报价"}, format="json")
    assert resp.status_code == 200, resp.json()
    assert (
        api.as_user(cast["reviewer"])
        .post(approve_url, {"stage": "discipline", "seen": "合同"}, format="json")
        .status_code
        == 200
    )
    # One client: log the committee member back in.
    member = api.as_user(cast["committee_member"])
    response = member.post(pay_url, {"date": "2026-02-20", "voucher": voucher()}, format="multipart")
    assert response.status_code == 201
    body = member.get(reverse("spending-request-detail", args=[created["id"]])).json()
    assert body["status"] == "paid" and [a["stage"] for a in body["approvals"]] == [
        "committee",
        "supervision",
        "discipline",
    ]


def test_a_discipline_reviewer_cannot_pay(api, cast, estate, ledger):
    request = services.spending_request_create(
        estate=estate, payee="某公司", purpose=ledger["5102"], amount=D("100"), actor=SYSTEM
    )
    response = api.as_user(cast["reviewer"]).post(
        reverse("spending-request-pay", args=[request.pk]),
        {"date": "2026-02-20", "voucher": voucher()},
        format="multipart",
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == "pending" and not LedgerTransaction.objects.exists()


def test_a_split_purchase_is_shown_on_the_request(api, cast, estate, ledger):
    client = api.as_user(cast["committee_member"])
    for day, amount in (("2026-03-01", "9900.00"), ("2026-03-08", "9900.00")):
        last = client.post(
            reverse("spending-request-list"),
            {
                "estate": estate.pk,
                "payee": "绿化公司",
                "purpose": ledger["5109"].pk,
                "amount": amount,
                "requested_on": day,
            },
            format="json",
        ).json()
    assert last["split_flagged"] and last["split_total"] == "19800.00" and "疑似拆分采购" in last["split_reason"]


# Statements -----------------------------------------------------------------------------


@pytest.fixture
def statement(estate, entries, cast):
    return services.statement_publish(
        estate=estate, period_start=Q1[0], period_end=Q1[1], actor=cast["committee_member"]
    )


def test_a_resident_reads_the_published_statement(api, cast, statement):
    body = api.as_user(cast["resident"]).get(reverse("statement-list")).json()
    assert body["count"] == 1 and body["results"][0]["figures"]["income_total"] == "1500.00"


def test_a_resident_cannot_publish_a_statement(api, cast, estate, entries):
    response = api.as_user(cast["resident"]).post(
        reverse("statement-publish"),
        {"estate": estate.pk, "period_start": "2026-01-01", "period_end": "2026-03-31"},
        format="json",
    )
    assert response.status_code == 400  # the estate's ledger is not the resident's to read
    assert not Statement.objects.exists()
    response = api.as_user(cast["reviewer"]).post(
        reverse("statement-publish"),
        {"estate": estate.pk, "period_start": "2026-01-01", "period_end": "2026-03-31"},
        format="json",
    )
    assert response.status_code == 403
    assert not Statement.objects.exists()


def test_a_committee_member_publishes_a_statement(api, cast, estate, entries):
    response = api.as_user(cast["committee_member"]).post(
        reverse("statement-publish"),
        {"estate": estate.pk, "period_start": "2026-01-01", "period_end": "2026-03-31"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["figures"]["closing_balance"] == "1500.00"
    stored = Statement.objects.get(pk=response.json()["id"])
    assert stored.estate == estate and stored.period_end == datetime.date(2026, 3, 31)


def test_the_statement_downloads_as_pdf_and_xlsx(api, cast, statement):
    client = api.as_user(cast["resident"])
    pdf = client.get(reverse("statement-pdf", args=[statement.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(reverse("statement-xlsx", args=[statement.pk]))
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")


def test_a_statement_preview_shows_any_period(api, cast, estate, entries):
    body = (
        api.as_user(cast["auditor"])
        .get(
            reverse("statement-preview"),
            {"estate": estate.pk, "period_start": "2026-01-06", "period_end": "2026-01-07"},
        )
        .json()
    )
    assert body["income_total"] == "500.00"


def test_an_auditor_downloads_a_voucher_and_the_download_is_logged(api, cast, entries):
    from governance.models import AuditEvent

    client = api.as_user(cast["auditor"])
    url = client.get(reverse("ledger-transaction-detail", args=[entries[0].pk])).json()["voucher"]
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="ledger.voucher_view", object_id=str(entries[0].pk)).count() == 1


def test_a_resident_cannot_download_a_voucher(api, cast, entries):
    response = api.as_user(cast["resident"]).get(reverse("ledger-transaction-voucher", args=[entries[0].pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="ledger.voucher_view").exists()


def test_the_spending_list_runs_a_fixed_number_of_queries(api, cast, estate, ledger, django_assert_max_num_queries):
    from committees import services

    for i in range(4):
        services.spending_request_create(
            estate=estate, payee=f"公司{i}", purpose=ledger["5102"], amount=D("100"), actor=SYSTEM
        )
    # Fixed, whatever the number of requests: the scope, the page, the approvals, the two thresholds.
    with django_assert_max_num_queries(7):
        body = api.as_user(cast["auditor"]).get(reverse("spending-request-list")).json()
    assert body["count"] == 4
