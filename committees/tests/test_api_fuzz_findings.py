"""Answers the schema-driven fuzz test (core/tests/test_api_fuzz.py) found wrong, each fixed and kept fixed."""

import datetime

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/projects/expert-candidates/?estate=9.9e-51",
        "/api/v1/ledger/transactions/verify/?estate=false",
        "/api/v1/committees/lapsed/?place=abc",
    ],
)
def test_an_id_in_the_query_that_is_not_a_number_answers_400_naming_the_parameter(api, cast, url):
    response = api.as_user(cast["admin"]).get(url)
    name = url.split("?")[1].split("=")[0]
    assert response.status_code == 400
    assert response.json() == {"detail": f"参数 {name} 应为整数编号。", "code": "invalid"}


def test_the_ledger_check_without_its_estate_answers_400_asking_for_it(api, cast):
    response = api.as_user(cast["admin"]).get("/api/v1/ledger/transactions/verify/")
    assert response.status_code == 400
    assert response.json()["detail"] == "请提供参数 estate（编号）。"


def test_a_voucher_is_answered_as_one_of_the_file_types_the_schema_declares(api, cast, world):
    from django.test import Client

    from committees import services
    from committees.tests.factories import income
    from governance.scoping import SYSTEM

    services.ledger_open(estate=world["estate_a"], actor=SYSTEM)
    tx = income(world["estate_a"], "100.00", datetime.date(2026, 1, 5))
    response = api.as_user(cast["admin"]).get(f"/api/v1/ledger/transactions/{tx.pk}/voucher/")
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    declared = schema["paths"]["/api/v1/ledger/transactions/{id}/voucher/"]["get"]["responses"]["200"]["content"]
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "application/pdf" in declared
