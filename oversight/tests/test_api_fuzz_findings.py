"""Answers the schema-driven fuzz test (core/tests/test_api_fuzz.py) found wrong, each fixed and kept fixed."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _declared(path):
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    return schema["paths"][path]["get"]["responses"]


@pytest.mark.parametrize("figure", ["early-warning", "commissioners"])
def test_a_figure_answered_as_a_list_is_declared_a_list(api, cast, world, figure):
    answer = api.as_user(cast["admin"]).get(f"/api/v1/places/{world['district'].pk}/{figure}/").json()
    declared = _declared(f"/api/v1/places/{{id}}/{figure}/")["200"]["content"]["application/json"]["schema"]
    assert isinstance(answer, list)
    assert declared["type"] == "array"


def test_the_petitions_export_without_its_place_answers_400_asking_for_it(api, cast):
    response = api.as_user(cast["admin"]).get("/api/v1/petitions/export/")
    assert response.status_code == 400
    assert response.json()["detail"] == "请提供参数 place（编号）。"


def test_the_petitions_export_declares_the_file_types_it_answers_and_its_404(api, cast, world):
    declared = _declared("/api/v1/petitions/export/")
    response = api.as_user(cast["admin"]).get(f"/api/v1/petitions/export/?place={world['district'].pk}&file_type=csv")
    assert response.status_code == 200
    assert response["Content-Type"] in declared["200"]["content"]
    assert "404" in declared


@pytest.mark.parametrize(
    "url", ["/api/v1/petitions/?year=300000", "/api/v1/petitions/?year=0", "/api/v1/petitions/export/?year=300000"]
)
def test_a_year_no_date_can_hold_answers_400(api, cast, world, url):
    response = api.as_user(cast["admin"]).get(f"{url}&place={world['district'].pk}")
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid", "bad_year")


@pytest.mark.parametrize("figure", ["petition-shares", "legal-oversight"])
def test_a_figure_of_a_year_no_date_can_hold_answers_400(api, cast, world, figure):
    response = api.as_user(cast["admin"]).get(f"/api/v1/places/{world['district'].pk}/{figure}/?year=300000")
    assert response.status_code == 400
    assert response.json() == {"detail": "年份无效。", "code": "bad_year"}
