"""Answers the schema-driven fuzz test (core/tests/test_api_fuzz.py) found wrong, each fixed and kept fixed."""

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
