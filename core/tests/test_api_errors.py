"""The API's errors raised before any view, and the errors the schema declares for every operation."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_api_url_that_no_route_matches_answers_json_404():
    response = Client().get("/api/v1/places/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_a_page_that_does_not_exist_still_answers_the_html_404_page():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def _responses(path, method):
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    return schema["paths"][path][method]["responses"]


def test_the_schema_declares_the_error_format_for_what_an_operation_can_answer():
    retrieve = _responses("/api/v1/places/{id}/", "get")
    update = _responses("/api/v1/places/{id}/", "patch")
    assert set(retrieve) == {"200", "401", "403", "404"}
    assert set(update) == {"200", "400", "401", "403", "404", "409", "415"}
    assert update["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_a_body_sent_without_a_content_type_answers_415_as_the_schema_declares(api, cast):
    response = api.as_user(cast["admin"]).generic("POST", "/api/v1/places/", data=b"kind=estate", content_type="")
    assert response.status_code == 415
    assert "415" in _responses("/api/v1/places/", "post")
