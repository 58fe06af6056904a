import pytest
from django.test import Client

from governance.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_token_login_returns_a_token_that_authenticates_later_calls(api):
    UserFactory(username="alice")
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "pass-1234"}, format="json")
    assert response.status_code == 200
    token = response.data["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/places/").status_code == 200


def test_token_login_with_a_wrong_password_answers_400_with_a_detail(api):
    UserFactory(username="alice")
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.data["detail"]


def test_the_openapi_schema_describes_the_api():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/places/{id}/coverage/" in schema["paths"]
    assert "/api/v1/role-assignments/" in schema["paths"]


def test_the_api_documentation_page_is_served_without_the_network():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content.lower()


def test_the_session_login_page_is_in_chinese():
    response = Client().get("/login/")
    assert "登录" in response.content.decode()


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")
